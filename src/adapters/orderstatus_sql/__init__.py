"""What the two SQL storage adapters share: row types and decoders, search, migrations.

Not a plugin (it registers nothing): :mod:`orderstatus_sqlite` and
:mod:`orderstatus_postgres` import it explicitly (DESIGN: "shared SQL helpers may live in
one adapter package that others depend on explicitly"). It imports only the core and the
standard library, never a database driver, so a rule written here holds for both adapters
and cannot drift between them:

* :mod:`orderstatus_sql.rows`: one named row type per table shape, and the one place that
  turns rows back into model values; a row that cannot be read is always
  :class:`~orderstatus_core.AdapterError`.
* :mod:`orderstatus_sql.search`: which query a search runs (part number or category
  range) and how its (order, line) rows fold into matches.
* :mod:`orderstatus_sql.migrations`: the runner that applies numbered migrations one
  transaction each, and the version check every unit of work makes.
"""

from __future__ import annotations

__all__: list[str] = []

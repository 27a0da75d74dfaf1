"""``python -m orderstatus_core.cli``: the ``orderstatus`` command without the console script."""

import sys

from orderstatus_core.cli import main

sys.exit(main())

"""Optional adapters never break a store that does not use them.

Every installed plugin is loaded when a store opens; a plugin whose driver (redis-py,
psycopg, reportlab ...) is not installed must still load, and say what to install only
when its URL is opened.
"""

from __future__ import annotations

import subprocess
import sys

OPTIONAL_DRIVERS = ("redis", "psycopg", "psycopg_pool", "reportlab", "dkim", "captcha", "argon2")

_PROBE = """
import sys
for name in {drivers!r}:
    sys.modules[name] = None  # as if the package were not installed
from orderstatus_core import AdapterError, OrderStatus
desk = OrderStatus.open(storage="memory://", mail="mailbox:///mail")
print("opened")
try:
    OrderStatus.open(
        storage="memory://", mail="mailbox:///mail", rate_limits="redis://127.0.0.1:6379/0"
    )
except AdapterError as error:
    print("refused:", error)
"""


def test_a_store_opens_without_the_optional_drivers() -> None:
    """With no optional driver importable, plugins load and memory:// still opens; a
    redis:// URL is refused with the extra to install."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(drivers=OPTIONAL_DRIVERS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "opened"
    assert "orderstatus-core[redis]" in lines[1]

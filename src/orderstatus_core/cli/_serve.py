"""``orderstatus demo --serve``: the demo data on SQLite, served by the example storefront.

The storefront is an example (``examples/storefront`` in a clone of the repository), not
part of the installed package: it is found in the current folder's ``examples/`` (the
clone's root, as README's quick start runs it) or beside the source tree of an editable
install. Flask and Flask-WTF come with the ``storefront`` extra.
"""

from __future__ import annotations

import argparse
import importlib
import json
import secrets
import sys
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

from orderstatus_core.cli._common import PROG, UsageError, file_url, open_store
from orderstatus_core.cli._demo import _demo_records, _reset_demo_folder
from orderstatus_core.cli._demo_accounts import account_extras_missing
from orderstatus_core.cli._demo_profile import DemoStore

__all__ = ["STOREFRONT_HOST", "find_storefront", "serve_demo"]

#: The demo serves on this address only (its cookies are not ``Secure``: plain HTTP).
STOREFRONT_HOST = "127.0.0.1"
_LABEL_COST = "7.50 USD"


def find_storefront(*folders: Path) -> Path:
    """The first of ``folders`` holding ``storefront/``; by default the current folder's
    ``examples`` and the one beside the source tree of an editable install."""
    here = Path(__file__).resolve()
    for folder in folders or (Path.cwd() / "examples", here.parents[3] / "examples"):
        if (folder / "storefront" / "__init__.py").is_file():
            return folder
    raise UsageError(
        "the example storefront (examples/storefront) is not here: run this from the root "
        "of a clone of the repository"
    )


def _import_storefront(folder: Path) -> ModuleType:
    missing = [name for name in ("flask", "flask_wtf") if find_spec(name) is None]
    if missing:
        raise UsageError(
            f"the storefront needs {', '.join(missing)}: install the storefront extra, "
            "e.g. pip install '.[labels,captcha,argon2,storefront]'"
        )
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module("storefront")


def serve_demo(args: argparse.Namespace) -> int:
    """Recreate the demo folder's store with the demo orders (none of the walkthrough's
    steps taken) and serve the storefront on 127.0.0.1 until Ctrl-C."""
    storefront = _import_storefront(find_storefront())
    port: int = args.port
    folder = Path(args.dir).expanduser()
    database, mail_folder = _reset_demo_folder(folder)
    mail_folder.mkdir(parents=True, exist_ok=True)
    base = f"http://{STOREFRONT_HOST}:{port}"
    # Mailed guest-pass and account links lead to this server (never to a request's Host);
    # store mail queued here carries a one-click link signed with this run's key.
    plugins = [
        storefront.link_plugin(f"{base}/pass"),
        storefront.account_plugin(f"{base}/account"),
        DemoStore(),
    ]
    labels = f"labels://?cost={quote(_LABEL_COST)}" if find_spec("reportlab") else None
    missing = account_extras_missing()
    # The drawn captcha for a person to read (no test hook: nobody reads the answers).
    captcha = None if missing else "captcha://"
    with open_store(
        file_url("sqlite", database), file_url("mailbox", mail_folder), plugins, labels, captcha
    ) as desk:
        desk.migrate()
        rows = _demo_records(datetime.now(UTC))
        report = desk.import_orders(json.dumps(row) for row in rows)
        # A fresh staff password per run: the desk at /staff ships packages and decides
        # returns and changes, so it is never a fixed, published one.
        staff_password = secrets.token_urlsafe(18)
        settings = storefront.Settings.for_demo(
            demo_mail=mail_folder.resolve(), staff_password=staff_password
        )
        app = storefront.create_app(desk, settings)
        print(f"{PROG} demo: {report.imported} orders in {database}")
        print(f"The storefront: {base}/  (the demo's mail: {base}/demo/mail; Ctrl-C stops)")
        print(f"The staff desk: {base}/staff  (password for this run: {staff_password})")
        print("Find order 301442518 with jane.doe@example.com, or 301977206 with (415) 273-9164.")
        if missing:
            extras = ",".join(missing)
            print(f"The account pages need the extras {extras}: pip install '.[{extras}]'")
        else:
            print(f"Sign up as jane.doe@example.com at {base}/account/sign-up (her orders join).")
        sys.stdout.flush()
        storefront.serve(app, desk, STOREFRONT_HOST, port)
    return 0

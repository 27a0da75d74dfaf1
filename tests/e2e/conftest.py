"""The shop fixtures of :mod:`support.shop_fixtures` (a database and mail folder per test,
the example storefront module, and an open store with the demo cast) and the one headless
Chromium of the session (:mod:`support.browser`)."""

from __future__ import annotations

from support.browser import axe_script, browser, chromium, playwright
from support.shop_fixtures import db_path, db_url, desk, example, mail_dir, mail_url

__all__ = [
    "axe_script",
    "browser",
    "chromium",
    "db_path",
    "db_url",
    "desk",
    "example",
    "mail_dir",
    "mail_url",
    "playwright",
]

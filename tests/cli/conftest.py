"""The shop fixtures of :mod:`support.shop_fixtures`: a database and mail folder per test,
the example storefront module, and an open store with the demo cast."""

from __future__ import annotations

from support.shop_fixtures import db_path, db_url, desk, example, mail_dir, mail_url

__all__ = ["db_path", "db_url", "desk", "example", "mail_dir", "mail_url"]

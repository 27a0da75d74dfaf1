"""The holder's data export (issue 14 item 8): everything stored about the account
holder as one JSON document of a documented schema.

:func:`export_data` answers a :class:`DataExport` holding the document as UTF-8 bytes:
``schema`` (:data:`EXPORT_SCHEMA_VERSION`), ``exported_at`` and one key per section of
:data:`~orderstatus_core.services.accounts.export_sections.SECTIONS`. The JSON Schema
(draft 2020-12) ships in the package (:func:`export_schema`).

It needs the password typed within the re-authentication window [5 min], as changing
the email or password and deleting the account do (SECURITY E4). E4 does not list the
export; we take the stricter reading: a session left open on a shared computer could
otherwise download, in one file, every address, phone number and order that it could
only read page by page. The export is a line of the security log (``data_exported``).
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from importlib import resources
from typing import Any

import attrs

from orderstatus_core.model.account import SecurityEventKind
from orderstatus_core.serialization import converter
from orderstatus_core.services._limits import check_limits
from orderstatus_core.services._texts import in_language
from orderstatus_core.services.accounts._common import (
    LiveSession,
    ShopperProof,
    account_unit,
    checked_shopper,
    recent_session,
    record,
)
from orderstatus_core.services.accounts.export_sections import SECTIONS, ExportSource
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.results import NotLoggedIn, ReauthenticationRequired, TryLater

__all__ = [
    "EXPORT_SCHEMA_FILE",
    "EXPORT_SCHEMA_VERSION",
    "DataExport",
    "ExportResult",
    "export_data",
    "export_schema",
]

#: The ``schema`` of the documents this library writes; a change that a reader of an
#: older document could misread (a key renamed, removed or retyped) moves it on. A new
#: section or an added optional key does not. 2: ``store_credit`` is the credit across the
#: account's proven addresses (``holders``, each entry's ``holder``), not one ``email``.
EXPORT_SCHEMA_VERSION = 2
#: The JSON Schema of the document, inside the ``orderstatus_core`` package.
EXPORT_SCHEMA_FILE = "data/account-export.schema.json"


@attrs.frozen
class DataExport:
    """The holder's data as one JSON document (UTF-8 bytes) and the time it was read.
    A storefront sends it as a download (``application/json``, :attr:`filename`). The
    document is left out of ``repr``: it holds the holder's addresses in full (C4)."""

    document: bytes = attrs.field(repr=False)
    exported_at: datetime

    #: What a storefront sends as the download's type.
    media_type = "application/json"

    @property
    def filename(self) -> str:
        """A name for the download: ``account-data-2026-11-01.json``."""
        return f"account-data-{self.exported_at.date().isoformat()}.json"


ExportResult = DataExport | ReauthenticationRequired | NotLoggedIn | TryLater


@functools.cache
def export_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the export document, as shipped; read once.
    Treat it as read-only: it is shared."""
    text = resources.files("orderstatus_core").joinpath(EXPORT_SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def export_data(ctx: ServiceContext, proof: ShopperProof) -> ExportResult:
    """Everything stored about the account holder, as one JSON document
    (:class:`DataExport`).

    Needs the password typed within the window (:class:`ReauthenticationRequired`,
    SECURITY E4, see the module); limited per account (the policy's
    ``data_export_per_account``, 3 in 15 minutes: :class:`TryLater`), as each export reads
    the whole account holding its lock. The sections are read in one unit holding the
    account's lock, so the document is one moment of the account (a deletion or a change
    waits for it, or it for them), and the export is recorded in the security log in the
    same unit. A deleted account, or no live session, answers :class:`NotLoggedIn`.
    """
    proof = checked_shopper(proof)
    live, texts = recent_session(ctx, proof)
    if not isinstance(live, LiveSession):
        return in_language(live, texts)
    account_id = live.session.account_id
    quota = ctx.policies.account_policy().data_export_per_account
    refused = check_limits(
        ctx.rate_limiter, ctx.clock.now(), "data-export", account=(account_id, quota)
    )
    if refused is not None:
        return in_language(refused, texts)
    with account_unit(ctx, account_id) as (uow, account, now):
        if account is None:
            return in_language(NotLoggedIn(), texts)
        source = ExportSource(uow, account, live.id_hash, now)
        document: dict[str, Any] = {
            "schema": EXPORT_SCHEMA_VERSION,
            "exported_at": converter.unstructure(now),
        }
        for section in SECTIONS:
            document[section.name] = section.read(source)
        record(uow, SecurityEventKind.DATA_EXPORTED, now, account=account, client=proof.client)
        uow.commit()
    # The model refuses lone surrogates and NaN amounts, so the text always encodes.
    data = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return DataExport(document=data.encode("utf-8"), exported_at=now)

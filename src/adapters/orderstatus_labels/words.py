"""The fixed words of the label, in the shopper's language, for both formats.

The PDF and the ZPL label print the same headings, so they take them from here; the words
are messages of the one gettext domain (:mod:`orderstatus_core.i18n`), extracted from this
file by ``babel.cfg`` and translated in the core's catalogs (or a store's). Pure text, no
reportlab.
"""

from __future__ import annotations

import attrs

from orderstatus_core.i18n import Catalogs, Translator
from orderstatus_core.labels import ReturnLabelRequest
from orderstatus_labels.postal import weight_text

__all__ = ["LabelWords", "translator_for"]


def translator_for(request: ReturnLabelRequest, catalogs: Catalogs | None = None) -> Translator:
    """The translator of ``request.language`` in ``catalogs`` (the core's by default): a
    language no catalog has gets English."""
    return (catalogs or Catalogs.builtin()).translator(request.language)


@attrs.frozen
class LabelWords:
    """What a label prints besides the addresses and codes, in one language."""

    heading: str
    sender: str
    recipient: str
    rma: str
    weight: str
    title: str

    @classmethod
    def of(cls, request: ReturnLabelRequest, translator: Translator) -> LabelWords:
        """The words of ``request``'s label in ``translator``'s language."""
        _ = translator.gettext
        return cls(
            heading=_("RETURN"),
            sender=_("FROM"),
            recipient=_("TO"),
            rma=_("Return authorization (RMA)"),
            weight=weight_text(
                request.weight_grams, country=request.sender.country, locale=translator.locale
            ),
            title=_("Return label %(rma)s") % {"rma": request.rma_number},
        )

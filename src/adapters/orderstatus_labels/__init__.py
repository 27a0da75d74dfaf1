"""The labels adapter: return labels and instructions drawn as files, at a flat cost.

``labels://?cost=7.50%20USD`` opens a :class:`FileLabelMaker` that makes a 4x6 inch PDF
label (Code 128 and QR code), ZPL for 203 dpi thermal printers, and return instructions as
a PDF, every fixed word in the request's language (from the gettext catalogs). ``cost``
(required) is what each label costs the store; ``page=letter``, ``page=a4`` or
``page=auto`` (the default: letter for a shopper in the US or Canada, A4 elsewhere) sizes
the instructions; ``store=`` names the store on them.

The PDF files need reportlab (``pip install 'orderstatus-core[labels]'``), imported when the
first PDF is drawn, never when the plugin is loaded; ZPL needs nothing.
"""

from __future__ import annotations

from orderstatus_labels.maker import FileLabelMaker, orderstatus_register_adapters
from orderstatus_labels.zpl import render_zpl

__all__ = ["FileLabelMaker", "orderstatus_register_adapters", "render_zpl"]

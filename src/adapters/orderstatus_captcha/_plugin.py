"""The ``captcha://`` plugin: registers the opener, imports the drawing code only on open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orderstatus_core import AdapterError, AdapterRegistry, hookimpl

if TYPE_CHECKING:
    from orderstatus_captcha.drawn import DrawnCaptcha

__all__ = ["open_captcha", "orderstatus_register_adapters"]


def open_captcha(url: str) -> DrawnCaptcha:
    """Open a ``captcha://`` captcha, importing the ``captcha`` package (and Pillow) only now.

    Every installed plugin is loaded whenever a store opens; a store without accounts must
    not need the ``captcha`` package for that.
    """
    try:
        from orderstatus_captcha.drawn import DrawnCaptcha
    except ImportError as error:
        raise AdapterError(
            "the captcha:// adapter needs the captcha package: "
            "pip install 'orderstatus-core[captcha]'"
        ) from error
    return DrawnCaptcha.from_url(url)


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``captcha://``: image and audio captchas drawn in process."""
    registry.add_captcha("captcha", open_captcha)

"""The captcha adapter: image and audio challenges drawn in process.

``captcha://`` opens a :class:`DrawnCaptcha`: each challenge is a PNG of 6 characters,
distorted, and a WAV recording of the same characters spoken over noise, for people who
cannot read the picture. Options: ``length`` (6), ``alphabet`` (:data:`DEFAULT_ALPHABET`,
no look-alikes), ``ttl`` in seconds (600), ``width`` and ``height`` of the image (240 x 90),
``font`` (repeatable) and ``voices`` for a store's own TrueType fonts and recordings.
Nothing is kept once a challenge is issued: the challenge carries its answer's hash.

Drawing needs the ``captcha`` package and Pillow (``pip install 'orderstatus-core[captcha]'``),
imported when a ``captcha://`` URL is opened, never when the plugin is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orderstatus_captcha._plugin import orderstatus_register_adapters

if TYPE_CHECKING:
    from orderstatus_captcha.drawn import DEFAULT_ALPHABET, DrawnCaptcha

__all__ = ["DEFAULT_ALPHABET", "DrawnCaptcha", "orderstatus_register_adapters"]


def __getattr__(name: str) -> Any:
    # The captcha package is an optional dependency: imported when the adapter is first
    # asked for, never when the plugin is loaded.
    if name in {"DrawnCaptcha", "DEFAULT_ALPHABET"}:
        from orderstatus_captcha import drawn

        return getattr(drawn, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

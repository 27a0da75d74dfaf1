"""Small store plugins that tests hand to ``fake_context(plugins=...)`` or
``OrderStatus.open(plugins=...)``: a policy changes through the hooks, as in a store."""

from __future__ import annotations

from orderstatus_core import hookimpl


class NoGuestPass:
    """A store that lets guests act with the look-up pair alone: no action needs a pass."""

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool:
        return False

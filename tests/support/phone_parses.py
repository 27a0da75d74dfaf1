"""Counting the full phone parses a call makes (phonenumbers.parse, the expensive step)."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pytest


def count_phone_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts ``phonenumbers.parse`` is called with from now on, in call order."""
    parsed: list[str] = []
    parse = phonenumbers.parse

    def counting(text: str, *args: Any, **kwargs: Any) -> phonenumbers.PhoneNumber:
        parsed.append(text)
        return parse(text, *args, **kwargs)

    monkeypatch.setattr(phonenumbers, "parse", counting)
    return parsed

"""Every hook is complete: a default (or a written reason for none), a test and a docs entry.

A new hook is two edits (docs/plugins.md, "Adding a hook"); this file is what notices a
forgotten one.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from orderstatus_core.plugins import builtin, hookspecs
from orderstatus_core.plugins.hookspecs import PROJECT_NAME, WITHOUT_DEFAULT
from support.paths import ROOT

TESTS = ROOT / "tests"
PLUGINS_DOC = ROOT / "docs" / "plugins.md"


def _hook_names(module: object, marker: str) -> set[str]:
    return {
        name
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("orderstatus_") and hasattr(function, f"{PROJECT_NAME}_{marker}")
    }


def _test_text() -> str:
    own = Path(__file__).resolve()
    return "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted(TESTS.rglob("*.py"))
        if path.resolve() != own
    )


def missing_parts(
    specs: Iterable[str],
    defaults: set[str],
    without_default: Mapping[str, str],
    tests: str,
    docs: str,
) -> dict[str, list[str]]:
    """What each hook in ``specs`` lacks: ``default``, ``test`` or ``docs``.

    A docs entry is a line starting with ``orderstatus_name(`` in backquotes (a definition
    list term) or a heading naming the hook.
    """
    doc_lines = [line.strip() for line in docs.splitlines()]
    missing: dict[str, list[str]] = {}
    for name in sorted(specs):
        lacks = []
        if name not in defaults and not without_default.get(name, "").strip():
            lacks.append("default")
        if name not in tests:
            lacks.append("test")
        documented = any(
            line.startswith(f"`{name}(") or (line.startswith("#") and f"`{name}" in line)
            for line in doc_lines
        )
        if not documented:
            lacks.append("docs")
        if lacks:
            missing[name] = lacks
    return missing


SPECS = _hook_names(hookspecs, "spec")
DEFAULTS = _hook_names(builtin, "impl")


def test_every_hook_has_a_default_a_test_and_a_docs_entry() -> None:
    """Each hookspec: the built-in plugin answers it (or WITHOUT_DEFAULT says why not),
    some test names it, and docs/plugins.md has its entry."""
    docs = PLUGINS_DOC.read_text(encoding="utf-8")
    assert missing_parts(SPECS, DEFAULTS, WITHOUT_DEFAULT, _test_text(), docs) == {}


def test_the_hooks_are_found() -> None:
    """The walk over the spec module sees every hook (it cannot pass on an empty list)."""
    assert {"orderstatus_lookup_policy", "orderstatus_register_adapters"} <= SPECS
    assert len(SPECS) >= 14
    assert "orderstatus_lookup_policy" in DEFAULTS


def test_a_hook_has_a_default_or_a_reason_never_both() -> None:
    """WITHOUT_DEFAULT names only real hooks, and only hooks the built-in leaves alone."""
    assert set(WITHOUT_DEFAULT) <= SPECS
    assert not set(WITHOUT_DEFAULT) & DEFAULTS
    assert DEFAULTS <= SPECS


def test_every_default_answers_last() -> None:
    """The built-in defaults are ``trylast``, so any store plugin's answer wins."""
    for name in DEFAULTS:
        options = getattr(getattr(builtin, name), f"{PROJECT_NAME}_impl")
        assert options["trylast"] is True, name


NEW = "orderstatus_gift_wrap_policy"


@pytest.mark.parametrize(
    ("defaults", "reasons", "tests", "docs", "lacks"),
    [
        (set(), {}, "", "", ["default", "test", "docs"]),
        ({NEW}, {}, "", "", ["test", "docs"]),
        (set(), {NEW: "   "}, f"{NEW}()", f"`{NEW}() -> X`", ["default"]),
        ({NEW}, {}, f"def {NEW}", "mentions orderstatus_gift_wrap_policy in prose", ["docs"]),
        ({NEW}, {}, "a test of nothing", f"## `{NEW}`", ["test"]),
    ],
    ids=["nothing", "default only", "blank reason", "docs in prose only", "no test"],
)
def test_the_check_names_each_missing_part(
    defaults: set[str], reasons: dict[str, str], tests: str, docs: str, lacks: list[str]
) -> None:
    """A hook missing its default, test or docs entry is reported, part by part."""
    assert missing_parts([NEW], defaults, reasons, tests, docs) == {NEW: lacks}


@pytest.mark.parametrize(
    ("defaults", "reasons", "docs"),
    [
        ({NEW}, {}, f"`{NEW}(wrap) -> bool | None`\n: Whether to wrap."),
        (set(), {NEW: "a subscription"}, f"### `{NEW}`"),
    ],
)
def test_a_complete_hook_passes_the_check(
    defaults: set[str], reasons: dict[str, str], docs: str
) -> None:
    """With a default (or a reason), a test and an entry, nothing is reported."""
    assert missing_parts([NEW], defaults, reasons, f"hookimpl {NEW}", docs) == {}

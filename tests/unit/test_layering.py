"""The layering rules of DESIGN.md, checked by reading the source."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import orderstatus_core

CORE = Path(orderstatus_core.__file__).parent
PURE_LAYERS = ("model", "policies")
ALLOWED_PURE = (
    "attrs",
    "orderstatus_core.model",
    "orderstatus_core.policies",
    "orderstatus_core.errors",
)
# Standard-library modules that do I/O, read the clock or make randomness.
IMPURE_STDLIB = {
    "asyncio",
    "io",
    "os",
    "pathlib",
    "random",
    "secrets",
    "shutil",
    "socket",
    "sqlite3",
    "subprocess",
    "tempfile",
    "threading",
    "time",
    "urllib.request",
    "uuid",
    "http",
    "smtplib",
    "email.utils",
}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic"}


def _modules(layer: str) -> list[Path]:
    return sorted((CORE / layer).rglob("*.py"))


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _allowed_in_pure_layer(name: str) -> bool:
    top = name.split(".")[0]
    if name == "__future__":
        return True
    if top in sys.stdlib_module_names:
        return name not in IMPURE_STDLIB and top not in IMPURE_STDLIB
    return any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED_PURE)


@pytest.mark.parametrize(
    "path", [p for layer in PURE_LAYERS for p in _modules(layer)], ids=lambda p: p.name
)
def test_model_and_policies_import_only_stdlib_attrs_and_each_other(path: Path) -> None:
    """model/ and policies/ import nothing that could do I/O (DESIGN.md rule 1)."""
    refused = [name for name in _imports(path) if not _allowed_in_pure_layer(name)]
    assert refused == []


@pytest.mark.parametrize(
    "path", [p for layer in PURE_LAYERS for p in _modules(layer)], ids=lambda p: p.name
)
def test_model_and_policies_never_read_the_clock_or_open_files(path: Path) -> None:
    """No ``datetime.now()``, ``open()`` or ``print()`` in the pure layers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
    clock = [f.attr for f in calls if isinstance(f, ast.Attribute) and f.attr in CLOCK_CALLS]
    builtins = [
        f.id for f in calls if isinstance(f, ast.Name) and f.id in {"open", "print", "input"}
    ]
    assert clock == []
    assert builtins == []


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_the_core_never_imports_an_adapter(path: Path) -> None:
    """Only plugins bring adapters in; the core names none of them (DESIGN.md rule 2)."""
    adapters = [
        name
        for name in _imports(path)
        if name.split(".")[0].startswith("orderstatus_")
        and name.split(".")[0] != "orderstatus_core"
    ]
    assert adapters == []


def test_importing_the_core_loads_no_adapter_and_builds_no_plugin_manager() -> None:
    """Importing the public API does no work: no adapter module, no plugin manager."""
    code = (
        "import sys, orderstatus_core, orderstatus_core.services, orderstatus_core.plugins\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('orderstatus_') "
        "and not m.startswith('orderstatus_core'))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_public_api_is_sorted_and_complete() -> None:
    """``__all__`` is sorted and every name in it exists."""
    names = orderstatus_core.__all__
    assert names == sorted(names)
    missing = [name for name in names if not hasattr(orderstatus_core, name)]
    assert missing == []


def test_every_public_object_has_a_docstring() -> None:
    """Each class and function the front-ends may use says what it is."""
    undocumented = [
        name
        for name in orderstatus_core.__all__
        if callable(getattr(orderstatus_core, name))
        and not (getattr(orderstatus_core, name).__doc__ or "").strip()
    ]
    assert undocumented == []

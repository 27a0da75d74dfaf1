"""Every adapter folder is shipped, type-checked and, when it is a plugin, declared as an
entry point: a new adapter that forgets one of them is caught here, not by a user whose
``captcha://`` is unknown after ``pip install``."""

from __future__ import annotations

import importlib
import tomllib

import pytest

from support.paths import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
ADAPTERS = sorted(path.name for path in (ROOT / "src" / "adapters").glob("orderstatus_*"))


def test_the_adapter_folders_are_found() -> None:
    """The walk sees the adapters (it cannot pass on an empty list)."""
    assert {"orderstatus_captcha", "orderstatus_argon2", "orderstatus_sqlite"} <= set(ADAPTERS)


@pytest.mark.parametrize("name", ADAPTERS)
def test_every_adapter_is_in_the_wheel_and_type_checked(name: str) -> None:
    """Listed in the wheel's packages, mypy's packages and coverage's sources."""
    wheel = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert f"src/adapters/{name}" in wheel
    assert name in PYPROJECT["tool"]["mypy"]["packages"]
    assert name in PYPROJECT["tool"]["coverage"]["run"]["source"]


@pytest.mark.parametrize("name", ADAPTERS)
def test_every_plugin_is_an_entry_point(name: str) -> None:
    """A package with ``orderstatus_register_adapters`` is loaded through the
    ``orderstatus`` entry-point group, as every installed plugin is."""
    module = importlib.import_module(name)
    points = PYPROJECT["project"]["entry-points"]["orderstatus"]
    if hasattr(module, "orderstatus_register_adapters"):
        assert name in points.values()
    else:
        assert name not in points.values()


@pytest.mark.parametrize(("extra", "package"), [("captcha", "captcha"), ("argon2", "argon2-cffi")])
def test_the_account_adapters_have_extras_and_are_tested_with_them(
    extra: str, package: str
) -> None:
    """``pip install 'orderstatus-core[captcha]'`` brings what the adapter imports, and the
    test and type-check groups install it too."""
    assert any(
        requirement.startswith(package)
        for requirement in PYPROJECT["project"]["optional-dependencies"][extra]
    )
    for group in ("test", "typecheck"):
        requirements = [
            entry for entry in PYPROJECT["dependency-groups"][group] if isinstance(entry, str)
        ]
        assert any(requirement.startswith(package) for requirement in requirements), group

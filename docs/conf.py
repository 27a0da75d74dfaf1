"""Sphinx configuration: Markdown pages (MyST) and an API reference from the docstrings."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

import orderstatus_core
import orderstatus_core.testing

project = "orderstatus-core"
author = "orderstatus-core developers"
copyright = "orderstatus-core developers"
release = orderstatus_core.__version__
version = release

# docs/_ext holds this site's own extension: local_links checks every link within the site.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

extensions = ["myst_parser", "sphinx.ext.autodoc", "local_links"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]

# Headings up to ### get anchors, so pages can link to a section: [x](page.md#section).
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

# Markdown outside the site whose links are checked too: GitHub shows them.
local_links_markdown = ["../README.md", "../CHANGELOG.md"]

autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"

html_theme = "alabaster"
html_title = f"orderstatus-core {release}"
html_theme_options = {"description": "Order Status & Returns for parts stores"}

_log = logging.getLogger(__name__)


@functools.cache
def _public_names() -> dict[str, str]:
    """Map each public object's defining path, and its bare name, to its documented name.

    Docstrings say ``:class:`OrderNotFound``` or ``:func:`orderstatus_core.contacts.
    parse_email``` from inside their own modules; this page documents them once, as
    ``orderstatus_core.<name>``.
    """
    names: dict[str, str] = {}
    for package in (orderstatus_core.testing, orderstatus_core):  # the core wins a clash
        for name in getattr(package, "__all__", ()):
            obj = getattr(package, name)
            public = f"{package.__name__}.{name}"
            names[name] = public
            module = getattr(obj, "__module__", None)
            qualname = getattr(obj, "__qualname__", None)
            if isinstance(module, str) and isinstance(qualname, str):
                names[f"{module}.{qualname}"] = public
                if "." in module:  # orderstatus_core.errors.X as well as ...errors._impl.X
                    names[f"{module.rpartition('.')[0]}.{qualname}"] = public
    return names


def _resolve_to_public_name(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a reference to a public object by any of its names (``missing-reference``)."""
    if node.get("refdomain") != "py":
        return None
    target: str = node["reftarget"].lstrip("~.")
    head, dot, rest = target.partition(".")
    names = _public_names()
    public = names.get(target)
    if public is None and head in names and dot:  # Class.attribute
        public = f"{names[head]}.{rest}"
    if public is None or public == target:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], public, node, contnode
    )


def _check_public_api_documented(app: Sphinx, env: Any) -> None:
    """Warn (an error under ``-W``) for a name in ``orderstatus_core.__all__`` not in api.md."""
    documented = set(env.get_domain("py").objects)
    for name in orderstatus_core.__all__:
        if name.startswith("__"):
            continue
        if f"orderstatus_core.{name}" not in documented:
            _log.warning("orderstatus_core.%s is public but not in docs/api.md", name)


def setup(app: Sphinx) -> None:
    app.connect("env-check-consistency", _check_public_api_documented)
    app.connect("missing-reference", _resolve_to_public_name)

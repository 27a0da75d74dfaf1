"""The docs build fails on a broken local link or anchor (issue 9 item 17).

Each test builds a two-page site and a README with this project's Sphinx settings for links
(MyST heading anchors and ``docs/_ext/local_links.py``) and reads the warnings, which
``sphinx-build -W`` in ``nox -s docs`` turns into a failed build.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sphinx.application import Sphinx

# MyST still uses Sphinx API that Sphinx has deprecated: its notice is not this test's business.
pytestmark = pytest.mark.filterwarnings("ignore:.*Check CHANGES for Sphinx API modifications")

EXTENSIONS = Path(__file__).parents[2] / "docs" / "_ext"

CONF = f"""
import sys
sys.path.insert(0, {str(EXTENSIONS)!r})
extensions = ["myst_parser", "local_links"]
myst_heading_anchors = 3
local_links_markdown = ["../README.md"]
"""

INDEX = """# Home

## Returns in short

```{toctree}
labels
```
"""

LABELS = """# Labels

## Testing it

Text.
"""

GOOD_LINKS = """
[page](labels.md), [section](labels.md#testing-it), [here](#returns-in-short),
[external](https://example.com/#nowhere)

```{eval-rst}
A docstring's link: `the maker <https://pypi.org/project/reportlab/>`__.
```
"""

GOOD_README = """# Shop

## Quick start

[Labels](docs/labels.md), [Testing it](docs/labels.md#testing-it), [up](#quick-start),
[home](docs/index.md). Code is not a link: `[x](nowhere.md)`.
"""


def _build(tmp_path: Path, *, index_links: str = "", readme_links: str = "") -> str:
    """Build the small site and answer its warnings."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "conf.py").write_text(CONF, encoding="utf-8")
    (docs / "index.md").write_text(INDEX + GOOD_LINKS + index_links, encoding="utf-8")
    (docs / "labels.md").write_text(LABELS, encoding="utf-8")
    (tmp_path / "README.md").write_text(GOOD_README + readme_links, encoding="utf-8")
    warnings = io.StringIO()
    app = Sphinx(
        srcdir=docs,
        confdir=docs,
        outdir=tmp_path / "html",
        doctreedir=tmp_path / "doctrees",
        buildername="html",
        status=None,
        warning=warnings,
        freshenv=True,
    )
    app.build()
    return warnings.getvalue()


def test_a_site_whose_links_all_lead_somewhere_builds_without_warnings(tmp_path: Path) -> None:
    """Links to pages, to sections, within a page and from the README pass the check."""
    assert _build(tmp_path) == ""


@pytest.mark.parametrize(
    ("link", "reported"),
    [
        ("[x](#no-such-section)", "no-such-section"),
        ("[x](labels.md#no-such-section)", "no-such-section"),
        ("[x](no-such-page.md)", "no-such-page.md"),
        ("`x`_\n\n.. _x: https://example.com/", "#x"),  # a docstring's named target
    ],
    ids=["in-page anchor", "other page's anchor", "missing page", "reST named target"],
)
def test_a_broken_link_in_a_page_is_a_warning(tmp_path: Path, link: str, reported: str) -> None:
    """A link within the site to a missing page or anchor warns, wherever it was written."""
    if link.startswith("`"):
        link = f"```{{eval-rst}}\n{link}\n```\n"
    assert reported in _build(tmp_path, index_links=f"\n{link}\n")


@pytest.mark.parametrize(
    "link",
    [
        "[x](docs/no-such-page.md)",
        "[x](docs/labels.md#no-such-section)",
        "[x](#no-such-section)",
        "[x](CHANGELOG.md)",
    ],
    ids=["missing page", "page's anchor", "own anchor", "missing file"],
)
def test_a_broken_link_in_the_readme_is_a_warning(tmp_path: Path, link: str) -> None:
    """README.md, outside the site, has its links and anchors checked against the site."""
    warnings = _build(tmp_path, readme_links=f"\n{link}\n")
    assert "README.md:" in warnings
    assert link.partition("(")[2].rstrip(")") in warnings

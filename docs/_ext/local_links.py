"""A Sphinx extension: every local link of the site, and of README.md, leads somewhere.

MyST already warns for a broken ``[x](page.md#anchor)`` written in a page. It cannot see
links made elsewhere: reStructuredText in a docstring (a named target such as
``.. _phonenumbers: URL`` is not resolved on a MyST page and renders as ``href="#phonenumbers"``
to nothing), and Markdown files outside the site, such as README.md, which GitHub shows.

After an HTML build this reads every page written and every file named in the setting
``local_links_markdown`` (paths relative to the folder of ``conf.py``), and warns for each
local link whose file or ``#anchor`` does not exist; under ``sphinx-build -W`` that fails
the build. A link from one of those Markdown files to a page of the site is checked against
the built page's anchors. External URLs are not fetched: ``sphinx-build -b linkcheck`` does
that where there is a network.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from myst_parser.slugs import github_slugify
from sphinx.application import Sphinx
from sphinx.util import logging

_log = logging.getLogger(__name__)


class _PageReader(HTMLParser):
    """Collect the ``id`` anchors and the ``href`` links of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.anchors.add(value)
            elif name == "href" and tag in {"a", "area"}:
                self.links.append(value)


def _read_page(path: Path) -> _PageReader:
    reader = _PageReader()
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    return reader


def _markdown_links(text: str) -> Iterator[tuple[int, str]]:
    """The line and target of every link in a Markdown text (not those shown in code)."""
    for block in MarkdownIt("commonmark").parse(text):
        line = block.map[0] + 1 if block.map else 0
        for token in block.children or ():
            if token.type == "link_open" and isinstance(href := token.attrGet("href"), str):
                yield line, href


def _markdown_anchors(text: str) -> set[str]:
    """The heading anchors GitHub gives a Markdown file (``-1``, ``-2`` for repeats)."""
    anchors: set[str] = set()
    tokens = MarkdownIt("commonmark").parse(text)
    for opening, inline in pairwise(tokens):
        if opening.type != "heading_open":
            continue
        slug = base = github_slugify(inline.content)
        repeat = 0
        while slug in anchors:
            repeat += 1
            slug = f"{base}-{repeat}"
        anchors.add(slug)
    return anchors


def _local_target(href: str) -> tuple[str, str] | None:
    """``(path, anchor)`` of a link within the site or the repository; None for a URL."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    return unquote(parts.path), unquote(parts.fragment)


class _Site:
    """The anchors of the pages written, read once each."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir.resolve()
        self._anchors: dict[Path, set[str]] = {}

    def pages(self) -> list[Path]:
        return sorted(self.outdir.rglob("*.html"))

    def anchors(self, path: Path) -> set[str]:
        if path not in self._anchors:
            if path.suffix == ".html":
                self._anchors[path] = _read_page(path).anchors
            elif path.suffix == ".md":
                self._anchors[path] = _markdown_anchors(path.read_text(encoding="utf-8"))
            else:
                self._anchors[path] = set()
        return self._anchors[path]


def _problem(site: _Site, target: Path, anchor: str) -> str | None:
    """Why a link to ``target#anchor`` is broken, or None."""
    if not target.exists():
        return "no such file"
    if anchor and anchor not in site.anchors(target):
        return f"no anchor #{anchor} in {target.name}"
    return None


def _check_site(site: _Site) -> None:
    for page in site.pages():
        for href in _read_page(page).links:
            local = _local_target(href)
            if local is None:
                continue
            path, anchor = local
            target = (page.parent / path).resolve() if path else page
            problem = _problem(site, target, anchor)
            if problem is not None:
                _log.warning(
                    "broken link %r in %s: %s",
                    href,
                    page.relative_to(site.outdir).as_posix(),
                    problem,
                    type="local_links",
                )


def _check_markdown_file(app: Sphinx, site: _Site, source: Path) -> None:
    for line, href in _markdown_links(source.read_text(encoding="utf-8")):
        local = _local_target(href)
        if local is None:
            continue
        path, anchor = local
        target = (source.parent / path).resolve() if path else source
        docname = app.env.path2doc(str(target))
        if docname in app.env.found_docs:  # a page of the site: check the built page
            target = site.outdir / app.builder.get_target_uri(docname)
        problem = _problem(site, target, anchor)
        if problem is not None:
            _log.warning(
                "broken link %r: %s", href, problem, location=f"{source}:{line}", type="local_links"
            )


def check_local_links(app: Sphinx, exception: BaseException | None) -> None:
    """Warn for every local link of the HTML site and the extra Markdown files that is broken."""
    if exception is not None or app.builder.format != "html":
        return
    site = _Site(Path(app.outdir))
    _check_site(site)
    for name in app.config.local_links_markdown:
        _check_markdown_file(app, site, (Path(app.confdir) / name).resolve())


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("local_links_markdown", [], "env", types=[list])
    app.connect("build-finished", check_local_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

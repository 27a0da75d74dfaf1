"""README.md's list of documentation leads to every page of the site (issue 9 item 17)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_readme_lists_every_documentation_page() -> None:
    """Each page in docs/ but the site's own start page has a link in README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)[)#]", readme))
    pages = {page.name for page in (ROOT / "docs").glob("*.md")} - {"index.md"}
    assert sorted(pages - linked) == []

"""Where the repository's files are, for tests that read the examples, docs or pyproject."""

from __future__ import annotations

from pathlib import Path

#: The repository's root folder (the one holding pyproject.toml).
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DOCS = ROOT / "docs"

"""The README stays short and its documentation true: every page it or a docs page links exists, and the docs
index lists every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s#]+)(#[^)\s]*)?\)")


def _local_links(page: Path) -> list[str]:
    return [target for target, _ in LINK.findall(page.read_text()) if "://" not in target]


def test_the_readme_is_what_a_newcomer_reads_in_five_minutes():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


@pytest.mark.parametrize("page", [ROOT / "README.md", *PAGES], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_local_link_leads_to_a_file(page: Path):
    missing = [target for target in _local_links(page) if not (page.parent / target).exists()]
    assert not missing, f"{page.name} links to files that do not exist: {missing}"


def test_the_docs_index_lists_every_page_and_the_readme_links_the_index():
    listed = set(_local_links(ROOT / "docs" / "README.md"))
    assert {p.name for p in PAGES if p.name != "README.md"} <= listed
    assert "docs/README.md" in _local_links(ROOT / "README.md")

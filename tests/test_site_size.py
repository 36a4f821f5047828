"""Size budget of the HTML site: every page stays small enough to open and share (figures are embedded PNGs)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_PAGE_BYTES = 3 * 1024 * 1024
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


SITE_PAGES = [*NOTEBOOKS, "index", "data", "glossary"]


@pytest.mark.parametrize("name", SITE_PAGES)
def test_html_page_is_at_most_3_mb(ci_report: Path, name: str) -> None:
    page = ci_report / "outputs" / "html" / f"{name}.html"
    assert page.exists(), f"{name}.html was not written"
    size = page.stat().st_size
    assert size <= MAX_PAGE_BYTES, f"{name}.html is {size / 2**20:.2f} MB, over the 3 MB budget"


def test_every_page_of_the_site_is_checked(ci_report: Path) -> None:
    """No page escapes the budget: the site holds exactly the notebooks' pages, the index, the data-and-sources
    page and the glossary."""
    pages = sorted(p.stem for p in (ci_report / "outputs" / "html").glob("*.html"))
    assert pages == sorted(SITE_PAGES)

"""The HTML site in a real browser: Playwright drives Debian's chromium through the ci report's pages.

From ``outputs/html/index.html`` it opens every page the site links to and checks: no console error and no
uncaught exception, every image loaded (``naturalWidth > 0``), every link resolves (pages exist, anchors exist),
no request leaves the machine, and (once ``00_summary`` exists) the summary shows its verdict table. A
screenshot of each page goes to ``outputs/screenshots/``. Without ``/usr/bin/chromium`` the browser tests skip,
except under CI (env var ``CI`` set), where they fail: ``.ci/run`` installs chromium. Playwright never
downloads a browser here.
"""

from __future__ import annotations

import html
import os
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


@dataclass
class PageReport:
    """What the browser saw on one page."""

    console_errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    network_requests: list[str] = field(default_factory=list)
    verdict_tables: int = 0
    screenshot: Path | None = None


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing on CI: .ci/run must install Debian's chromium (apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); the browser checks need it")


LINKS_JS = "Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
IDS_JS = "Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.getAttribute('name'))"
IMAGES_JS = """Array.from(document.images).map(i => ({src: i.src.slice(0, 60), complete: i.complete,
                                                     width: i.naturalWidth}))"""
VERDICT_JS = """Array.from(document.querySelectorAll('table')).filter(t =>
    Array.from(t.querySelectorAll('th')).some(th => /verdict/i.test(th.textContent))).length"""


@pytest.fixture(scope="module")
def site(ci_report: Path) -> dict[str, PageReport]:
    """Crawl the ci report's site from index.html; one report per page (by file name)."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    html_dir = ci_report / "outputs" / "html"
    shots = ci_report / "outputs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    reports: dict[str, PageReport] = {}
    queue = deque(["index.html"])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            while queue:
                name = queue.popleft()
                if name in reports:
                    continue
                report = reports[name] = PageReport()
                page = context.new_page()
                page.on("console", lambda msg, r=report: r.console_errors.append(msg.text) if msg.type == "error" else None)
                page.on("pageerror", lambda exc, r=report: r.console_errors.append(f"uncaught: {exc}"))

                def route(rt, r=report):
                    if rt.request.url.startswith(("file:", "data:", "blob:", "about:")):
                        return rt.continue_()
                    r.network_requests.append(rt.request.url)
                    return rt.abort()

                page.route("**/*", route)
                page.goto((html_dir / name).as_uri(), wait_until="load")
                page.wait_for_load_state("networkidle")
                report.images = page.evaluate(IMAGES_JS)
                ids = set(page.evaluate(IDS_JS))
                for href in page.evaluate(LINKS_JS):
                    parts = urlsplit(href)
                    if parts.scheme in ("http", "https", "mailto"):
                        report.external_links.append(href)
                    elif not parts.scheme and not parts.netloc and not parts.path:
                        if parts.fragment not in ids and unquote(parts.fragment) not in ids:  # as browsers match
                            report.broken_links.append(href)
                    elif not parts.scheme:
                        target = (html_dir / name).parent / unquote(parts.path)
                        if not target.is_file():
                            report.broken_links.append(href)
                        elif target.suffix == ".html" and target.parent == html_dir:
                            queue.append(target.name)
                    else:
                        report.broken_links.append(href)  # file:// or other absolute links break once moved
                report.verdict_tables = page.evaluate(VERDICT_JS)
                report.screenshot = shots / f"{Path(name).stem}.png"
                page.screenshot(path=str(report.screenshot), full_page=True)
                page.close()
        finally:
            browser.close()
    return reports


PAGES = ["index.html", *[f"{n}.html" for n in NOTEBOOKS], "data.html", "glossary.html"]


def test_index_links_every_page_of_the_site(site: dict[str, PageReport]) -> None:
    """From the index the crawl reaches every notebook's page, the data-and-sources page and the glossary."""
    assert sorted(site) == sorted(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_console_errors(site: dict[str, PageReport], name: str) -> None:
    assert site[name].console_errors == []


@pytest.mark.parametrize("name", PAGES)
def test_page_makes_no_network_request(site: dict[str, PageReport], name: str) -> None:
    assert site[name].network_requests == [], "the page fetches from the network (it must open offline)"


@pytest.mark.parametrize("name", PAGES)
def test_every_image_loaded(site: dict[str, PageReport], name: str) -> None:
    broken = [i for i in site[name].images if not i["complete"] or i["width"] <= 0]
    assert not broken, f"images that did not load: {broken}"


@pytest.mark.parametrize("name", [f"{n}.html" for n in NOTEBOOKS])
def test_notebook_page_shows_its_figures(site: dict[str, PageReport], ci_report: Path, name: str) -> None:
    """Every figure of the executed notebook is an image on the page."""
    nb = nbformat.read(ci_report / "outputs" / "notebooks" / name.replace(".html", ".ipynb"), as_version=4)
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert len(site[name].images) >= figures


@pytest.mark.parametrize("name", PAGES)
def test_every_link_resolves(site: dict[str, PageReport], name: str) -> None:
    assert site[name].broken_links == []


@pytest.mark.parametrize("name", PAGES)
def test_screenshot_saved(site: dict[str, PageReport], name: str) -> None:
    shot = site[name].screenshot
    assert shot is not None and shot.is_file() and shot.stat().st_size > 1000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif("00_summary" not in NOTEBOOKS, reason="00_summary has not landed yet")
def test_summary_shows_its_verdict_table(site: dict[str, PageReport]) -> None:
    assert site["00_summary.html"].verdict_tables >= 1, "the summary page has no table with a 'verdict' column"


def test_site_pages_load_no_script_from_the_network(ci_report: Path) -> None:
    """The runner's site (crackdown.site) drops the lab template's CDN scripts (require.js, MathJax, mermaid) and
    keeps the content: no script, stylesheet or image comes from a URL, and each notebook's page holds its
    heading and its outputs."""
    html_dir = ci_report / "outputs" / "html"
    for page in sorted(html_dir.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=", text), f"{page.name}: a script is loaded from a URL"
        assert not re.search(r"<link[^>]+href=[\"']https?:", text), f"{page.name}: a stylesheet is loaded from a URL"
        assert "cdnjs" not in text and "cdn.jsdelivr" not in text, page.name
    for name in NOTEBOOKS:
        nb = nbformat.read(ci_report / "outputs" / "notebooks" / f"{name}.ipynb", as_version=4)
        text = (html_dir / f"{name}.html").read_text(encoding="utf-8")
        assert "jp-OutputArea" in text, f"{name}.html shows no output"
        title = next(c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                     if c.cell_type == "markdown" and c.source.startswith("# "))
        heading = html.escape(title.split(":")[0].replace("`", "").replace("*", ""), quote=False)
        assert heading in text, f"{name}.html lacks its heading {heading!r}"

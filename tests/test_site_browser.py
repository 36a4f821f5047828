"""The report's site (crackdown.site) in a real browser: Playwright drives Debian's chromium through every page,
at desktop (1280 px) and phone (390 px) width.

The site is built from the ci report's executed notebooks, results and data (the ``ci_report`` fixture), or,
when ``CRACKDOWN_SITE_OUTPUTS`` names an existing ``outputs/`` folder of a ci run, from that folder (to check a
site without rerunning the notebooks). From ``index.html`` every linked page is opened and checked: titles
distinct, every link resolves (pages, anchors, downloads), no code visible in the reader view (and visible after
"Show code"), no horizontal overflow at 390 px, every image loaded, no console error, no network request.
Every notebook page shows each figure of its executed notebook, the summary shows its verdict table, no page loads
a script or stylesheet from a URL, and the notebook pages' tables are for readers: no header is a raw snake_case
column name and no cell shows a bare firm id (data/firms.csv). Screenshots of every page at both widths go to
``outputs/screenshots/site-<page>-<width>.png``. Without ``/usr/bin/chromium`` the tests skip, except under CI,
where they fail. Playwright never downloads a browser here.
"""

from __future__ import annotations

import csv
import html
import os
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup

from crackdown.site import RunInfo, build_site

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "outputs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
PAGES = ["index.html", *[f"{n}.html" for n in NOTEBOOKS], "data.html", "glossary.html"]

LINKS_JS = "Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
IDS_JS = "Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.getAttribute('name'))"
IMAGES_JS = "Array.from(document.images).map(i => ({src: i.src.slice(0, 60), complete: i.complete, width: i.naturalWidth}))"
VISIBLE_CODE_JS = """Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputArea'))
    .filter(e => e.getClientRects().length > 0 && e.offsetHeight > 0).length"""
OVERFLOW_JS = "document.documentElement.scrollWidth - window.innerWidth"
VERDICT_JS = """Array.from(document.querySelectorAll('table')).filter(t =>
    Array.from(t.querySelectorAll('th')).some(th => /verdict/i.test(th.textContent))).length"""
HEADERS_JS = "Array.from(document.querySelectorAll('main table th')).map(th => th.textContent.trim())"
CELLS_JS = "Array.from(document.querySelectorAll('main table td')).map(td => td.textContent.trim())"
SNAKE_CASE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+$")  # t_cs, fined_CNY
RAW_SHORT_NAMES = {"caar", "car", "bhar", "rbar", "se", "coef", "rho"}  # raw columns without an underscore


@dataclass
class PageReport:
    """What the browser saw on one page at one width."""

    title: str = ""
    console_errors: list[str] = field(default_factory=list)
    network_requests: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    visible_code: int = 0
    overflow_px: int = 0
    verdict_tables: int = 0
    table_headers: list[str] = field(default_factory=list)
    table_cells: list[str] = field(default_factory=list)
    screenshot: Path | None = None


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing on CI: .ci/run must install Debian's chromium (apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); the browser checks need it")


@pytest.fixture(scope="module")
def ci_outputs(request: pytest.FixtureRequest) -> tuple[Path, Path]:
    """The ``outputs/`` and ``data/`` folders of a ci run (``CRACKDOWN_SITE_OUTPUTS``, or the ``ci_report``)."""
    _require_chromium()
    if os.environ.get("CRACKDOWN_SITE_OUTPUTS"):
        outputs = Path(os.environ["CRACKDOWN_SITE_OUTPUTS"]).resolve()
        return outputs, outputs.parent / "data"
    root = request.getfixturevalue("ci_report")
    return root / "outputs", root / "data"


@pytest.fixture(scope="module")
def site_dir(ci_outputs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from a ci run's outputs into a scratch folder."""
    outputs, data = ci_outputs
    run = RunInfo.from_status_dir(outputs / "status", "0123456789ab", "0" * 64)
    out = tmp_path_factory.mktemp("site") / "html"
    build_site(outputs / "notebooks", outputs / "results", out, run, data_dir=data)
    return out


def _ids_in_file(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        cache[path] = {t["id"] for t in page.find_all(id=True)}
    return cache[path]


def _crawl(browser, site: Path, width: int, height: int, label: str) -> dict[str, PageReport]:
    context = browser.new_context(viewport={"width": width, "height": height})
    reports: dict[str, PageReport] = {}
    queue, file_ids = deque(["index.html"]), {}
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
        page.goto((site / name).as_uri(), wait_until="load")
        page.wait_for_load_state("networkidle")
        report.title = page.title()
        report.images = page.evaluate(IMAGES_JS)
        report.visible_code = page.evaluate(VISIBLE_CODE_JS)
        report.overflow_px = page.evaluate(OVERFLOW_JS)
        report.verdict_tables = page.evaluate(VERDICT_JS)
        report.table_headers = page.evaluate(HEADERS_JS)
        report.table_cells = page.evaluate(CELLS_JS)
        ids = set(page.evaluate(IDS_JS))
        for href in page.evaluate(LINKS_JS):
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto"):
                continue  # sources on the web: links, never fetched by the page
            if parts.scheme or parts.netloc:
                report.broken_links.append(href)  # file:// or other absolute links break once moved
                continue
            target = site / unquote(parts.path) if parts.path else site / name
            if not target.is_file():
                report.broken_links.append(href)
                continue
            anchors = ids if not parts.path else _ids_in_file(target, file_ids) if target.suffix == ".html" else set()
            if parts.fragment and unquote(parts.fragment) not in anchors and parts.fragment not in anchors:
                report.broken_links.append(href)
            if parts.path and target.suffix == ".html" and target.parent == site:
                queue.append(target.name)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        report.screenshot = SCREENSHOTS / f"site-{Path(name).stem}-{label}.png"
        page.screenshot(path=str(report.screenshot), full_page=label == "desktop" or name == "index.html")
        page.close()
    context.close()
    return reports


@pytest.fixture(scope="module")
def crawl(site_dir: Path) -> dict[str, dict[str, PageReport]]:
    """Every page reachable from index.html, at each width: {width label: {page: report}}."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            return {label: _crawl(browser, site_dir, w, h, label) for label, (w, h) in WIDTHS.items()}
        finally:
            browser.close()


def test_index_reaches_every_page(crawl: dict[str, dict[str, PageReport]]) -> None:
    for label in WIDTHS:
        assert sorted(crawl[label]) == sorted(PAGES)


def test_titles_are_distinct(crawl: dict[str, dict[str, PageReport]]) -> None:
    titles = [r.title for r in crawl["desktop"].values()]
    assert all(titles) and len(set(titles)) == len(titles), titles


@pytest.mark.parametrize("label", list(WIDTHS))
@pytest.mark.parametrize("name", PAGES)
def test_page_is_clean(crawl: dict[str, dict[str, PageReport]], label: str, name: str) -> None:
    """No console error, no network request, every link and download resolves, every image loaded."""
    report = crawl[label][name]
    assert report.console_errors == []
    assert report.network_requests == [], "the page fetches from the network (it must open offline)"
    assert report.broken_links == []
    assert not [i for i in report.images if not i["complete"] or i["width"] <= 0]


@pytest.mark.parametrize("label", list(WIDTHS))
@pytest.mark.parametrize("name", PAGES)
def test_no_code_visible_in_the_reader_view(crawl: dict[str, dict[str, PageReport]], label: str, name: str) -> None:
    assert crawl[label][name].visible_code == 0


@pytest.mark.parametrize("name", PAGES)
def test_no_horizontal_overflow_on_a_phone(crawl: dict[str, dict[str, PageReport]], name: str) -> None:
    assert crawl["phone"][name].overflow_px <= 0, "the page scrolls sideways at 390 px"


@pytest.mark.parametrize("label", list(WIDTHS))
@pytest.mark.parametrize("name", PAGES)
def test_screenshot_saved(crawl: dict[str, dict[str, PageReport]], label: str, name: str) -> None:
    shot = crawl[label][name].screenshot
    assert shot is not None and shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_page_is_at_most_3_mb(site_dir: Path) -> None:
    sizes = {p.name: p.stat().st_size for p in site_dir.glob("*.html")}
    assert sorted(sizes) == sorted(PAGES)
    assert {n: s for n, s in sizes.items() if s > 3 * 1024 * 1024} == {}


@pytest.mark.skipif("04_market_reaction" not in NOTEBOOKS, reason="04_market_reaction has not landed")
def test_show_code_reveals_the_code(site_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((site_dir / "04_market_reaction.html").as_uri(), wait_until="load")
            assert page.evaluate(VISIBLE_CODE_JS) == 0
            page.click("button.toggle-code")
            assert page.evaluate(VISIBLE_CODE_JS) > 0
            assert page.get_attribute("button.toggle-code", "aria-pressed") == "true"
        finally:
            browser.close()


@pytest.mark.parametrize("name", [f"{n}.html" for n in NOTEBOOKS])
def test_notebook_page_shows_its_figures(crawl: dict[str, dict[str, PageReport]], ci_outputs: tuple[Path, Path],
                                         name: str) -> None:
    """Every figure of the executed notebook is an image on the page."""
    nb = nbformat.read(ci_outputs[0] / "notebooks" / name.replace(".html", ".ipynb"), as_version=4)
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert len(crawl["desktop"][name].images) >= figures


@pytest.mark.skipif("00_summary" not in NOTEBOOKS, reason="00_summary has not landed yet")
def test_summary_shows_its_verdict_table(crawl: dict[str, dict[str, PageReport]]) -> None:
    assert crawl["desktop"]["00_summary.html"].verdict_tables >= 1, "the summary page has no table with a 'verdict' column"


def test_site_pages_load_no_script_from_the_network(site_dir: Path, ci_outputs: tuple[Path, Path]) -> None:
    """The lab template's CDN scripts (require.js, MathJax, mermaid) are dropped and the content kept: no script,
    stylesheet or image comes from a URL, and each notebook's page holds its heading and its outputs."""
    for page in sorted(site_dir.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=", text), f"{page.name}: a script is loaded from a URL"
        assert not re.search(r"<link[^>]+href=[\"']https?:", text), f"{page.name}: a stylesheet is loaded from a URL"
        assert "cdnjs" not in text and "cdn.jsdelivr" not in text, page.name
    for name in NOTEBOOKS:
        nb = nbformat.read(ci_outputs[0] / "notebooks" / f"{name}.ipynb", as_version=4)
        text = (site_dir / f"{name}.html").read_text(encoding="utf-8")
        assert "jp-OutputArea" in text, f"{name}.html shows no output"
        title = next(c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                     if c.cell_type == "markdown" and c.source.startswith("# "))
        heading = html.escape(title.split(":")[0].replace("`", "").replace("*", ""), quote=False)
        assert heading in text, f"{name}.html lacks its heading {heading!r}"


def _is_raw_column_name(header: str) -> bool:
    return bool(SNAKE_CASE.match(header)) or header in RAW_SHORT_NAMES


@pytest.mark.parametrize(("header", "raw"), [("t_cs", True), ("fined_CNY", True), ("p_kp_overlap", True), ("caar", True),
                                             ("CAAR (%)", False), ("t (cross-sectional)", False), ("firm", False)])
def test_raw_column_name_rule(header: str, raw: bool) -> None:
    assert _is_raw_column_name(header) is raw


@pytest.mark.parametrize("name", [f"{n}.html" for n in NOTEBOOKS])
def test_no_table_header_is_a_raw_column_name(crawl: dict[str, dict[str, PageReport]], name: str) -> None:
    """Notebook tables are labelled for readers (crackdown.display); the data page keeps its CSV files' column
    names on purpose (they name the columns of the downloads)."""
    headers = crawl["desktop"][name].table_headers
    raw = sorted({h for h in headers if _is_raw_column_name(h)})
    assert raw == [], f"raw column names in table headers: {raw}"


@pytest.mark.parametrize("name", [f"{n}.html" for n in NOTEBOOKS])
def test_no_bare_firm_id_in_table_cells(crawl: dict[str, dict[str, PageReport]], ci_outputs: tuple[Path, Path],
                                        name: str) -> None:
    """Firms appear by name in the notebooks' tables: no cell (or item of a comma- or semicolon-separated cell) is
    a firm id. Only notebook pages: the index's cells quote the notebooks' answers and the data page the data
    files' notes, prose whose wording is not a table's (the data page shows its firm columns as names itself)."""
    with (ci_outputs[1] / "firms.csv").open(encoding="utf-8") as f:
        firm_ids = {row["firm_id"] for row in csv.DictReader(f)}
    bare = sorted({t for cell in crawl["desktop"][name].table_cells for t in re.split(r"\s*[;,]\s*", cell)
                   if t in firm_ids})
    assert bare == [], f"firm ids shown instead of names: {bare}"

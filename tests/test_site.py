"""The site builder (crackdown.site) on small hand-made executed notebooks, results records and the fixture data.

Checks what a reader relies on: titles, navigation order, contents, the answer box first, the reader view
(code hidden, stray outputs gone), tables without row numbers and with firm names, glossary links on first
occurrences, the data page's row counts and source links, downloads that exist and match the page, no
network reference, the 3 MB budget, and a rebuild that replaces stale downloads.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import matplotlib
import nbformat
import pytest
from bs4 import BeautifulSoup

from crackdown.site import NotebookStatus, RunInfo, build_site
from crackdown.site.enhance import link_terms, tidy_table
from crackdown.site.glossary import TERMS
from crackdown.site.reader import ReaderViewPreprocessor, is_stray_output

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DATA = ROOT / "tests" / "fixtures" / "valid" / "data"
V4 = nbformat.v4
ANSWER_00 = "The evidence is mixed: 1 of 2 lines support it."
ANSWER_01 = "Platforms fell 2.0% more than aligned firms."


def _png() -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


FRAME_HTML = ('<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th><th>firm_id</th>'
              "<th>fine_CNY</th><th>event_id</th></tr></thead><tbody><tr><th>0</th><td>alibaba</td><td>18228.0</td>"
              "<td>alibaba_fined_2021</td></tr><tr><th>1</th><td>ant_group</td><td>0.5</td>"
              "<td>ant_ipo_suspended_2020; meituan_probe_2021</td></tr></tbody></table>")


def _summary_notebook() -> nbformat.NotebookNode:
    parameters = V4.new_code_cell("alpha = 0.05")
    parameters.metadata["tags"] = ["parameters"]
    return V4.new_notebook(metadata={"crackdown": {"question": "Were the aligned firms spared?"}}, cells=[
        V4.new_markdown_cell("# 00 · Summary: were they spared?\n\nWe compare each CAR with its CAAR; a CAR again."),
        parameters,
        V4.new_code_cell("import secret_module_name", outputs=[
            V4.new_output("stream", name="stderr", text="DeprecationWarning: noisy\n")]),
        V4.new_markdown_cell("## Fines per firm\n\nThe `CAR` in code is not a term, the p-value is."),
        V4.new_code_cell("table", outputs=[
            V4.new_output("execute_result", {"text/html": FRAME_HTML, "text/plain": "..."}, execution_count=3)]),
        V4.new_code_cell("write_results()", outputs=[
            V4.new_output("execute_result", {"text/plain": "PosixPath('outputs/results/00_summary.json')"},
                          execution_count=4)]),
        V4.new_markdown_cell("## What this shows"),
        V4.new_code_cell("print(n)", outputs=[V4.new_output("stream", name="stdout", text="22 attempts by 21 firms\n")]),
    ])


def _other_notebook(png: str) -> nbformat.NotebookNode:
    removed = V4.new_code_cell("hidden_cell_code()", outputs=[V4.new_output("stream", name="stdout", text="gone\n")])
    removed.metadata["tags"] = ["remove-cell"]
    return V4.new_notebook(metadata={"crackdown": {"question": "How did markets react?"}}, cells=[
        V4.new_markdown_cell("# 01 · Market reaction: how did markets react?\n\nFrom `data/events.csv`."),
        V4.new_code_cell("fig", outputs=[V4.new_output("display_data", {"image/png": png, "text/plain": "<Figure>"})]),
        removed,
        V4.new_markdown_cell("## The placebo test\n\nA placebo draw moves each event."),
    ])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("site-inputs")
    notebooks, results = base / "notebooks", base / "results"
    notebooks.mkdir()
    results.mkdir()
    png = _png()
    nbformat.write(_summary_notebook(), notebooks / "00_summary.ipynb")
    nbformat.write(_other_notebook(png), notebooks / "01_market.ipynb")
    (results / "00_summary.json").write_text(json.dumps({
        "notebook": "00_summary", "answer": ANSWER_00, "alpha": 0.05,
        "caveats": ["Few firms: one firm can move a group's average."],
        "evidence": [{"notebook": "01_market", "line_of_evidence": "Market reaction", "verdict": "supports",
                      "statistic": "long-short CAR", "estimate": -0.02, "p_value": 0.01, "n": 12,
                      "answer": ANSWER_01}],
    }))
    (results / "01_market.json").write_text(json.dumps({"notebook": "01_market", "answer": ANSWER_01}))
    data = base / "data"
    shutil.copytree(FIXTURE_DATA, data)
    return {"notebooks": notebooks, "results": results, "data": data, "png": png}


RUN = RunInfo(commit="0123456789ab", data_hash="f" * 64, notebooks=[
    NotebookStatus("00_summary", "Were the aligned firms spared?", "ok", 1.5, {"alpha": 0.05}, reused=True),
    NotebookStatus("01_market", "How did markets react?", "failed", 2.0, {}, "01_market: failed in cell 3: boom"),
])
PAGES = ["index.html", "00_summary.html", "01_market.html", "data.html", "glossary.html"]


@pytest.fixture(scope="module")
def site(inputs: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "html"
    index = build_site(inputs["notebooks"], inputs["results"], out, RUN, data_dir=inputs["data"])
    assert index == out / "index.html"
    return out


def soup(site: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((site / name).read_text(encoding="utf-8"), "html.parser")


def main_text(page: BeautifulSoup) -> str:
    return page.find("main").get_text(" ", strip=True)


def test_the_site_holds_index_notebook_pages_data_and_glossary(site: Path) -> None:
    assert sorted(p.name for p in site.glob("*.html")) == sorted(PAGES)


def test_titles_are_distinct_and_every_page_has_a_viewport(site: Path) -> None:
    titles = [soup(site, p).title.get_text() for p in PAGES]
    assert len(set(titles)) == len(titles)
    assert titles[1] == "00 · Summary: were they spared? | crackdown report"
    for name in PAGES:
        assert soup(site, name).find("meta", attrs={"name": "viewport"}) is not None, name


def test_navigation_links_home_previous_next_and_all_pages(site: Path) -> None:
    for at, name in enumerate(PAGES):
        header = soup(site, name).find("header", class_="site-header")
        assert header.find("a", class_="brand")["href"] == "index.html"
        prev_link, next_link = header.find("a", rel="prev"), header.find("a", rel="next")
        assert (prev_link["href"] if prev_link else None) == (PAGES[at - 1] if at else None)
        assert (next_link["href"] if next_link else None) == (PAGES[at + 1] if at + 1 < len(PAGES) else None)
        assert [a["href"] for a in header.select("details.all-pages a")] == PAGES


def test_contents_list_each_section_by_an_existing_id(site: Path) -> None:
    page = soup(site, "00_summary.html")
    toc = page.find("nav", class_="toc")
    targets = [a["href"][1:] for a in toc.find_all("a")]
    assert [a.get_text() for a in toc.find_all("a")] == ["Answer", "Fines per firm", "What this shows", "Downloads"]
    assert all(page.find(id=t) is not None for t in targets)


def test_answer_box_comes_right_after_the_title(site: Path) -> None:
    page = soup(site, "00_summary.html")
    h1 = page.find("main").find("h1")
    box = h1.find_next_sibling()
    assert "answer-box" in box["class"] and ANSWER_00 in box.get_text()
    other = soup(site, "01_market.html").find("section", class_="answer-box")
    assert ANSWER_01.split(" more")[0] in other.get_text(" ")
    assert other.find(class_="verdict-supports") is not None


def test_reader_view_hides_code_and_drops_stray_outputs(site: Path) -> None:
    html_text = (site / "00_summary.html").read_text()
    page = soup(site, "00_summary.html")
    assert "PosixPath" not in html_text and "DeprecationWarning" not in html_text
    assert "22 attempts by 21 firms" in main_text(page)
    # the code stays in the page, in the input areas the reader-view rule hides until "Show code"
    assert "secret_module_name" in html_text
    assert "body.site:not(.show-code) .jp-CodeCell .jp-InputArea" in html_text
    assert page.find("button", class_="toggle-code") is not None
    assert "hidden_cell_code" not in (site / "01_market.html").read_text()


@pytest.mark.parametrize(("output", "stray"), [
    ({"output_type": "execute_result", "data": {"text/plain": "PosixPath('x')"}}, True),
    ({"output_type": "execute_result", "data": {"text/plain": "t", "text/html": "<table></table>"}}, False),
    ({"output_type": "display_data", "data": {"text/plain": "t"}}, False),
    ({"output_type": "stream", "name": "stderr", "text": "warn"}, True),
    ({"output_type": "stream", "name": "stdout", "text": "n = 3"}, False),
])
def test_stray_output_rule(output: dict, stray: bool) -> None:
    assert is_stray_output(output) is stray


def test_remove_tags_work_as_in_jupyter_book() -> None:
    def cell(tag: str) -> nbformat.NotebookNode:
        c = V4.new_code_cell(f"code_{tag}()", outputs=[V4.new_output("stream", name="stdout", text=f"out_{tag}")])
        c.metadata["tags"] = [tag]
        return c

    nb = V4.new_notebook(cells=[cell("remove-cell"), cell("remove-output"), cell("remove-input")])
    nb, _ = ReaderViewPreprocessor().preprocess(nb, {})
    assert [(c.source, len(c.outputs)) for c in nb.cells] == [("code_remove-output()", 0), ("", 1)]


def test_tables_lose_row_numbers_and_show_firm_names(site: Path) -> None:
    table = soup(site, "00_summary.html").find("main").find("table")
    assert table.parent["class"] == ["table-scroll"]
    rows = [[c.get_text().strip() for c in tr.find_all(["th", "td"])] for tr in table.find_all("tr")]
    with open(FIXTURE_DATA / "firms.csv", encoding="utf-8") as handle:
        names = {r["firm_id"]: r["name"] for r in csv.DictReader(handle)}
    assert rows == [["firm_id", "fine_CNY", "event_id"], [names["alibaba"], "18228.0", "alibaba_fined_2021"],
                    [names["ant_group"], "0.5", "ant_ipo_suspended_2020, meituan_probe_2021"]]
    assert table.find("td", title="alibaba") is not None


def test_event_ids_in_tables_link_to_their_row_and_sources(site: Path) -> None:
    table = soup(site, "00_summary.html").find("main").find("table")
    hrefs = [a["href"] for a in table.find_all("a")]
    assert hrefs == ["data.html#events-alibaba_fined_2021", "data.html#events-ant_ipo_suspended_2020",
                     "data.html#events-meituan_probe_2021"]
    row = soup(site, "data.html").find(id="events-alibaba_fined_2021")
    with open(FIXTURE_DATA / "events.csv", encoding="utf-8", newline="") as handle:
        record = next(r for r in csv.DictReader(handle) if r["event_id"] == "alibaba_fined_2021")
    assert row.name == "tr" and {a["href"] for a in row.select("td.sources a")} == {
        u.strip() for u in record["sources"].split(";") if u.strip()}


def test_glossary_links_only_the_first_occurrence_outside_code_and_headings(site: Path) -> None:
    page = soup(site, "00_summary.html")
    links = [a["href"] for a in page.find("main").find_all("a", class_="term")]
    assert links.count("glossary.html#car") == 1 and links.count("glossary.html#caar") == 1
    assert "glossary.html#p-value" in links
    assert not page.find("main").select("h1 a.term, h2 a.term, code a.term")
    glossary = soup(site, "glossary.html")
    assert all(glossary.find(id=t.id) is not None for t in TERMS)
    assert len({t.id for t in TERMS}) == len(TERMS)
    market = soup(site, "01_market.html").find("main")
    assert market.find("a", href="glossary.html#placebo").get_text() == "placebo"


def test_tidy_table_right_aligns_numbers_and_p_values_and_keeps_dates_whole() -> None:
    page = BeautifulSoup("<table><thead><tr><th>p</th><th>t</th><th>date</th><th>kind</th></tr></thead><tbody><tr>"
                         "<td>&lt; 0.001</td><td>-1,234.5</td><td>2020-11-02</td><td>0.5 or less</td></tr></tbody></table>",
                         "html.parser")
    tidy_table(page.table, {})
    assert [td.get("class") for td in page.find_all("td")] == [["num"], ["num"], ["date"], None]


def test_glossary_links_a_term_first_met_in_a_table_header_but_never_in_cells() -> None:
    page = BeautifulSoup("<main><table><thead><tr><th>CAAR (%)</th><th>p (BMP)</th></tr></thead><tbody><tr>"
                         "<td>CAR</td><td>placebo</td></tr></tbody></table><p>The CAAR and the CAR here.</p></main>",
                         "html.parser")
    assert link_terms(page) == ["caar", "bmp", "car"]
    assert [(a.get_text(), a.parent.name) for a in page.select("a.term")] == [("CAAR", "th"), ("BMP", "th"), ("CAR", "p")]


@pytest.mark.parametrize("table", ["events.csv", "penalties.csv", "ipos.csv", "alignment.csv", "firms.csv", "securities.csv"])
def test_data_page_counts_rows_and_links_every_source(site: Path, table: str) -> None:
    with open(FIXTURE_DATA / table, encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    section = soup(site, "data.html").find("section", id=table.removesuffix(".csv"))
    assert f"{len(records)} rows" in section.get_text()
    hrefs = {a["href"] for a in section.select("td.sources a")}
    urls = {u.strip() for r in records for u in r["sources"].split(";") if u.strip()}
    assert urls and urls <= hrefs
    assert len(section.select("tbody tr")) == len(records)


def _local_targets(site: Path, name: str) -> list[str]:
    return [a["href"] for a in soup(site, name).find_all("a", href=True)
            if not re.match(r"^(https?:|mailto:|#)", a["href"])]


@pytest.mark.parametrize("name", PAGES)
def test_every_local_link_resolves(site: Path, name: str) -> None:
    for href in _local_targets(site, name):
        path, _, anchor = href.partition("#")
        assert (site / path).is_file(), f"{name}: {href}"
        if anchor:
            assert soup(site, path).find(id=anchor) is not None, f"{name}: {href}"


def test_downloads_match_the_page(site: Path, inputs: dict[str, Any]) -> None:
    page = soup(site, "01_market.html")
    hrefs = [a["href"] for a in page.find_all("a", download=True)]
    assert "downloads/results/01_market.json" in hrefs and "downloads/notebooks/01_market.ipynb" in hrefs
    assert "downloads/data/events.csv" in hrefs
    figure = site / "downloads" / "figures" / "01_market-figure-1.png"
    assert figure.read_bytes() == base64.b64decode(inputs["png"])
    assert json.loads((site / "downloads/results/01_market.json").read_text())["answer"] == ANSWER_01
    table_csv = (site / "downloads" / "tables" / "00_summary-table-1.csv").read_text().splitlines()
    assert table_csv[0] == "firm_id,fine_CNY,event_id" and table_csv[1].endswith(",18228.0,alibaba_fined_2021")


def test_index_leads_with_question_answer_verdicts_and_caveats(site: Path) -> None:
    page = soup(site, "index.html")
    main = page.find("main")
    assert main.find("h1").get_text() == "Were the aligned firms spared?"
    h2s = [h.get_text() for h in main.find_all("h2")]
    assert h2s[:3] == ["Answer", "Verdict per line of evidence", "Caveats"]
    assert h2s.index("Run details") > h2s.index("Caveats")
    verdicts = main.find(id="verdicts").find_next("table")
    assert "supports" in verdicts.get_text() and "Market reaction" in verdicts.get_text()
    assert "Few firms" in main.find(id="caveats").find_next("ul").get_text()
    details = main.find(id="run-details").find_next("table").get_text(" ")
    assert "failed" in details and "01_market: failed in cell 3: boom" in details and "alpha=0.05" in details
    assert "ok (reused)" in details
    cite = main.find(id="how-to-cite").find_next("blockquote").get_text()
    assert RUN.commit in cite and RUN.data_hash in cite


def test_failed_notebook_page_says_it_shows_the_last_good_output(site: Path) -> None:
    assert "last good output" in soup(site, "01_market.html").find("section", class_="answer-box").get_text()
    assert "last good output" not in soup(site, "00_summary.html").get_text()


@pytest.mark.parametrize("name", PAGES)
def test_pages_reference_nothing_on_the_network_and_stay_under_3_mb(site: Path, name: str) -> None:
    text = (site / name).read_text(encoding="utf-8")
    page = BeautifulSoup(text, "html.parser")
    assert not page.find_all("script", src=True) and not page.find_all("link", href=True)
    assert not [t for t in page.find_all(src=True) if not t["src"].startswith("data:")]
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), "a stylesheet loads from the network"
    assert (site / name).stat().st_size <= 3 * 1024 * 1024


def test_rebuild_replaces_downloads_and_keeps_other_files(inputs: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "html"
    build_site(inputs["notebooks"], inputs["results"], out, RUN, data_dir=inputs["data"])
    (out / "downloads" / "figures" / "stale.png").write_bytes(b"old")
    (out / "keep.txt").write_text("mine")
    build_site(inputs["notebooks"], inputs["results"], out, RUN, data_dir=inputs["data"])
    assert not (out / "downloads" / "figures" / "stale.png").exists()
    assert (out / "keep.txt").read_text() == "mine"
    assert not list(tmp_path.glob(".site-*")), "the staging folder was left behind"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_pages_built_in_parallel_are_those_built_one_by_one(inputs: dict[str, Any], tmp_path: Path) -> None:
    build_site(inputs["notebooks"], inputs["results"], tmp_path / "serial", RUN, data_dir=inputs["data"], jobs=1)
    build_site(inputs["notebooks"], inputs["results"], tmp_path / "parallel", RUN, data_dir=inputs["data"], jobs=3)
    serial, parallel = _files(tmp_path / "serial"), _files(tmp_path / "parallel")
    assert sorted(serial) == sorted(parallel)
    assert [name for name in serial if serial[name] != parallel[name]] == []


def test_a_page_failing_in_a_worker_fails_the_build_and_keeps_the_previous_site(
        inputs: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "html"
    build_site(inputs["notebooks"], inputs["results"], out, RUN, data_dir=inputs["data"], jobs=2)
    before = _files(out)
    from crackdown.site.build import SiteBuilder

    def broken(self, page) -> None:
        if page.name == "01_market":
            raise ValueError("01_market: cannot render")
        return real(self, page)

    real = SiteBuilder.notebook_page
    monkeypatch.setattr(SiteBuilder, "notebook_page", broken)  # forked workers inherit the patch
    with pytest.raises(ValueError, match="01_market: cannot render"):
        build_site(inputs["notebooks"], inputs["results"], out, RUN, data_dir=inputs["data"], jobs=2)
    assert _files(out) == before
    assert not list(tmp_path.glob(".site-*")), "the staging folder was left behind"


def test_a_missing_input_folder_is_named(inputs: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="results_dir"):
        build_site(inputs["notebooks"], tmp_path / "nope", tmp_path / "html", RUN, data_dir=inputs["data"])
    assert not (tmp_path / "html").exists()


def test_run_info_reads_the_runner_status_records(tmp_path: Path) -> None:
    (tmp_path / "04_x.json").write_text(json.dumps({"name": "04_x", "question": "q", "status": "ok", "duration_s": 3.2,
                                                    "parameters": {"window": [0, 1]}, "error": "", "answer": "a",
                                                    "reused": True, "cache_key": "abc"}))
    run = RunInfo.from_status_dir(tmp_path, "c", "h")
    assert run.notebooks == [NotebookStatus("04_x", "q", "ok", 3.2, {"window": [0, 1]}, "", "a", reused=True)]

"""Build the report's site from the executed notebooks, their results records and the data.

:func:`build_site` writes ``index.html`` (the question, the verdict per line of evidence, the caveats, the
notebooks, citation and run details), one reader-view page per executed notebook, ``data.html`` (every data
table with its sources) and ``glossary.html``, plus ``downloads/`` (results JSON, executed notebooks, data CSVs,
every figure as PNG and every table as CSV). Pages are self-contained: styles and figures inline, one small
inline script, nothing loaded from the network. Everything is built in a staging folder and moved into place
at the end, so a failed build leaves the previous site intact.
"""

from __future__ import annotations

import html
import json
import multiprocessing
import os
import re
import shutil
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from bs4 import BeautifulSoup

from crackdown import paths
from crackdown.site import enhance, layout
from crackdown.site.datapage import data_page_body, data_tables, firm_names, row_links
from crackdown.site.glossary import TERMS
from crackdown.site.reader import export_reader_html
from crackdown.text import fmt_p

REPORT_TITLE = "crackdown: were China's government-aligned AI firms spared the 2020-2022 tech crackdown?"
INDEX, DATA_PAGE, GLOSSARY_PAGE = "index.html", "data.html", "glossary.html"
SUMMARY = "00_summary"


@dataclass
class NotebookStatus:
    """How a notebook's last run went (the runner's status record)."""

    name: str
    question: str = ""
    status: str = "ok"
    duration_s: float | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    answer: str = ""
    reused: bool = False  # outputs republished from the execution cache, not re-executed


@dataclass
class RunInfo:
    """What the site says about the run: commit, data hash, each notebook's status, the report's title."""

    commit: str
    data_hash: str
    notebooks: list[NotebookStatus] = field(default_factory=list)
    title: str = REPORT_TITLE

    @classmethod
    def from_status_dir(cls, status_dir: Path, commit: str, data_hash: str) -> RunInfo:
        """Read the runner's ``outputs/status/<notebook>.json`` records (unknown keys are ignored)."""
        known = set(NotebookStatus.__dataclass_fields__)
        runs = []
        for path in sorted(Path(status_dir).glob("*.json")):
            record = json.loads(path.read_text(encoding="utf-8"))
            runs.append(NotebookStatus(**{k: v for k, v in record.items() if k in known}))
        return cls(commit, data_hash, runs)

    def status(self, name: str) -> NotebookStatus | None:
        return next((n for n in self.notebooks if n.name == name), None)


@dataclass
class NotebookPage:
    """An executed notebook and what its page shows."""

    name: str
    notebook: nbformat.NotebookNode
    heading: str
    question: str
    results: dict[str, Any]

    @property
    def file(self) -> str:
        return f"{self.name}.html"

    @property
    def label(self) -> str:
        return self.heading.split(":")[0].strip()


def _heading(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if match:
                return re.sub(r"[*_`]", "", match.group(1)).strip()
    return fallback


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise ValueError(f"{path.name}: not valid JSON ({exc})") from exc


def _data_used(nb: nbformat.NotebookNode, tables: list[str]) -> list[str]:
    """The data tables a notebook names in its text or loads in its code (``events.csv``, ``load_events``)."""
    text = "\n".join(c.source for c in nb.cells)
    named = set(re.findall(r"\b([a-z_]+)\.csv\b", text)) | set(re.findall(r"\bload_([a-z_]+)\(", text))
    if named & {"prices", "returns"}:
        named.add("securities")
    return [t for t in tables if t.removesuffix(".csv") in named]


def _citation_short(run: RunInfo) -> str:
    return (f"Cite as: crackdown report, commit <code>{html.escape(run.commit)}</code>, data sha256 "
            f"<code>{html.escape(run.data_hash[:12])}</code>.")


def _verdict_badge(verdict: str) -> str:
    return f'<span class="verdict verdict-{html.escape(verdict.replace(" ", "-"))}">{html.escape(verdict)}</span>'


def _answer_box(page: NotebookPage, evidence: dict[str, dict[str, Any]], soup: BeautifulSoup) -> str:
    answer = page.results.get("answer") or "No computed answer: this notebook wrote no results record."
    parts = [f"<p>{html.escape(str(answer))}</p>"]
    line = evidence.get(page.name)
    if line:
        parts.append(
            f"<p>Line of evidence: {html.escape(line.get('line_of_evidence', ''))}: {_verdict_badge(line.get('verdict', ''))} "
            f"({html.escape(str(line.get('statistic', '')))}, p {fmt_p(line.get('p_value'))}, n = {line.get('n', 'n/a')}).</p>")
    elif page.name == SUMMARY and page.results.get("counts"):
        parts.append("<p>" + ", ".join(f"{n} {html.escape(v)}" for v, n in page.results["counts"].items()) + ".</p>")
    shows = next((h for h in soup.find_all("h2") if enhance._heading_text(h).lower().startswith("what this shows")), None)
    if shows is not None and shows.get("id"):
        parts.append(f'<p><a href="#{html.escape(shows["id"])}">Read what this shows</a> · '
                     '<a href="#downloads">Downloads</a></p>')
    return f'<section class="answer-box" aria-labelledby="answer"><h2 id="answer">Answer</h2>{"".join(parts)}</section>'


class SiteBuilder:
    """Builds one site into a staging folder (see :func:`build_site`)."""

    def __init__(self, notebooks_dir: Path, results_dir: Path, data_dir: Path, run: RunInfo, stage: Path):
        self.run, self.stage, self.data_dir, self.results_dir = run, stage, data_dir, results_dir
        self.downloads = stage / "downloads"
        self.results = {p.stem: _read_json(p) for p in sorted(Path(results_dir).glob("*.json"))}
        self.notebook_paths = sorted(Path(notebooks_dir).glob("*.ipynb"))
        self.pages: list[NotebookPage] = []
        for path in self.notebook_paths:
            nb = nbformat.read(path, as_version=4)
            question = nb.metadata.get("crackdown", {}).get("question", "")
            status = run.status(path.stem)
            self.pages.append(NotebookPage(path.stem, nb, _heading(nb, path.stem),
                                           question or (status.question if status else ""), self.results.get(path.stem, {})))
        self.tables = [p.name for p in data_tables(data_dir)]
        self.refs = [layout.PageRef(INDEX, "Overview", run.title),
                     *[layout.PageRef(p.file, p.label, p.heading) for p in self.pages],
                     layout.PageRef(DATA_PAGE, "Data and sources", "Data and sources"),
                     layout.PageRef(GLOSSARY_PAGE, "Glossary", "Glossary")]
        summary = self.results.get(SUMMARY, {})
        self.evidence = {e["notebook"]: e for e in summary.get("evidence", []) if e.get("notebook")}
        self.firm_names = firm_names(data_dir)
        self.row_links = row_links(data_dir, DATA_PAGE)

    # --- files -------------------------------------------------------------------------------------------
    def copy_downloads(self) -> None:
        for sub in ("results", "notebooks", "data"):
            (self.downloads / sub).mkdir(parents=True, exist_ok=True)
        for name in self.results:
            shutil.copyfile(self._results_path(name), self.downloads / "results" / f"{name}.json")
        for path in self.notebook_paths:
            shutil.copyfile(path, self.downloads / "notebooks" / path.name)
        for table in self.tables:
            shutil.copyfile(self.data_dir / table, self.downloads / "data" / table)

    def _results_path(self, name: str) -> Path:
        return self.results_dir / f"{name}.json"

    def write(self, file: str, text: str) -> None:
        (self.stage / file).write_text(text, encoding="utf-8")

    # --- pages -------------------------------------------------------------------------------------------
    def finish(self, page: str | BeautifulSoup, stem: str, *, terms: bool = True,
               extra_downloads: list[tuple[str, str]] | None = None) -> str:
        """Tables (row links to the data page except on it), glossary links, figure/table downloads, the
        downloads section and the table of contents."""
        soup = page if isinstance(page, BeautifulSoup) else BeautifulSoup(page, "html.parser")
        enhance.tidy_tables(soup, self.firm_names, None if stem == DATA_PAGE.removesuffix(".html") else self.row_links)
        if terms:
            enhance.link_terms(soup, GLOSSARY_PAGE)
        files = enhance.export_figures_and_tables(soup, stem, self.downloads)
        if extra_downloads is not None:
            items = "".join(f'<li><a class="download" download href="{html.escape(h)}">{html.escape(t)}</a></li>'
                            for t, h in [*extra_downloads, *files])
            section = BeautifulSoup(
                f'<section class="downloads"><h2 id="downloads">Downloads</h2><ul>{items}</ul>'
                f'<p>{_citation_short(self.run)} <a href="index.html#how-to-cite">How to cite</a></p></section>',
                "html.parser")
            soup.find("main").append(section)
        enhance.add_toc(soup)
        return str(soup)

    def notebook_page(self, page: NotebookPage) -> None:
        nb = page.notebook
        nb.metadata["title"] = f"{page.heading} | crackdown report"
        shell = {"css": layout.css(), "script": layout.script(),
                 "header": layout.header(self.refs, page.file, with_code_toggle=True),
                 "footer": layout.footer(self.refs, page.file, _citation_short(self.run))}
        soup = BeautifulSoup(export_reader_html(nb, shell), "html.parser")
        h1 = soup.find("main").find("h1")
        box = BeautifulSoup(_answer_box(page, self.evidence, soup), "html.parser")
        status = self.run.status(page.name)
        if status is not None and status.status == "failed":
            box.find("section").insert(1, BeautifulSoup('<p class="notice">The last run of this notebook failed; this page shows '
                                        'its last good output. See <a href="index.html#run-details">run details</a>.'
                                        "</p>", "html.parser"))
        if h1 is not None:
            h1.insert_after(box)
        else:
            soup.find("main").insert(0, box)
        downloads = []
        if page.name in self.results:
            downloads.append(("Results record (JSON)", f"downloads/results/{page.name}.json"))
        downloads.append(("The executed notebook, with its code (.ipynb)", f"downloads/notebooks/{page.name}.ipynb"))
        downloads += [(f"Data: {t}", f"downloads/data/{t}") for t in _data_used(nb, self.tables)]
        self.write(page.file, self.finish(soup, page.name, extra_downloads=downloads))

    def standalone(self, file: str, title: str, body: str, *, terms: bool = True,
                   extra_downloads: list[tuple[str, str]] | None = None) -> None:
        page = layout.standalone_page(title, body, layout.header(self.refs, file, with_code_toggle=False),
                                      layout.footer(self.refs, file, _citation_short(self.run)))
        self.write(file, self.finish(page, file.removesuffix(".html"), terms=terms, extra_downloads=extra_downloads))

    def glossary_page(self) -> None:
        entries = "".join(f'<dt id="{t.id}">{html.escape(t.term)}</dt><dd>{html.escape(t.definition)}</dd>' for t in TERMS)
        body = ("<h1>Glossary</h1><p>The terms of the report in plain words. Pages link the first place each term "
                f'appears to its entry here.</p><dl class="glossary">{entries}</dl>')
        self.standalone(GLOSSARY_PAGE, "Glossary | crackdown report", body, terms=False)

    def data_page(self) -> None:
        body, _ = data_page_body(self.data_dir, {t: f"downloads/data/{t}" for t in self.tables})
        self.standalone(DATA_PAGE, "Data and sources | crackdown report", body, terms=False)

    def index_page(self) -> None:
        run, summary = self.run, self.results.get(SUMMARY, {})
        summary_page = next((p for p in self.pages if p.name == SUMMARY), None)
        question = (summary_page.question if summary_page else "") or run.title
        refs = {p.name: p for p in self.pages}
        answer = summary.get("answer") or "The summary notebook has not produced an answer yet."
        alpha = summary.get("alpha", summary.get("parameters", {}).get("alpha"))
        rows = []
        for line in summary.get("evidence", []):
            nb = line.get("notebook", "")
            link = f'<a href="{html.escape(nb)}.html">{html.escape(refs[nb].label)}</a>' if nb in refs else html.escape(nb)
            rows.append(f"<tr><td>{html.escape(line.get('line_of_evidence', ''))}</td><td>{_verdict_badge(line.get('verdict', ''))}</td>"
                        f"<td>{html.escape(str(line.get('answer', '')))}</td><td class=\"num\">{fmt_p(line.get('p_value')).removeprefix('= ')}</td>"
                        f"<td class=\"num\">{line.get('n', '')}</td><td>{link}</td></tr>")
        verdicts = ("<p>No line of evidence has been computed yet.</p>" if not rows else
                    '<div class="table-scroll"><table><thead><tr><th>Line of evidence</th><th>Verdict</th>'
                    "<th>What the notebook found</th><th>p-value</th><th>n</th><th>Page</th></tr></thead>"
                    f"<tbody>{''.join(rows)}</tbody></table></div>"
                    f"<p>A line <em>supports</em> the thesis when its p-value is below the significance level "
                    f"({alpha if alpha is not None else 'n/a'}) and its estimate has the sign the thesis predicts, "
                    "<em>contradicts</em> it when significant with the other sign, and is <em>inconclusive</em> otherwise.</p>")
        caveats = "".join(f"<li>{html.escape(c)}</li>" for c in summary.get("caveats", [])) or "<li>None computed yet.</li>"
        claims = summary.get("claims_counts")
        claims_line = ""
        if claims:
            claims_line = ("<p>The article's claims: " + ", ".join(f"{n} {html.escape(k)}" for k, n in claims.items())
                           + ' (<a href="07_article_claims.html">claims page</a>).</p>') if "07_article_claims" in refs else ""
        notebooks = "".join(
            f'<tr><td><a href="{p.file}">{html.escape(p.label)}</a></td><td>{html.escape(p.question)}</td>'
            f"<td>{html.escape(str(p.results.get('answer', '')))}</td></tr>" for p in self.pages)
        run_rows = []
        for status in sorted(run.notebooks, key=lambda s: s.name):
            params = ", ".join(f"{k}={v!r}" for k, v in status.parameters.items()) or "defaults"
            error = f'<div class="notice">{html.escape(status.error)}</div>' if status.error else ""
            state = f"{status.status} (reused)" if getattr(status, "reused", False) else status.status
            run_rows.append(f"<tr><td>{html.escape(status.name)}</td><td>{html.escape(state)}{error}</td>"
                            f'<td class="num">{"" if status.duration_s is None else status.duration_s}</td>'
                            f"<td><code>{html.escape(params)}</code></td></tr>")
        results_links = "".join(f'<li><a class="download" download href="downloads/results/{html.escape(n)}.json">{html.escape(n)}.json</a></li>'
                                for n in sorted(self.results))
        data_links = "".join(f'<li><a class="download" download href="downloads/data/{html.escape(t)}">{html.escape(t)}</a></li>'
                             for t in self.tables)
        body = f"""<h1>{html.escape(question)}</h1>
<p>Between late 2020 and 2022 China's regulators came down hard on its consumer-internet giants, while AI firms that
sell surveillance systems to the state kept planning stock listings. The thesis under test (WIRED, November 2021):
<strong>firms aligned with the government were spared</strong>. This report checks it against curated data with a
source on every row: who was hit and how hard, how aligned each firm was, and how markets priced each event.</p>
<section class="answer-box" aria-labelledby="answer"><h2 id="answer">Answer</h2><p>{html.escape(answer)}</p>{claims_line}</section>
<h2 id="verdicts">Verdict per line of evidence</h2>
{verdicts}
<h2 id="caveats">Caveats</h2>
<ul>{caveats}</ul>
<h2 id="notebooks">The notebooks</h2>
<p>Each page answers one question, leads with its answer, then shows the evidence; its code is one click away
("Show code"). The <a href="{DATA_PAGE}">data and sources</a> page lists every fact with its sources, and the
<a href="{GLOSSARY_PAGE}">glossary</a> explains the terms.</p>
<div class="table-scroll"><table><thead><tr><th>Page</th><th>Question</th><th>Answer</th></tr></thead>
<tbody>{notebooks}</tbody></table></div>
<h2 id="all-downloads">Downloads</h2>
<p>Results records (JSON), one per notebook:</p><ul>{results_links}</ul>
<p>Data tables (CSV), with a source on every row:</p><ul>{data_links}</ul>
<h2 id="how-to-cite">How to cite</h2>
<p>Cite the report with the version of the code and of the data it was built from:</p>
<blockquote><p>crackdown contributors. <em>{html.escape(run.title)}</em> Open research notebooks, code commit
<code>{html.escape(run.commit)}</code>, data sha256 <code>{html.escape(run.data_hash)}</code>.</p></blockquote>
<p>The data hash is the sha256 over every file under <code>data/</code>; the same commit and hash give the same report.
When you cite a single fact, cite its original source, listed on the <a href="{DATA_PAGE}">data and sources</a> page.</p>
<h2 id="run-details">Run details</h2>
<p>Code commit <code>{html.escape(run.commit)}</code>; data sha256 <code>{html.escape(run.data_hash)}</code>.</p>
<div class="table-scroll run-details"><table><thead><tr><th>Notebook</th><th>Status</th><th>Duration (s)</th>
<th>Parameters</th></tr></thead><tbody>{''.join(run_rows)}</tbody></table></div>
"""
        self.standalone(INDEX, run.title, body)


_BUILDER: SiteBuilder | None = None  # the builder a forked page worker inherits (see _build_pages)


def _build_page(task: tuple[str, int]) -> None:
    """One page of :data:`_BUILDER`: ("notebook", position in its pages), ("data", 0) or ("glossary", 0)."""
    kind, i = task
    builder = _BUILDER
    if kind == "notebook":
        builder.notebook_page(builder.pages[i])
    elif kind == "data":
        builder.data_page()
    else:
        builder.glossary_page()


def _build_pages(builder: SiteBuilder, jobs: int | None) -> None:
    """Every page of the site into the builder's staging folder: the notebook pages and the data page in
    ``jobs`` forked processes (default: one per CPU; serially with one job or where fork is not available),
    the index and glossary here meanwhile. Each page writes its own files only, so the pages are the same
    whatever the order; an error in a page is raised here."""
    global _BUILDER
    by_size = sorted(range(len(builder.pages)), key=lambda i: -len(json.dumps(builder.pages[i].notebook)))
    tasks = [("data", 0), *[("notebook", i) for i in by_size]]  # the longest first
    jobs = max(1, min((os.cpu_count() or 1) if jobs is None else jobs, len(tasks)))
    _BUILDER = builder
    try:
        if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
            for task in [*tasks, ("glossary", 0)]:
                _build_page(task)
            builder.index_page()
            return
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            pending = [pool.submit(_build_page, task) for task in tasks]
            _build_page(("glossary", 0))
            builder.index_page()
            for future in pending:
                future.result()
    finally:
        _BUILDER = None


def build_site(notebooks_dir: Path, results_dir: Path, out_dir: Path, run_info: RunInfo,
               data_dir: Path | None = None, jobs: int | None = None) -> Path:
    """Write the whole site into ``out_dir`` and return the path of its ``index.html``.

    ``notebooks_dir`` holds the executed notebooks (one page each, in name order), ``results_dir`` their
    results records (``<notebook>.json``; ``00_summary.json`` gives the index its answer, verdicts and
    caveats), ``data_dir`` the data tables (default: the project's ``data/``). Built in a staging folder next
    to ``out_dir`` and moved into place at the end; other files already in ``out_dir`` are left alone, and
    ``out_dir/downloads`` is replaced whole. ``jobs``: processes building pages (default: one per CPU).
    """
    out_dir = Path(out_dir)
    data_dir = Path(data_dir) if data_dir is not None else paths.data_dir()
    for name, folder in (("notebooks_dir", notebooks_dir), ("results_dir", results_dir), ("data_dir", data_dir)):
        if not Path(folder).is_dir():
            raise FileNotFoundError(f"{name}: {folder} is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = out_dir.parent / f".site-{uuid.uuid4().hex[:12]}"
    stage.mkdir()
    try:
        builder = SiteBuilder(Path(notebooks_dir), Path(results_dir), data_dir, run_info, stage)
        builder.copy_downloads()
        _build_pages(builder, jobs)
        old = out_dir / f".downloads-old-{uuid.uuid4().hex[:8]}"
        if (out_dir / "downloads").exists():
            os.replace(out_dir / "downloads", old)
        os.replace(stage / "downloads", out_dir / "downloads")
        shutil.rmtree(old, ignore_errors=True)
        for page in sorted(stage.glob("*.html")):
            os.replace(page, out_dir / page.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out_dir / INDEX


def build_index_page(notebooks_dir: Path, results_dir: Path, out_dir: Path, run_info: RunInfo,
                     data_dir: Path | None = None) -> Path:
    """Rewrite only ``out_dir/index.html``, for a site built by :func:`build_site` from the same notebooks,
    results and data, when only the run details changed (a rerun that reused every notebook). The other pages
    and ``downloads/`` are left as they are."""
    out_dir = Path(out_dir)
    data_dir = Path(data_dir) if data_dir is not None else paths.data_dir()
    stage = out_dir.parent / f".site-{uuid.uuid4().hex[:12]}"
    stage.mkdir(parents=True)
    try:
        builder = SiteBuilder(Path(notebooks_dir), Path(results_dir), data_dir, run_info, stage)
        builder.index_page()
        os.replace(stage / INDEX, out_dir / INDEX)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out_dir / INDEX


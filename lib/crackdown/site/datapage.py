"""The "data and sources" page: every table of ``data/`` with its row count, a CSV download, and each row with
links to its sources (firm ids shown as firm names)."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

# What each table holds and the columns shown on the page (all columns are in the downloadable CSV).
TABLES: dict[str, tuple[str, list[str]]] = {
    "events.csv": ("Regulatory, political and market events 2017-2023, one row per announcement",
                   ["event_id", "date", "type", "actor", "firm_ids", "description", "amount", "currency", "confidence"]),
    "penalties.csv": ("Fines and other penalties, one row per firm per penalty (amounts in millions)",
                      ["penalty_id", "firm_id", "date", "regulator", "penalty_type", "amount", "currency",
                       "description", "confidence"]),
    "ipos.csv": ("IPO attempts 2019-2023, one row per firm and venue (amounts in millions)",
                 ["ipo_id", "firm_id", "venue", "filing_date", "planned_listing_date", "listing_date", "outcome",
                  "outcome_date", "delayed_by", "confidence"]),
    "alignment.csv": ("Facts on each firm's ties to the state, one row per firm, indicator and date",
                      ["firm_id", "indicator", "value", "unit", "as_of", "confidence"]),
    "claims.csv": ("The article's checkable claims (verdicts are computed on the claims page, not stored)",
                   ["claim_id", "claim", "claimant", "kind", "theme", "testable_form"]),
    "firms.csv": ("The firms studied, one row per firm",
                  ["firm_id", "name", "name_zh", "sector_group", "is_ai_firm", "listing_status", "hq_city", "confidence"]),
    "securities.csv": ("Every listed line of those firms and the market benchmarks, one row per security",
                       ["symbol", "firm_id", "name", "security_type", "exchange", "currency", "price_basis", "confidence"]),
}
FIRM_COLUMNS = ("firm_id", "firm_ids")
# The id column of each table: its rows get the anchor ``<table stem>-<id>`` on the page.
ID_COLUMNS = {"events.csv": "event_id", "penalties.csv": "penalty_id", "ipos.csv": "ipo_id", "claims.csv": "claim_id",
              "firms.csv": "firm_id", "securities.csv": "symbol"}
# ids that notebook tables link to their data row (firm ids are shown as names instead)
LINKED_TABLES = ("events.csv", "penalties.csv", "ipos.csv", "claims.csv")


def read_table(path: Path) -> pd.DataFrame:
    """A data table as text, exactly as written (empty cells stay empty)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def firm_names(data_dir: Path) -> dict[str, str]:
    """firm_id -> English name, from ``firms.csv`` (empty when the file is missing)."""
    path = data_dir / "firms.csv"
    if not path.exists():
        return {}
    firms = read_table(path)
    return dict(zip(firms["firm_id"], firms["name"], strict=True))


def source_links(cell: str) -> str:
    """The ``sources`` cell (URLs separated by ``;``) as links labelled by their host."""
    links = []
    for n, url in enumerate((u.strip() for u in cell.split(";") if u.strip()), 1):
        host = urlsplit(url).netloc.removeprefix("www.") or url
        links.append(f'<a href="{html.escape(url)}" rel="noopener" title="{html.escape(url)}">[{n}] {html.escape(host)}</a>')
    return " ".join(links) or "<em>none recorded</em>"


def _cell(column: str, value: str, names: dict[str, str]) -> str:
    if column in FIRM_COLUMNS and value:
        ids = [v.strip() for v in value.split(";") if v.strip()]
        shown = ", ".join(names.get(i, i) for i in ids)
        return f'<td title="{html.escape(value)}">{html.escape(shown)}</td>'
    return f"<td>{html.escape(value)}</td>"


def table_section(name: str, frame: pd.DataFrame, names: dict[str, str], href: str) -> str:
    """One table's section: what it holds, its row count, the download, and its rows with their sources."""
    about, columns = TABLES.get(name, ("", list(frame.columns)))
    shown = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{html.escape('firm' if c == 'firm_id' else 'firms' if c == 'firm_ids' else c)}</th>"
                   for c in shown)
    rows = []
    stem = name.removesuffix(".csv")
    id_column = ID_COLUMNS.get(name)
    for record in frame.to_dict(orient="records"):
        cells = "".join(_cell(c, record[c], names) for c in shown)
        anchor = f' id="{html.escape(stem)}-{html.escape(record[id_column])}"' if id_column in record else ""
        rows.append(f'<tr{anchor}>{cells}<td class="sources">{source_links(record.get("sources", ""))}</td></tr>')
    return (f'<section id="{stem}"><h2 id="table-{stem}">{html.escape(name)}</h2>'
            f"<p>{html.escape(about)}. <strong>{len(frame)} rows.</strong> "
            f'<a class="download" download href="{html.escape(href)}">Download {html.escape(name)}</a> '
            "(every column, including notes).</p>"
            f'<div class="table-scroll"><table><thead><tr>{head}<th>sources</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div></section>")


def row_links(data_dir: Path, page: str = "data.html") -> dict[str, str]:
    """Event, penalty, IPO and claim ids -> the link to their row (with its sources) on the data page."""
    links: dict[str, str] = {}
    for name in reversed(LINKED_TABLES):  # earlier tables win if two share an id
        path = data_dir / name
        if path.exists():
            ids = read_table(path)[ID_COLUMNS[name]]
            links.update({i: f"{page}#{name.removesuffix('.csv')}-{i}" for i in ids if i})
    return links


def data_tables(data_dir: Path) -> list[Path]:
    """The CSV tables of ``data/`` in the page's order (known tables first, then any other)."""
    known = [data_dir / n for n in TABLES if (data_dir / n).exists()]
    others = sorted(p for p in data_dir.glob("*.csv") if p.name not in TABLES)
    return known + others


def data_page_body(data_dir: Path, hrefs: dict[str, str]) -> tuple[str, dict[str, int]]:
    """The page's body and the row count of each table; ``hrefs`` maps a table name to its download link."""
    names = firm_names(data_dir)
    frames = {p.name: read_table(p) for p in data_tables(data_dir)}
    counts = {n: len(f) for n, f in frames.items()}
    summary = "".join(
        f'<tr><td><a href="#table-{html.escape(n.removesuffix(".csv"))}">{html.escape(n)}</a></td>'
        f'<td class="num">{counts[n]}</td><td>{html.escape(TABLES.get(n, ("",))[0])}</td>'
        f'<td><a class="download" download href="{html.escape(hrefs[n])}">CSV</a></td></tr>'
        for n in frames
    )
    provenance = ""
    if (data_dir / "prices" / "PROVENANCE.csv").exists():
        prov = read_table(data_dir / "prices" / "PROVENANCE.csv")
        provenance = (f"<p>Daily prices: {len(prov)} files in <code>data/prices/</code>, an offline snapshot of "
                      "public downloads; <code>data/prices/PROVENANCE.csv</code> names the repository, path and "
                      "commit of each file.</p>")
    body = (
        "<h1>Data and sources</h1>"
        "<p>Every number in this report comes from the tables below. Each row names its sources (links) and a "
        "confidence: <em>high</em> means two agreeing sources or a primary document, <em>medium</em> one "
        "reputable source, <em>low</em> a single aggregator or an inference. Descriptions and notes are our own "
        "words. Amounts are in millions of the row's currency; an empty cell means unknown, never zero.</p>"
        '<div class="table-scroll"><table><thead><tr><th>table</th><th class="num">rows</th><th>holds</th>'
        f"<th>download</th></tr></thead><tbody>{summary}</tbody></table></div>{provenance}"
        + "".join(table_section(n, f, names, hrefs[n]) for n, f in frames.items())
    )
    return body, counts

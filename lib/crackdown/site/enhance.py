"""What the site adds to a rendered page (notebook or not), working on its HTML with BeautifulSoup:

- tables: pandas' row numbers (a 0..n-1 index) removed, firm ids shown as firm names (the id stays in the
  cell's ``title``), numeric cells right-aligned, dates unbroken, and every table in its own horizontally scrolling box;
- glossary links on the first occurrence of each term in the page's prose or table headers;
- a table of contents of the page's h2/h3 sections;
- figures and tables written out as PNG and CSV files, each with a download link under it.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

from crackdown.site.glossary import TERMS, term_regex

NUMBER = re.compile(r"^(?:<\s?)?[-+−]?\d[\d,]*(\.\d+)?%?$|^[-+−]?\.\d+%?$")  # "< 0.001" is a p-value
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# terms are linked in prose and in table headers (a table's column label), never in table cells
SKIP_TERM_PARENTS = {"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "title", "button", "summary", "tbody",
                     "tfoot", "td", "caption", "script", "style", "nav", "header", "footer", "figcaption", "label"}


def slug(text: str) -> str:
    """An id for a heading: lower-case words joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _heading_text(heading: Tag) -> str:
    return " ".join(s for s in heading.find_all(string=True) if s.parent.name != "a" or "anchor-link" not in
                    (s.parent.get("class") or [])).strip()


def add_toc(soup: BeautifulSoup) -> int:
    """Insert "On this page": a list of the h2/h3 headings of ``<main>``, each given an id if it has none."""
    main = soup.find("main")
    headings = main.find_all(["h2", "h3"]) if main else []
    taken = {t["id"] for t in soup.find_all(id=True)}
    items = []
    for h in headings:
        text = _heading_text(h)
        if not text:
            continue
        if not h.get("id"):
            base, n = slug(text), 2
            hid = base
            while hid in taken:
                hid, n = f"{base}-{n}", n + 1
            h["id"] = hid
            taken.add(hid)
        items.append(f'<li class="toc-{h.name}"><a href="#{h["id"]}">{_escape(text)}</a></li>')
    if not items:
        return 0
    toc = BeautifulSoup('<nav class="toc" aria-label="On this page"><details open><summary>On this page</summary>'
                        f'<ul>{"".join(items)}</ul></details></nav>', "html.parser")
    main.insert_before(toc)
    return len(items)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _is_row_number_column(table: Tag) -> bool:
    body_rows = table.select("tbody > tr")
    if not body_rows:
        return False
    firsts = [r.find(["th", "td"], recursive=False) for r in body_rows]
    if any(c is None or c.name != "th" for c in firsts):
        return False
    return [c.get_text(strip=True) for c in firsts] == [str(i) for i in range(len(firsts))]


def tidy_table(table: Tag, firm_names: dict[str, str], row_links: dict[str, str] | None = None) -> None:
    """Drop a 0..n-1 row-number column, link event/IPO/penalty/claim ids to their data row (``row_links``),
    show firm names for firm ids, right-align numbers (p-values such as "< 0.001" too), keep dates on one line."""
    if _is_row_number_column(table):
        for row in table.select("thead > tr, tbody > tr"):
            first = row.find(["th", "td"], recursive=False)
            if first is not None and (row.parent.name == "tbody" or not first.get_text(strip=True)):
                first.decompose()
    for cell in table.find_all(["td", "th"]):
        text = cell.get_text(strip=True)
        if cell.parent.parent.name != "thead" and text:
            tokens = [t for t in re.split(r"\s*[;,]\s*", text) if t]
            if row_links and tokens and all(t in row_links for t in tokens):
                cell.clear()
                for n, token in enumerate(tokens):
                    if n:
                        cell.append(", ")
                    link = Tag(name="a", attrs={"href": row_links[token], "title": "data row and sources"})
                    link.string = token
                    cell.append(link)
            elif tokens and all(t in firm_names for t in tokens):
                cell["title"] = text
                cell.string = ", ".join(firm_names[t] for t in tokens)
            elif NUMBER.match(text):
                cell["class"] = [*cell.get("class", []), "num"]
            elif DATE.match(text):
                cell["class"] = [*cell.get("class", []), "date"]


def tidy_tables(soup: BeautifulSoup, firm_names: dict[str, str], row_links: dict[str, str] | None = None) -> None:
    """:func:`tidy_table` on every table of ``<main>``, each wrapped in a scrolling box."""
    main = soup.find("main")
    for table in main.find_all("table") if main else []:
        tidy_table(table, firm_names, row_links)
        parent = table.parent
        if not (parent.name == "div" and "table-scroll" in (parent.get("class") or [])):
            box = soup.new_tag("div", attrs={"class": "table-scroll"})
            table.wrap(box)


def link_terms(soup: BeautifulSoup, glossary_href: str = "glossary.html") -> list[str]:
    """Link the first occurrence of each glossary term in the prose or the table headers of ``<main>`` (never in
    table cells); the ids linked, in order."""
    main = soup.find("main")
    if main is None:
        return []
    regex, done = term_regex(), []
    for text in list(main.find_all(string=True)):
        if isinstance(text, NavigableString) and type(text) is not NavigableString:
            continue  # comments, CDATA
        if any(p.name in SKIP_TERM_PARENTS for p in text.parents):
            continue
        pieces, last, value = [], 0, str(text)
        for m in regex.finditer(value):
            term = TERMS[int(m.lastgroup[1:])]
            if term.id in done:
                continue
            done.append(term.id)
            pieces += [value[last:m.start()], (term, m.group(0))]
            last = m.end()
        if not pieces:
            continue
        pieces.append(value[last:])
        new_nodes = []
        for piece in pieces:
            if isinstance(piece, tuple):
                term, shown = piece
                a = soup.new_tag("a", href=f"{glossary_href}#{term.id}", attrs={"class": "term", "title": term.term})
                a.string = shown
                new_nodes.append(a)
            elif piece:
                new_nodes.append(NavigableString(piece))
        for node in new_nodes:
            text.insert_before(node)
        text.extract()
    return done


def table_rows(table: Tag) -> list[list[str]]:
    """The text of a table's cells, row by row (header rows first)."""
    return [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"], recursive=False)]
            for tr in table.find_all("tr")]


def export_figures_and_tables(soup: BeautifulSoup, stem: str, downloads: Path, href_prefix: str = "downloads") -> list[tuple[str, str]]:
    """Write each embedded PNG figure and each table of ``<main>`` to ``downloads/{figures,tables}/`` and put a
    download link under it; return (label, href) for every file written."""
    main = soup.find("main")
    written: list[tuple[str, str]] = []
    if main is None:
        return written
    for n, img in enumerate((i for i in main.find_all("img") if i.get("src", "").startswith("data:image/png;base64,")), 1):
        name = f"{stem}-figure-{n}.png"
        target = downloads / "figures" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(img["src"].split(",", 1)[1]))
        href = f"{href_prefix}/figures/{name}"
        _add_link_after(soup, img, href, f"Download figure {n} (PNG)", "figure-download")
        written.append((f"Figure {n} (PNG)", href))
    for n, table in enumerate(main.find_all("table"), 1):
        name = f"{stem}-table-{n}.csv"
        target = downloads / "tables" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(table_rows(table))
        target.write_text(buffer.getvalue(), encoding="utf-8")
        href = f"{href_prefix}/tables/{name}"
        anchor = table.parent if "table-scroll" in (table.parent.get("class") or []) else table
        _add_link_after(soup, anchor, href, f"Download table {n} (CSV)", "table-download")
        written.append((f"Table {n} (CSV)", href))
    return written


def _add_link_after(soup: BeautifulSoup, node: Tag, href: str, text: str, css_class: str) -> None:
    p = soup.new_tag("p", attrs={"class": css_class})
    a = soup.new_tag("a", href=href, download="", attrs={"class": "download"})
    a.string = text
    p.append(a)
    node.insert_after(p)

"""The site's shell, shared by every page: navigation header (index, previous, next, all pages), footer with the
citation, and the skeleton of the pages that are not notebooks (index, glossary, data and sources)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class PageRef:
    """A page of the site: its file name, its short label in the navigation and its full title."""

    file: str
    label: str
    title: str


@cache
def css() -> str:
    return (STATIC / "site.css").read_text(encoding="utf-8")


@cache
def script() -> str:
    return (STATIC / "site.js").read_text(encoding="utf-8")


def _link(page: PageRef | None, rel: str, arrow: str) -> str:
    if page is None:
        return ""
    number, dot, name = page.label.partition(" · ")
    label = (f'{html.escape(number)}<span class="nav-name"> · {html.escape(name)}</span>' if dot
             else html.escape(page.label))
    text = f"{arrow} {label}" if rel == "prev" else f"{label} {arrow}"
    return f'<a rel="{rel}" href="{html.escape(page.file)}" title="{html.escape(page.title)}">{text}</a>'


def header(pages: list[PageRef], current: str, with_code_toggle: bool) -> str:
    """The navigation bar: home, previous and next in reading order, the list of every page, the code toggle."""
    at = [p.file for p in pages].index(current)
    prev_page = pages[at - 1] if at > 0 else None
    next_page = pages[at + 1] if at + 1 < len(pages) else None
    items = "".join(
        f'<li><a href="{html.escape(p.file)}"{" aria-current=page" if p.file == current else ""}>'
        f"{html.escape(p.label)}</a></li>"
        for p in pages
    )
    toggle = ('<button type="button" class="toggle-code" aria-pressed="false">Show code</button>'
              if with_code_toggle else "")
    return (
        '<header class="site-header">'
        '<a class="brand" href="index.html">crackdown report</a>'
        f'<nav class="pager" aria-label="previous and next page">{_link(prev_page, "prev", "←")}'
        f'{_link(next_page, "next", "→")}</nav>'
        f'<details class="all-pages"><summary>All pages</summary><ol>{items}</ol></details>'
        f"{toggle}</header>"
    )


def footer(pages: list[PageRef], current: str, citation: str) -> str:
    """Previous / next again at the end of the page, and the short citation with the data version."""
    at = [p.file for p in pages].index(current)
    prev_page = pages[at - 1] if at > 0 else None
    next_page = pages[at + 1] if at + 1 < len(pages) else None
    return (
        '<footer class="site-footer">'
        f'<nav class="pager" aria-label="previous and next page (end of page)">{_link(prev_page, "prev", "←")} '
        f'{_link(next_page, "next", "→")}</nav>'
        f'<p class="cite">{citation} <a href="index.html#how-to-cite">How to cite</a></p>'
        "</footer>"
    )


def standalone_page(title: str, body: str, header_html: str, footer_html: str) -> str:
    """A page that is not a notebook (index, glossary, data and sources) in the same shell and styles."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)}</title>
<style>
{css()}
</style></head>
<body class="site">
{header_html}
<div class="layout">
<main id="content">
{body}
</main>
</div>
{footer_html}
<script>{script()}</script>
</body></html>
"""

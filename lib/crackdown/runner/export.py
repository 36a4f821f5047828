"""Exporting: an executed notebook as a standalone HTML page, and the report's index page."""

from __future__ import annotations

import html
import json
import subprocess
from pathlib import Path

from crackdown import paths
from crackdown.data.manifest import data_hash
from crackdown.fileio import atomic_write
from crackdown.notebooks import NotebookSpec

REPORT_TITLE = "crackdown: were China's government-aligned AI firms spared the 2020-2022 tech crackdown?"

# nbconvert's lab template, minus the scripts it loads from a CDN (require.js, MathJax, mermaid): the pages need
# none of them, and offline each one is a failed request and a console error.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def export_html(nb) -> str:
    """The executed notebook as a standalone HTML page (figures embedded, no script loaded from the network)."""
    import jinja2
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", template_file="crackdown_offline.html.j2",
                            extra_loaders=[jinja2.DictLoader({"crackdown_offline.html.j2": OFFLINE_TEMPLATE})])
    body, _ = exporter.from_notebook_node(nb)
    return body


def git_commit(root: Path | None = None) -> str:
    """The checkout's commit (``+dirty`` when tracked files changed), or ``unknown`` outside git."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty=+dirty", "--abbrev=12"],
            cwd=root or paths.project_root(), capture_output=True, text=True, timeout=10, check=True,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 80rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border-bottom: 1px solid #ddd; padding: .5rem; text-align: left; vertical-align: top; }}
td.ok {{ color: #1a7f37; }} td.failed {{ color: #b42318; font-weight: bold; }} .error {{ font-weight: normal; font-family: monospace; }}
.note {{ font-weight: normal; color: #555; }} footer {{ margin-top: 2rem; color: #555; font-size: .9rem; }}
</style></head><body>
<h1>{title}</h1>
<p>Each notebook answers one question from the curated data in <code>data/</code>. Open a notebook for its
method, figures, and the caveats behind its answer.</p>
<table><thead><tr><th>Notebook</th><th>Question</th><th>Answer</th><th>Status</th><th>Duration (s)</th>
<th>Parameters</th></tr></thead><tbody>
{rows}
</tbody></table>
<footer>Commit <code>{commit}</code> &middot; data sha256 <code>{data}</code></footer>
</body></html>
"""


def _index_row(spec: NotebookSpec, outputs: Path) -> str:
    status_file = outputs / "status" / f"{spec.name}.json"
    record = json.loads(status_file.read_text()) if status_file.exists() else {}
    status = record.get("status", "not run")
    page = outputs / "html" / f"{spec.name}.html"
    link = f'<a href="{spec.name}.html">{spec.name}</a>' if page.exists() else html.escape(spec.name)
    note = ""
    if status == "failed":
        note = f'<div class="error">{html.escape(record.get("error", ""))}</div>'
        if page.exists():
            note += '<div class="note">the link shows the last good output</div>'
    params = ", ".join(f"{k}={v!r}" for k, v in record.get("parameters", {}).items()) or "defaults"
    return (
        "<tr>"
        f"<td>{link}</td><td>{html.escape(spec.question)}</td>"
        f"<td>{html.escape(record.get('answer', ''))}</td>"
        f'<td class="{html.escape(status)}">{html.escape(status)}{note}</td>'
        f"<td>{record.get('duration_s', '')}</td><td><code>{html.escape(params)}</code></td>"
        "</tr>"
    )


def build_index(specs: list[NotebookSpec], outputs: Path) -> Path:
    """Write ``outputs/html/index.html``: one row per notebook, with the commit and the data hash."""
    page = INDEX_TEMPLATE.format(title=html.escape(REPORT_TITLE),
                                 rows="\n".join(_index_row(spec, outputs) for spec in specs),
                                 commit=html.escape(git_commit()), data=data_hash())
    return atomic_write(outputs / "html" / "index.html", page)

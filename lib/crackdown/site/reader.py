"""The reader view of an executed notebook: nbconvert's ``lab`` template with the site's shell, and the rules
that keep developer leftovers off the page.

Rules (:class:`ReaderViewPreprocessor`), applied to a copy of the executed notebook:

- an ``execute_result`` whose only representation is ``text/plain`` is the repr of a cell's last expression
  (``PosixPath('./outputs/results/00_summary.json')``, a return value nobody meant to show): dropped. Tables
  (``text/html``), figures, Markdown and printed text stay;
- ``stderr`` streams (warnings, kernel chatter) are dropped;
- Jupyter Book's cell tags work as there: ``remove-cell`` drops the cell, ``remove-output`` its outputs,
  ``remove-input`` its code.

Code is kept in the page but hidden until the reader presses "Show code" (a class on ``<body>``).
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor

TEMPLATE_DIR = Path(__file__).parent / "templates"


def is_stray_output(output: dict[str, Any]) -> bool:
    """True for outputs the reader view drops: plain-text-only results of a last expression, stderr streams."""
    if output.get("output_type") == "execute_result":
        return set(output.get("data", {})) <= {"text/plain"}
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


class ReaderViewPreprocessor(Preprocessor):
    """Drop stray outputs and honour the ``remove-cell`` / ``remove-output`` / ``remove-input`` tags."""

    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells if "remove-cell" not in c.get("metadata", {}).get("tags", [])]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        tags = cell.get("metadata", {}).get("tags", [])
        if "remove-output" in tags:
            cell.outputs = []
        else:
            cell.outputs = [o for o in cell.outputs if not is_stray_output(o)]
        if "remove-input" in tags:
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
            cell.source = ""
        return cell, resources


def export_reader_html(nb: nbformat.NotebookNode, shell: dict[str, str]) -> str:
    """The notebook as one self-contained page of the site (lab styles inlined, figures embedded, no script
    from the network), wrapped in the site's ``shell`` (keys ``title``, ``css``, ``header``, ``footer``,
    ``script``: ready-made HTML)."""
    body, _ = _exporter().from_notebook_node(copy.deepcopy(nb), resources={"site": shell})
    return body


@cache
def _exporter():
    """One exporter per process: loading the templates once saves a second per page."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="crackdown_site", extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.register_preprocessor(ReaderViewPreprocessor(), enabled=True)
    return exporter

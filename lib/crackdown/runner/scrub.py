"""Scrubbing: local paths, the host name and the run's staging folder never reach a published output."""

from __future__ import annotations

import re
import socket
import sys
import tempfile
from pathlib import Path

from crackdown import paths


def _local_strings() -> list[tuple[str, str]]:
    """Local strings that must not leak into outputs, longest first, with what replaces them."""
    root = str(paths.project_root())
    pairs = [(root, "."), (sys.prefix, "<env>"), (sys.base_prefix, "<python>"), (str(Path.home()), "~")]
    pairs.append((tempfile.gettempdir().rstrip("/") + "/", "<tmp>/"))
    host = socket.gethostname()
    if len(host) >= 6:
        pairs.append((host, "<host>"))
    return sorted({p for p in pairs if p[0] and p[0] != "/"}, key=lambda p: -len(p[0]))


# a run's staging folder (random per run) as seen from inside a notebook, e.g. the path write_results returns
STAGED_PATH = re.compile(r"outputs/\.staging/[0-9a-f]+/(?:results/[^/\s'\"]+|([a-z]+))/")


def scrub_text(text: str, pairs: list[tuple[str, str]] | None = None) -> str:
    """``text`` with the project root, environment, home and temp paths and the host name replaced, and paths
    into the run's staging folder replaced by where the files are published."""
    for local, replacement in pairs or _local_strings():
        text = text.replace(local, replacement)
    return STAGED_PATH.sub(lambda m: f"outputs/{m.group(1) or 'results'}/", text)


def scrub_notebook(nb) -> None:
    """Remove local paths from an executed notebook in place (papermill metadata, outputs, tracebacks)."""
    pairs = _local_strings()
    pm = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if pm.get(key):
            pm[key] = f"notebooks/{Path(pm[key]).name}" if key == "input_path" else f"outputs/notebooks/{Path(pm[key]).name}"
    pm.pop("environment_variables", None)

    def clean(value):
        if isinstance(value, str):
            return scrub_text(value, pairs)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [type(o)(clean(dict(o))) for o in cell.get("outputs", [])]
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id: outputs would differ run to run

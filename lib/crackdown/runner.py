"""Run the report's notebooks headlessly (papermill), export them to HTML (nbconvert) and build the index page.

Each notebook runs in its own kernel, in a pool of worker processes, in the order the notebooks declare.
A run stages everything it writes under ``outputs/.staging/<run>/`` and moves a notebook's outputs into place
only when that notebook succeeded, so a failed run never replaces good outputs; the partially executed
notebook of a failure is kept under ``outputs/failed/``. One run at a time writes to ``outputs/``: a run holds
an exclusive lock on ``outputs/.lock`` from start to index, and a second run started meanwhile says so and
waits for it.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import html
import json
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crackdown import paths
from crackdown.notebooks import NotebookSpec, run_order

REPORT_TITLE = "crackdown: were China's government-aligned AI firms spared the 2020-2022 tech crackdown?"
KERNEL_NAME = "crackdown-python"
RESULTS_DIR_ENV = "CRACKDOWN_RESULTS_DIR"


@dataclass
class NotebookRun:
    """The outcome of running one notebook."""

    name: str
    question: str
    status: str  # "ok" or "failed"
    duration_s: float
    parameters: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    answer: str = ""


# ---------------------------------------------------------------------------------------------------------------
# Executing one notebook (runs in a worker process)


def _kernel_config(socket_dir: Path | None):
    """Kernels talk over private IPC sockets where the OS has them (no open TCP port, no plain-text warning).

    Each kernel gets its own short socket folder: IPC socket paths must be unique per kernel and short.
    """
    from traitlets.config import Config

    if socket_dir is None:
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": str(socket_dir / "k")}})


def _install_kernelspec(jupyter_dir: Path) -> None:
    """A private kernelspec running this environment's own Python, found through ``JUPYTER_PATH``.

    The runner always uses it, whatever kernel a notebook's metadata names (a kernel-name mismatch is the most
    common papermill failure).
    """
    spec_dir = jupyter_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "crackdown (project environment)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(jupyter_dir), os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)


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


def _error_message(name: str, exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return (
            f"{name}: failed in cell {exc.cell_index} (execution count {exc.exec_count}): "
            f"{exc.ename}: {scrub_text(str(exc.evalue))}"
        )
    kind = type(exc).__name__
    if kind == "DeadKernelError":
        return f"{name}: the kernel died while running the notebook ({scrub_text(str(exc))})"
    if kind in ("CellTimeoutError", "TimeoutError"):
        return f"{name}: a cell exceeded the timeout ({scrub_text(str(exc)).splitlines()[0] if str(exc) else kind})"
    return f"{name}: {kind}: {scrub_text(str(exc))}"


def execute_notebook(spec: NotebookSpec, parameters: dict[str, Any], stage: Path, timeout: float | None) -> NotebookRun:
    """Run one notebook into ``stage`` (notebooks/, html/, results/, failed/); never touches the live outputs."""
    import nbformat
    import papermill

    for sub in ("notebooks", "html", "results", "failed"):
        (stage / sub).mkdir(parents=True, exist_ok=True)
    results_dir = stage / "results" / spec.name
    results_dir.mkdir(parents=True, exist_ok=True)
    os.environ[RESULTS_DIR_ENV] = str(results_dir)
    _install_kernelspec(stage / "jupyter" / spec.name)
    executed = stage / "notebooks" / f"{spec.name}.ipynb"
    started = time.perf_counter()
    error = ""
    socket_dir = Path(tempfile.mkdtemp(prefix="cdk")) if os.name == "posix" else None
    try:
        papermill.execute_notebook(
            str(spec.path),
            str(executed),
            parameters=parameters,
            cwd=str(spec.path.parent),
            progress_bar=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            kernel_name=KERNEL_NAME,
            config=_kernel_config(socket_dir),
        )
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none is fatal to the run
        error = _error_message(spec.name, exc)
    finally:
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)
    duration = time.perf_counter() - started
    answer = ""
    if executed.exists():
        nb = nbformat.read(executed, as_version=4)
        scrub_notebook(nb)
        if error:
            nbformat.write(nb, stage / "failed" / f"{spec.name}.ipynb")
            executed.unlink()
        else:
            nbformat.write(nb, executed)
            (stage / "html" / f"{spec.name}.html").write_text(export_html(nb), encoding="utf-8")
            answer = _read_answer(results_dir / f"{spec.name}.json")
    elif not error:
        error = f"{spec.name}: papermill wrote no output notebook"
    return NotebookRun(spec.name, spec.question, "failed" if error else "ok", round(duration, 2), parameters, error, answer)


def _read_answer(path: Path) -> str:
    try:
        return str(json.loads(path.read_text()).get("answer", ""))
    except (OSError, ValueError):
        return ""


# ---------------------------------------------------------------------------------------------------------------
# Publishing outputs (main process)


def _publish(stage: Path, run: NotebookRun, outputs: Path) -> None:
    """Move a notebook's staged outputs into place, file by file with atomic renames."""
    moves = []
    if run.status == "ok":
        moves += [
            (stage / "notebooks" / f"{run.name}.ipynb", outputs / "notebooks" / f"{run.name}.ipynb"),
            (stage / "html" / f"{run.name}.html", outputs / "html" / f"{run.name}.html"),
        ]
        moves += [(p, outputs / "results" / p.name) for p in sorted((stage / "results" / run.name).glob("*.json"))]
        with contextlib.suppress(FileNotFoundError):
            (outputs / "failed" / f"{run.name}.ipynb").unlink()
    else:
        moves.append((stage / "failed" / f"{run.name}.ipynb", outputs / "failed" / f"{run.name}.ipynb"))
    for source, target in moves:
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    _write_atomic(outputs / "status" / f"{run.name}.json", json.dumps(asdict(run), indent=2, default=str))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


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


def data_hash(directory: Path | None = None) -> str:
    """sha256 over every file under ``data/`` (relative path and bytes), so a report names the data it used."""
    directory = directory or paths.data_dir()
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_index(specs: list[NotebookSpec], outputs: Path) -> Path:
    """Write ``outputs/html/index.html``: one row per notebook, with the commit and the data hash."""
    rows = []
    for spec in specs:
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
        rows.append(
            "<tr>"
            f"<td>{link}</td><td>{html.escape(spec.question)}</td>"
            f"<td>{html.escape(record.get('answer', ''))}</td>"
            f'<td class="{html.escape(status)}">{html.escape(status)}{note}</td>'
            f"<td>{record.get('duration_s', '')}</td><td><code>{html.escape(params)}</code></td>"
            "</tr>"
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(REPORT_TITLE)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 80rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border-bottom: 1px solid #ddd; padding: .5rem; text-align: left; vertical-align: top; }}
td.ok {{ color: #1a7f37; }} td.failed {{ color: #b42318; font-weight: bold; }} .error {{ font-weight: normal; font-family: monospace; }}
.note {{ font-weight: normal; color: #555; }} footer {{ margin-top: 2rem; color: #555; font-size: .9rem; }}
</style></head><body>
<h1>{html.escape(REPORT_TITLE)}</h1>
<p>Each notebook answers one question from the curated data in <code>data/</code>. Open a notebook for its
method, figures, and the caveats behind its answer.</p>
<table><thead><tr><th>Notebook</th><th>Question</th><th>Answer</th><th>Status</th><th>Duration (s)</th>
<th>Parameters</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
<footer>Commit <code>{html.escape(git_commit())}</code> &middot; data sha256 <code>{data_hash()}</code></footer>
</body></html>
"""
    index = outputs / "html" / "index.html"
    _write_atomic(index, page)
    return index


# ---------------------------------------------------------------------------------------------------------------
# The run


LOCK_NAME = ".lock"


@contextlib.contextmanager
def run_lock(outputs: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``outputs/.lock`` (fcntl); if another run holds it, say so and wait.

    The lock dies with its process, so a killed run never leaves a stale lock behind.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    outputs.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(outputs / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644), "r+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = handle.read().strip() or "another process"
            print(f"crackdown: another run ({holder}) is writing outputs/; waiting for it to finish "
                  f"(outputs/{LOCK_NAME})", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _staging(outputs: Path) -> Iterator[Path]:
    stage = outputs / ".staging" / uuid.uuid4().hex[:12]
    stage.mkdir(parents=True)
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def run_notebooks(
    specs: list[NotebookSpec],
    parameters: dict[str, dict[str, Any]],
    all_specs: list[NotebookSpec],
    jobs: int | None = None,
    timeout: float | None = None,
    progress: bool = True,
) -> list[NotebookRun]:
    """Run ``specs`` in parallel, honouring declared order; publish good outputs; rebuild the index.

    The whole run holds :func:`run_lock`, so concurrent runs take turns instead of mixing their outputs.
    """
    outputs = paths.outputs_dir()
    ordered = run_order(specs)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(ordered)))
    done: dict[str, NotebookRun] = {}
    with run_lock(outputs):
        _run_pool(ordered, parameters, outputs, jobs, timeout, progress, done)
        build_index(all_specs, outputs)
    return [done[s.name] for s in ordered]


def _run_pool(ordered: list[NotebookSpec], parameters: dict[str, dict[str, Any]], outputs: Path, jobs: int,
              timeout: float | None, progress: bool, done: dict[str, NotebookRun]) -> None:
    """Execute ``ordered`` in a process pool, publishing each notebook's outputs as it finishes."""
    from tqdm import tqdm

    pending = {s.name: s for s in ordered}
    selected = set(pending)
    with _staging(outputs) as stage, cf.ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context("spawn")
    ) as pool, tqdm(total=len(ordered), desc="notebooks", unit="nb", disable=not progress, file=sys.stderr) as bar:
        running: dict[cf.Future, str] = {}
        while pending or running:
            for name, spec in list(pending.items()):
                if all(d in done or d not in selected for d in spec.after) and len(running) < jobs:
                    running[pool.submit(execute_notebook, spec, parameters.get(name, {}), stage, timeout)] = name
                    del pending[name]
            finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - a crashed worker is one failed notebook
                    spec = next(s for s in ordered if s.name == name)
                    result = NotebookRun(name, spec.question, "failed", 0.0, parameters.get(name, {}), _error_message(name, exc))
                _publish(stage, result, outputs)
                done[name] = result
                bar.set_postfix_str(f"{name}: {result.status}")
                bar.update()

"""The run: notebooks in a pool of worker processes, in declared order, published as each finishes.

Ctrl-C belongs to the runner alone. Workers are born with SIGINT blocked and then ignore it (see
:func:`crackdown.runner.execute.init_worker`): a SIGINT that reached a worker while papermill started its kernel
would escape papermill's clean-up and leave the kernel (and the worker) behind, and the pool's shutdown would then
wait for them without limit. On Ctrl-C the runner stops its workers itself (terminate, a bounded wait, kill); their
kernels watch their parent and exit with them.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crackdown import paths
from crackdown.data.manifest import data_hash
from crackdown.errors import OutputsError
from crackdown.fileio import atomic_write
from crackdown.notebooks import NotebookSpec, effective_values, run_order
from crackdown.results import scratch_folder
from crackdown.runner import cache
from crackdown.runner.execute import NotebookRun, error_message, execute_notebook, init_worker
from crackdown.runner.export import git_commit
from crackdown.runner.publish import publish, publish_scratch, record_reuse, run_lock, staging
from crackdown.runner.scrub import scrub_text

WORKER_STOP_GRACE_S = 10.0


@contextlib.contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends, then raise ``KeyboardInterrupt``.

    Processes started inside the block inherit SIGINT blocked, so a worker cannot be interrupted while it boots.
    Used around starting workers and publishing (a notebook's outputs are published entirely or not at all).
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _stop_workers(pool: cf.ProcessPoolExecutor) -> None:
    """End every worker now: SIGTERM, a bounded wait, then SIGKILL. Never waits without limit."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for worker in workers:
        with contextlib.suppress(OSError, ValueError):
            worker.terminate()
    for worker in workers:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            worker.join(WORKER_STOP_GRACE_S)
            if worker.is_alive():
                worker.kill()
                worker.join(WORKER_STOP_GRACE_S)
    pool.shutdown(wait=False, cancel_futures=True)


def run_notebooks(
    specs: list[NotebookSpec],
    parameters: dict[str, dict[str, Any]],
    all_specs: list[NotebookSpec],
    jobs: int | None = None,
    timeout: float | None = None,
    progress: bool = True,
    scratch: frozenset[str] | set[str] = frozenset(),
    force: bool = False,
) -> list[NotebookRun]:
    """Run ``specs`` in parallel, honouring declared order; publish good outputs; rebuild the site.

    Notebooks named in ``scratch`` are one-off runs: their outputs go to ``outputs/scratch/<name>-<hash>/`` and
    the report is left alone. A report notebook whose execution cache entry matches (see
    :mod:`crackdown.runner.cache`) keeps its published outputs and is not executed, unless ``force``. The whole
    run, site included, holds :func:`run_lock`, so concurrent runs take turns instead of mixing their outputs.
    ``all_specs`` is kept for callers; the site lists every executed notebook under ``outputs/notebooks``.
    """
    outputs = paths.outputs_dir()
    ordered = run_order(specs)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(ordered)))
    done: dict[str, NotebookRun] = {}
    with run_lock(outputs):
        _run_pool(ordered, parameters, outputs, jobs, timeout, progress, done, frozenset(scratch), force)
        results = [done[s.name] for s in ordered]
        if any(s.name not in scratch for s in ordered):
            try:
                build_report_site(outputs)
            except Exception as exc:  # noqa: BLE001 - the notebooks' outputs are published; say why the site is not
                detail = scrub_text(str(exc)).splitlines()[0][:300] if str(exc) else ""
                raise SiteBuildError(f"outputs/html: the site was not built ({type(exc).__name__}: {detail}); the "
                                     "notebooks' outputs are published and the previous site was kept", results) from exc
    return results


class SiteBuildError(OutputsError):
    """The notebooks ran and were published, but the site could not be built; ``results`` says how they ran."""

    def __init__(self, message: str, results: list[NotebookRun]):
        super().__init__(message)
        self.results = results


def build_report_site(outputs: Path) -> Path:
    """The report's site in ``outputs/html`` from the published notebooks, results and status records.

    When the pages' inputs (executed notebooks, results, data, commit, site code, each notebook's status apart
    from its duration and ``reused`` flag) are those of the last build and its pages are all there, only the
    index (whose run details say what was reused) is written again: a rerun that reused everything stays cheap.
    """
    import crackdown.site
    from crackdown.site import RunInfo, build_site
    from crackdown.site.build import build_index_page

    html_dir = outputs / "html"
    for sub in ("notebooks", "results"):
        (outputs / sub).mkdir(parents=True, exist_ok=True)
    run_info = RunInfo.from_status_dir(outputs / "status", git_commit(), data_hash())
    statuses = sorted((n.name, n.status, n.question, n.parameters, n.error, n.answer) for n in run_info.notebooks)
    inputs = {
        "notebooks": cache.folder_hash(outputs / "notebooks", "*.ipynb"),
        "results": cache.folder_hash(outputs / "results", "*.json"),
        "site": cache.folder_hash(Path(crackdown.site.__file__).parent, "**/*"),
        "data": run_info.data_hash, "commit": run_info.commit, "statuses": statuses,
    }
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
    key_file = outputs / cache.CACHE_FOLDER.parent / "site.json"
    pages = [html_dir / f"{p.stem}.html" for p in (outputs / "notebooks").glob("*.ipynb")] + [html_dir / "index.html"]
    try:
        unchanged = json.loads(key_file.read_text(encoding="utf-8")).get("key") == key
    except (OSError, ValueError, AttributeError):
        unchanged = False
    if unchanged and (html_dir / "downloads").is_dir() and all(p.is_file() for p in pages):
        return build_index_page(outputs / "notebooks", outputs / "results", html_dir, run_info)
    key_file.unlink(missing_ok=True)
    index = build_site(outputs / "notebooks", outputs / "results", html_dir, run_info)
    atomic_write(key_file, json.dumps({"key": key}))
    return index


def _reused(spec: NotebookSpec, status: dict[str, Any]) -> NotebookRun:
    known = {k: v for k, v in status.items() if k in NotebookRun.__dataclass_fields__}
    return NotebookRun(**{**known, "name": spec.name, "question": spec.question, "reused": True})


def _cell_progress(stage: Path, running: list[str]) -> str:
    shown = []
    for name in running:
        try:
            shown.append(f"{name} {(stage / 'progress' / name).read_text(encoding='utf-8')}")
        except OSError:
            shown.append(f"{name} starting")
    return ", ".join(shown)


def _run_pool(ordered: list[NotebookSpec], parameters: dict[str, dict[str, Any]], outputs: Path, jobs: int,
              timeout: float | None, progress: bool, done: dict[str, NotebookRun], scratch: frozenset[str],
              force: bool) -> None:
    """Execute ``ordered`` in a process pool, publishing each notebook's outputs as it finishes.

    A notebook is scheduled once those it runs after are done; its cache key is computed then (it includes
    their published results). Cache hits are settled here, without a worker.
    """
    from tqdm import tqdm

    pending = {s.name: s for s in ordered}
    selected = set(pending)
    data = data_hash()
    with staging(outputs) as stage, _socket_folder() as sockets, \
            tqdm(total=len(ordered), desc="notebooks", unit="nb", disable=not progress, file=sys.stderr) as bar:
        pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=init_worker, initargs=(os.getpid(),))
        try:
            running: dict[cf.Future, tuple[str, str | None]] = {}
            while pending or running:
                for name, spec in list(pending.items()):
                    if not all(d in done or d not in selected for d in spec.after):
                        continue
                    given = parameters.get(name, {})
                    key = None if name in scratch else cache.cache_key(spec, given, data, outputs)
                    status = None if force or key is None else cache.lookup(outputs, name, key)
                    if status is not None:
                        result = _reused(spec, status)
                        with sigint_deferred():
                            record_reuse(result, outputs)
                        done[name] = result
                        del pending[name]
                        bar.set_postfix_str(f"{name}: reused")
                        bar.update()
                        continue
                    if len(running) >= jobs:
                        continue
                    with sigint_deferred():
                        future = pool.submit(execute_notebook, spec, given, stage, timeout, sockets)
                    running[future] = (name, key)
                    del pending[name]
                if not running:
                    continue
                finished, _ = cf.wait(running, timeout=1.0, return_when=cf.FIRST_COMPLETED)
                if not finished:
                    bar.set_postfix_str(_cell_progress(stage, [n for n, _ in running.values()]))
                    continue
                for future in finished:
                    name, key = running.pop(future)
                    spec = next(s for s in ordered if s.name == name)
                    try:
                        result = future.result()
                    except Exception as exc:  # noqa: BLE001 - a crashed worker is one failed notebook
                        result = NotebookRun(name, spec.question, "failed", 0.0, parameters.get(name, {}),
                                             error_message(name, exc))
                    with sigint_deferred():
                        if name in scratch:
                            folder = scratch_folder(name, effective_values(spec, result.parameters))
                            publish_scratch(stage, result, folder)
                            result.scratch = paths.relative_to_root(folder)
                        else:
                            publish(stage, result, outputs, key)
                    done[name] = result
                    bar.set_postfix_str(f"{name}: {result.status}")
                    bar.update()
        except BaseException:
            _stop_workers(pool)
            raise
        pool.shutdown(wait=True)


SOCKET_FOLDER = re.compile(r"^cdk(\d+)-[a-z0-9_]+$")  # cdk<runner pid>-<random>, in the temp folder


def remove_stale_socket_folders() -> list[Path]:
    """Remove socket folders left by runners that no longer exist (killed with SIGKILL); returns them."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob("cdk*-*"):
        match = SOCKET_FOLDER.match(folder.name)
        if not match or not folder.is_dir() or folder.is_symlink():
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        except OSError:
            continue
    return removed


@contextlib.contextmanager
def _socket_folder() -> Iterator[Path | None]:
    """A short private folder for the kernels' IPC sockets (POSIX), removed when the run ends, however it ends
    (or, after a SIGKILL, by the next run)."""
    if os.name != "posix":
        yield None
        return
    remove_stale_socket_folders()
    folder = Path(tempfile.mkdtemp(prefix=f"cdk{os.getpid()}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


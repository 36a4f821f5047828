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
from crackdown.notebooks import NotebookSpec, run_order
from crackdown.runner.execute import NotebookRun, error_message, execute_notebook, init_worker
from crackdown.runner.export import build_index
from crackdown.runner.publish import publish, run_lock, staging

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
    with staging(outputs) as stage, _socket_folder() as sockets, \
            tqdm(total=len(ordered), desc="notebooks", unit="nb", disable=not progress, file=sys.stderr) as bar:
        pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=init_worker, initargs=(os.getpid(),))
        try:
            running: dict[cf.Future, str] = {}
            while pending or running:
                for name, spec in list(pending.items()):
                    if all(d in done or d not in selected for d in spec.after) and len(running) < jobs:
                        with sigint_deferred():
                            future = pool.submit(execute_notebook, spec, parameters.get(name, {}), stage, timeout,
                                                 sockets)
                        running[future] = name
                        del pending[name]
                finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    name = running.pop(future)
                    try:
                        result = future.result()
                    except Exception as exc:  # noqa: BLE001 - a crashed worker is one failed notebook
                        spec = next(s for s in ordered if s.name == name)
                        result = NotebookRun(name, spec.question, "failed", 0.0, parameters.get(name, {}),
                                             error_message(name, exc))
                    with sigint_deferred():
                        publish(stage, result, outputs)
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


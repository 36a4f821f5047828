"""Executing one notebook with papermill in a worker process, into the run's staging folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crackdown.fileio import atomic_write
from crackdown.notebooks import NotebookSpec
from crackdown.results import RESULTS_DIR_ENV
from crackdown.runner.scrub import scrub_notebook, scrub_text

KERNEL_NAME = "crackdown-python"
# Math-library thread pools in each kernel: one thread. The runner already runs one notebook per CPU, and the
# notebooks' matrices are small; OpenBLAS's default (a thread per CPU in every kernel) oversubscribes the CPUs and
# its threads spin while they wait: on 2 CPUs it cost notebook 04 about 6 s of its 17 s of CPU (BENCHMARKS.md,
# "Cold report, round 3"). One thread also makes the last bits of a result independent of the machine's core
# count. A value already set in the environment is kept.
KERNEL_THREAD_LIMITS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
STAGE_FOLDERS = ("notebooks", "results", "failed", "progress")


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
    reused: bool = False  # the published outputs were kept (execution cache hit), not executed again
    scratch: str = ""  # a one-off run's folder (outputs/scratch/<name>-<hash>), empty for the report


# Process ids of the kernels this worker started and has not shut down yet (each leads its own process group:
# jupyter_client starts kernels in a new session). Cleared when papermill returns, as the kernel is then shut down
# and reaped, so a pid reused by another process is never signalled.
_LIVE_KERNELS: set[int] = set()


def _kill_live_kernels() -> None:
    """SIGKILL every live kernel of this worker, with anything it started (its process group)."""
    for pid in list(_LIVE_KERNELS):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def _stop_worker(signum: int, _frame: object) -> None:
    """SIGTERM (the runner stopping its workers): take the kernels down first, then leave at once."""
    _kill_live_kernels()
    os._exit(128 + signum)


def init_worker(parent_pid: int) -> None:
    """Set up a pool worker: Ctrl-C is the runner's to handle, and the worker dies with the runner.

    Ctrl-C reaches every process of the terminal's group. A worker interrupted while it starts a kernel would
    leave that kernel running (papermill starts it before its clean-up is armed), so workers ignore SIGINT and
    the runner stops them with SIGTERM, on which a worker kills its kernels before it exits (a kernel would
    otherwise notice only by polling for its parent, and an orphan holds the runner's output pipes open). A
    watchdog thread ends the worker, kernels first, when the runner is gone (killed with SIGKILL, say), so no
    worker or kernel outlives it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    if hasattr(signal, "pthread_sigmask"):  # born with SIGINT blocked (see pool.sigint_deferred); kernels need it
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        _kill_live_kernels()
        os._exit(1)

    threading.Thread(target=watch, name="crackdown-parent-watchdog", daemon=True).start()


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
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "crackdown (project environment)",
        "language": "python",
        "env": kernel_env(),
    }
    atomic_write(jupyter_dir / "kernels" / KERNEL_NAME / "kernel.json", json.dumps(spec))
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(jupyter_dir), os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)


def kernel_env() -> dict[str, str]:
    """Environment the runner's kernels get on top of the runner's: :data:`KERNEL_THREAD_LIMITS` at 1 unless set."""
    return {name: os.environ.get(name, "1") for name in KERNEL_THREAD_LIMITS}


def _kernel_manager_class():
    """jupyter_client's kernel manager, minus the interrupt it sends before a shutdown request, noting each kernel
    it launches in :data:`_LIVE_KERNELS` (killed with the worker; see :func:`init_worker`).

    ``KernelManager.shutdown_kernel`` first interrupts the kernel (SIGINT, so a busy kernel can hear the
    shutdown request), then asks it to shut down. After a successful run the kernel is idle, and the SIGINT
    lands in ipykernel's message loop, which logs ``[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.``:
    a false alarm on every run. Here the interrupt is skipped while shutting down; a kernel that does not
    answer the shutdown request is still killed by ``finish_shutdown`` (and a timed-out cell is interrupted
    by nbclient itself before that).
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietShutdownKernelManager(AsyncKernelManager):
        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            await super()._async_launch_kernel(kernel_cmd, **kw)
            pid = getattr(self.provisioner, "pid", None)
            if pid:
                _LIVE_KERNELS.add(int(pid))  # see init_worker: killed with the worker when the runner stops it

    return QuietShutdownKernelManager


def _progress_hook(path: Path, total: int):
    """A papermill/nbclient ``on_cell_start`` hook writing ``cell <i>/<n>`` to ``path`` for the runner's display."""

    def on_cell_start(cell, cell_index: int, **_: Any) -> None:
        try:
            path.write_text(f"cell {cell_index + 1}/{total}", encoding="utf-8")
        except OSError:
            pass

    return on_cell_start


def error_message(name: str, exc: BaseException) -> str:
    """One line saying why notebook ``name`` failed, with local paths scrubbed."""
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
    if isinstance(exc, OSError) and exc.strerror:
        return f"{name}: cannot write the staged outputs ({exc.strerror})"
    return f"{name}: {kind}: {scrub_text(str(exc))}"


def execute_notebook(spec: NotebookSpec, parameters: dict[str, Any], stage: Path, timeout: float | None,
                     sockets: Path | None = None) -> NotebookRun:
    """Run one notebook into ``stage`` (notebooks/, results/, failed/, progress/); never touches the live outputs.

    The kernel's connection file goes under the stage and its IPC sockets under ``sockets`` (a short folder the
    runner owns), so nothing is left behind in shared folders even when the run is interrupted.
    """
    import nbformat
    import papermill

    for sub in STAGE_FOLDERS:
        (stage / sub).mkdir(parents=True, exist_ok=True)
    results_dir = stage / "results" / spec.name
    results_dir.mkdir(parents=True, exist_ok=True)
    os.environ[RESULTS_DIR_ENV] = str(results_dir)
    _install_kernelspec(stage / "jupyter" / spec.name)
    os.environ["JUPYTER_RUNTIME_DIR"] = str(stage / "jupyter" / spec.name / "runtime")
    executed = stage / "notebooks" / f"{spec.name}.ipynb"
    started = time.perf_counter()
    error = ""
    socket_dir = Path(tempfile.mkdtemp(prefix="k", dir=sockets)) if os.name == "posix" else None
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
            language="python",  # the runner's kernel is Python, whatever (or nothing) the metadata says
            config=_kernel_config(socket_dir),
            kernel_manager_class=_kernel_manager_class(),
            on_cell_start=_progress_hook(stage / "progress" / spec.name, _cell_count(spec.path) + bool(parameters)),
        )
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none is fatal to the run
        error = error_message(spec.name, exc)
    finally:
        _LIVE_KERNELS.clear()  # papermill has shut the kernel down (and reaped it)
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
            answer = _read_answer(results_dir / f"{spec.name}.json")
    elif not error:
        error = f"{spec.name}: papermill wrote no output notebook"
    return NotebookRun(spec.name, spec.question, "failed" if error else "ok", round(duration, 2), parameters, error, answer)


def _cell_count(path: Path) -> int:
    try:
        return len(json.loads(path.read_text(encoding="utf-8")).get("cells", []))
    except (OSError, ValueError):
        return 0


def _read_answer(path: Path) -> str:
    try:
        return str(json.loads(path.read_text()).get("answer", ""))
    except (OSError, ValueError):
        return ""

"""Publishing: the run lock, the staging folder, and moving a notebook's staged outputs into place.

One run at a time writes to ``outputs/``: a run holds an exclusive lock on ``outputs/.lock`` from start to
index. Everything a run writes is staged under ``outputs/.staging/<run>/`` first; a notebook's outputs are
published together (atomic renames, rolled back if one fails), so ``outputs/`` never holds half a notebook.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import shutil
import stat
import sys
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from crackdown import paths
from crackdown.errors import OutputsError
from crackdown.fileio import atomic_write
from crackdown.runner import cache
from crackdown.runner.execute import NotebookRun

LOCK_NAME = ".lock"
STAGING_NAME = ".staging"


def _shown(path: Path) -> str:
    """``path`` relative to the project root, without following a link at its end."""
    return f"{paths.relative_to_root(path.parent)}/{path.name}" if path.is_absolute() else path.as_posix()


def _open_lock(path: Path) -> int:
    """A descriptor of the lock file, refusing anything but a plain file of our own (never following a link).

    A symlink or a hard link planted at ``outputs/.lock`` would otherwise make the run truncate its target.
    """
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if path.is_symlink():
            raise OutputsError(f"{_shown(path)}: the lock file is a symbolic link; refusing to follow it "
                               "(remove it and run again)") from None
        raise OutputsError(f"{_shown(path)}: cannot create the lock file ({exc.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        what = "not a regular file" if not stat.S_ISREG(info.st_mode) else "a hard link to another file"
        raise OutputsError(f"{_shown(path)}: the lock file is {what}; refusing to use it (remove it and run again)")
    return fd


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
    try:
        outputs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputsError(f"{_shown(outputs)}: cannot create the outputs folder ({exc.strerror})") from None
    with os.fdopen(_open_lock(outputs / LOCK_NAME), "r+") as handle:
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
def staging(outputs: Path) -> Iterator[Path]:
    """A fresh staging folder for one run, removed afterwards whatever happens.

    Call it while holding :func:`run_lock`: staging folders left by a killed run are removed first (no other
    run can be using them).
    """
    root = outputs / STAGING_NAME
    if root.is_dir() and not root.is_symlink():
        for stale in root.iterdir():
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
    stage = root / uuid.uuid4().hex[:12]
    try:
        stage.mkdir(parents=True)
    except OSError as exc:
        raise OutputsError(f"{_shown(outputs)}: cannot write the staging folder ({exc.strerror}); "
                           "nothing was run") from None
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _moves(stage: Path, run: NotebookRun, outputs: Path) -> list[tuple[Path, Path]]:
    if run.status != "ok":
        return [(stage / "failed" / f"{run.name}.ipynb", outputs / "failed" / f"{run.name}.ipynb")]
    moves = [(stage / "notebooks" / f"{run.name}.ipynb", outputs / "notebooks" / f"{run.name}.ipynb")]
    return moves + [(p, outputs / "results" / p.name) for p in sorted((stage / "results" / run.name).glob("*.json"))]


def publish(stage: Path, run: NotebookRun, outputs: Path, key: str | None = None) -> None:
    """Move a notebook's staged outputs and its status record into place, all or nothing.

    Each file replaces its target with an atomic rename; earlier versions are kept (hard links) in the stage
    until the status record is written, and put back if any step fails (disk full, read-only folder), so a
    failure leaves the notebook's earlier outputs exactly as they were. A successful run with an execution
    cache ``key`` records its published files in the cache (:mod:`crackdown.runner.cache`).
    """
    backups = stage / "backup" / run.name
    moved: list[tuple[Path, Path | None]] = []
    try:
        for source, target in _moves(stage, run, outputs):
            if not source.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            backup = None
            if target.exists():
                backup = backups / target.relative_to(outputs)
                backup.parent.mkdir(parents=True, exist_ok=True)
                os.link(target, backup)
            os.replace(source, target)
            moved.append((target, backup))
        if run.status == "ok":
            cache.forget(outputs, run.name)  # the entry describes the outputs just replaced
        atomic_write(outputs / "status" / f"{run.name}.json", json.dumps(asdict(run), indent=2, default=str))
    except OSError as exc:
        for target, backup in reversed(moved):
            with contextlib.suppress(OSError):
                if backup is None:
                    target.unlink()
                else:
                    os.replace(backup, target)
        where = _shown(Path(exc.filename)) if exc.filename else _shown(outputs)
        raise OutputsError(f"{where}: cannot publish {run.name} ({exc.strerror or exc}); its earlier outputs "
                           "were kept") from None
    if run.status == "ok":
        with contextlib.suppress(OSError):
            (outputs / "failed" / f"{run.name}.ipynb").unlink()
        if key is not None:
            published = [target for target, _ in moved if target.parent.name in ("notebooks", "results")]
            with contextlib.suppress(OSError):
                cache.store(outputs, run.name, key, published, asdict(run))


def record_reuse(run: NotebookRun, outputs: Path) -> None:
    """Write the status record of a notebook whose published outputs were kept (an execution cache hit)."""
    try:
        atomic_write(outputs / "status" / f"{run.name}.json", json.dumps(asdict(run), indent=2, default=str))
    except OSError as exc:
        raise OutputsError(f"{_shown(outputs)}: cannot write the status of {run.name} ({exc.strerror})") from None
    with contextlib.suppress(OSError):
        (outputs / "failed" / f"{run.name}.ipynb").unlink()


def publish_scratch(stage: Path, run: NotebookRun, folder: Path) -> None:
    """Move a one-off run's outputs to its scratch ``folder`` (executed notebook, results, HTML page), replacing
    an earlier run there; the report (``outputs/html``, ``outputs/results``, status, index) is not touched."""
    import nbformat

    from crackdown.site import layout
    from crackdown.site.reader import export_reader_html

    shutil.rmtree(folder, ignore_errors=True)
    (folder / "results").mkdir(parents=True)
    try:
        if run.status != "ok":
            os.replace(stage / "failed" / f"{run.name}.ipynb", folder / f"{run.name}.failed.ipynb")
        else:
            os.replace(stage / "notebooks" / f"{run.name}.ipynb", folder / f"{run.name}.ipynb")
            for path in sorted((stage / "results" / run.name).glob("*.json")):
                os.replace(path, folder / "results" / path.name)
            nb = nbformat.read(folder / f"{run.name}.ipynb", as_version=4)
            params = ", ".join(f"{k}={v!r}" for k, v in run.parameters.items()) or "defaults"
            note = (f'<p class="notice">A one-off run of {html.escape(run.name)} with {html.escape(params)}: not '
                    "part of the report (see <code>crackdown run --publish</code>).</p>")
            shell = {"title": f"{run.name} (one-off run)", "css": layout.css(), "script": layout.script(),
                     "header": note, "footer": ""}
            atomic_write(folder / f"{run.name}.html", export_reader_html(nb, shell))
        atomic_write(folder / "status.json", json.dumps(asdict(run), indent=2, default=str))
    except OSError as exc:
        raise OutputsError(f"{_shown(folder)}: cannot write the one-off run of {run.name} ({exc.strerror or exc})") from None

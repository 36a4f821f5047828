"""Two `crackdown run` at once take turns on outputs/.lock instead of mixing their outputs."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import run_crackdown

from crackdown.runner import LOCK_NAME, run_lock

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the run lock uses fcntl")


def _locked(path: Path) -> bool:
    """Whether another process holds the run lock at ``path``."""
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _popen(root: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CRACKDOWN_ROOT": str(root)}
    return subprocess.Popen([sys.executable, "-m", "crackdown", *args], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def test_a_second_run_waits_for_the_first(scratch_project: Path) -> None:
    lock = scratch_project / "outputs" / LOCK_NAME
    first = _popen(scratch_project, "run", "fails", "-p", "sleep_s", "6", "--publish", "--no-progress")
    try:
        deadline = time.monotonic() + 120
        while not _locked(lock) and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _locked(lock), "the first run never took the lock"
        second = run_crackdown(scratch_project, "run", "ok", "--no-progress")
        first_out, first_err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    assert "another run (pid " in second.stderr and "waiting for it to finish" in second.stderr
    out = scratch_project / "outputs"
    # the second run published only after the first had finished publishing
    assert (out / "html" / "ok.html").stat().st_mtime >= (out / "status" / "fails.json").stat().st_mtime
    for name in ("ok", "fails"):
        assert json.loads((out / "status" / f"{name}.json").read_text())["status"] == "ok"
    index = (out / "html" / "index.html").read_text()
    assert 'href="ok.html"' in index and 'href="fails.html"' in index
    assert not [p for p in (out / ".staging").rglob("*")], "staging leftovers"
    assert not _locked(lock)


def test_lock_dies_with_a_killed_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run killed with SIGKILL leaves no stale lock: the next run starts at once, without waiting."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\nfrom crackdown.runner import run_lock\n"
         "with run_lock(Path(sys.argv[1])):\n    print('locked', flush=True)\n    time.sleep(600)\n", str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert _locked(tmp_path / LOCK_NAME)
        assert f"pid {holder.pid}" in (tmp_path / LOCK_NAME).read_text()
    finally:
        holder.kill()
        holder.wait()
    with run_lock(tmp_path):
        pass
    assert "waiting" not in capsys.readouterr().err


def test_waiting_run_proceeds_when_the_lock_is_released(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom pathlib import Path\nfrom crackdown.runner import run_lock\n"
         "with run_lock(Path(sys.argv[1])):\n    print('locked', flush=True)\n    sys.stdin.readline()\n", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    acquired = threading.Event()

    def take() -> None:
        with run_lock(tmp_path):
            acquired.set()

    try:
        assert holder.stdout.readline().strip() == "locked"
        waiter = threading.Thread(target=take)
        waiter.start()
        time.sleep(1.0)
        assert not acquired.is_set(), "the lock was taken while another process held it"
        holder.stdin.write("\n")
        holder.stdin.flush()
        waiter.join(timeout=30)
        assert acquired.is_set()
    finally:
        holder.kill()
        holder.wait()
    assert f"another run (pid {holder.pid}) is writing outputs/; waiting" in capsys.readouterr().err

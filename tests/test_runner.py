"""The notebook runner end to end: success, failures, parameter checks, and that good outputs survive a failure."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_crackdown

ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:root|home|tmp|work|Users|usr|opt)/[\w.-]+")


def test_good_notebook_runs_and_is_listed_in_the_index(scratch_project: Path) -> None:
    result = run_crackdown(scratch_project, "run", "ok", "-p", "n", "4", "--publish", "--no-progress")
    assert result.returncode == 0, result.stderr
    out = scratch_project / "outputs"
    assert (out / "notebooks" / "ok.ipynb").exists()
    html = (out / "html" / "ok.html").read_text()
    assert "2.0 x" in html  # n * ratio with n injected as 4
    index = (out / "html" / "index.html").read_text()
    assert 'href="ok.html"' in index and "<code>n=4</code>" in index  # run details: what produced the page
    assert "data sha256" in index
    for page in ("data.html", "glossary.html"):  # the site, not a folder of pages
        assert (out / "html" / page).exists()


def test_outputs_carry_no_local_paths(scratch_project: Path) -> None:
    assert run_crackdown(scratch_project, "run", "--no-progress").returncode == 0
    # a failure's traceback runs through site-packages: it must be scrubbed too
    assert run_crackdown(scratch_project, "run", "fails", "-p", "should_fail", "true", "--publish",
                         "--no-progress").returncode == 1
    assert (scratch_project / "outputs" / "failed" / "fails.ipynb").exists()
    for path in (scratch_project / "outputs").rglob("*"):
        if path.is_file() and path.suffix in {".ipynb", ".html", ".json"}:
            text = path.read_text()
            assert str(scratch_project) not in text, path
            assert not ABSOLUTE_PATH.search(text), (path, ABSOLUTE_PATH.search(text).group(0))


def test_failing_cell_keeps_good_outputs_and_the_partial_notebook(scratch_project: Path) -> None:
    first = run_crackdown(scratch_project, "run", "fails", "--no-progress")
    assert first.returncode == 0, first.stderr
    out = scratch_project / "outputs"
    assert "finished" in (out / "html" / "fails.html").read_text()
    good_notebook = (out / "notebooks" / "fails.ipynb").read_bytes()
    good_results = (out / "results" / "fails.json").read_bytes()

    second = run_crackdown(scratch_project, "run", "fails", "ok", "-f", str(_params(scratch_project)), "--publish",
                           "--no-progress")
    assert second.returncode == 1
    assert "fails: failed in cell" in second.stderr
    assert "RuntimeError: deliberate failure" in second.stderr
    assert (out / "failed" / "fails.ipynb").exists()
    page = (out / "html" / "fails.html").read_text()  # the site shows the last good output, and says so
    assert "finished" in page and "The last run of this notebook failed" in page
    assert (out / "notebooks" / "fails.ipynb").read_bytes() == good_notebook
    assert (out / "results" / "fails.json").read_bytes() == good_results  # staged results of a failure are dropped
    # the other notebook still ran, and the index marks the failure
    assert (out / "html" / "ok.html").exists()
    index = (out / "html" / "index.html").read_text()
    assert "<td>fails</td><td>failed<div" in index and "deliberate failure" in index  # the site's run details
    assert json.loads((out / "status" / "ok.json").read_text())["status"] == "ok"


def _params(root: Path) -> Path:
    path = root / "params.yaml"
    path.write_text("fails:\n  should_fail: true\nok:\n  n: 1\n")
    return path


def test_unknown_parameter_lists_the_valid_ones_and_runs_nothing(scratch_project: Path) -> None:
    result = run_crackdown(scratch_project, "run", "ok", "-p", "nn", "4", "--no-progress")
    assert result.returncode == 2
    assert "unknown parameter 'nn'" in result.stderr
    assert "valid parameters: n, label, ratio, items" in result.stderr
    assert not (scratch_project / "outputs" / "html").exists()


def test_wrongly_typed_value_is_rejected_with_the_expected_type(scratch_project: Path) -> None:
    result = run_crackdown(scratch_project, "run", "ok", "-p", "n", "three", "--no-progress")
    assert result.returncode == 2
    assert "parameter 'n' of ok must be int" in result.stderr and "'three'" in result.stderr


def test_int_is_accepted_for_a_float_parameter(scratch_project: Path) -> None:
    result = run_crackdown(scratch_project, "run", "ok", "-p", "ratio", "2", "--publish", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "6.0 x" in (scratch_project / "outputs" / "html" / "ok.html").read_text()


def test_unknown_notebook_suggests_close_names(scratch_project: Path) -> None:
    result = run_crackdown(scratch_project, "run", "okk", "--no-progress")
    assert result.returncode == 2
    assert "unknown notebook 'okk'" in result.stderr and "ok" in result.stderr


def test_dead_kernel_and_timeout_are_reported(scratch_project: Path) -> None:
    died = run_crackdown(scratch_project, "run", "fails", "-p", "kill_kernel", "true", "--publish", "--no-progress")
    assert died.returncode == 1
    assert "kernel died" in died.stderr
    slow = run_crackdown(scratch_project, "run", "fails", "-p", "sleep_s", "30", "--timeout", "3", "--publish",
                         "--no-progress")
    assert slow.returncode == 1
    assert "timeout" in slow.stderr.lower()
    assert not (scratch_project / "outputs" / "html" / "fails.html").exists()


def test_list_shows_parameters_types_and_defaults(scratch_project: Path) -> None:
    result = run_crackdown(scratch_project, "list")
    assert result.returncode == 0, result.stderr
    assert "ratio: float = 0.5" in result.stdout
    assert "items: list = ['a', 'b']" in result.stdout


def test_unquoted_date_is_accepted_for_a_string_parameter(scratch_project: Path) -> None:
    result = run_crackdown(scratch_project, "run", "ok", "-p", "label", "2021-07-23", "--publish", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "2021-07-23" in (scratch_project / "outputs" / "html" / "ok.html").read_text()


def test_notebook_without_kernel_metadata_runs_in_the_project_kernel(scratch_project: Path) -> None:
    import nbformat

    nb = nbformat.read(scratch_project / "notebooks" / "ok.ipynb", as_version=4)
    nb.metadata.pop("kernelspec", None)
    nb.metadata["kernelspec"] = {"name": "some-other-kernel", "display_name": "x", "language": "python"}
    nbformat.write(nb, scratch_project / "notebooks" / "ok.ipynb")
    result = run_crackdown(scratch_project, "run", "ok", "--no-progress")
    assert result.returncode == 0, result.stderr
    nb.metadata.pop("kernelspec")
    nbformat.write(nb, scratch_project / "notebooks" / "ok.ipynb")
    listed = run_crackdown(scratch_project, "list")
    assert listed.returncode == 0, listed.stderr
    assert "n: int = 3" in listed.stdout


def test_kernels_run_math_libraries_on_one_thread(scratch_project: Path, monkeypatch) -> None:
    """The runner runs a notebook per CPU: each kernel's BLAS/OpenMP pools get one thread, unless the user set one."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["crackdown"] = {"question": "Which thread limits does the kernel see?"}
    cell = nbformat.v4.new_code_cell("n = 1")
    cell.metadata["tags"] = ["parameters"]
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    nb.cells = [cell, nbformat.v4.new_code_cell(f"import os\nprint({{k: os.environ.get(k) for k in {names!r}}})")]
    nbformat.write(nb, scratch_project / "notebooks" / "threads.ipynb")
    for name in names:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    result = run_crackdown(scratch_project, "run", "threads", "--no-progress")
    assert result.returncode == 0, result.stderr
    executed = nbformat.read(scratch_project / "outputs" / "notebooks" / "threads.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    assert printed.strip() == str({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "3"})


WORKER_WITH_A_KERNEL = """
import os, subprocess, sys, time
from crackdown.runner import execute
execute.init_worker(os.getppid())
kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
execute._LIVE_KERNELS.add(kernel.pid)
print(kernel.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited (its parent, gone, cannot reap it before init does)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see whether the kernel still runs")
def test_a_stopped_worker_takes_its_kernel_down_at_once() -> None:
    """The runner stops workers with SIGTERM (Ctrl-C, a crash): the worker kills its kernel's process group before
    it exits, instead of leaving an orphan that only notices by polling and holds the runner's pipes open."""
    worker = subprocess.Popen([sys.executable, "-c", WORKER_WITH_A_KERNEL], stdout=subprocess.PIPE, text=True)
    kernel = int(worker.stdout.readline())
    assert _alive(kernel)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 128 + signal.SIGTERM
    deadline = time.monotonic() + 10
    while _alive(kernel) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(kernel)

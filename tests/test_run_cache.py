"""Report runs: the execution cache (hits; misses after a change to data, code, parameters or an upstream result;
corrupt entries; --force), one-off runs in outputs/scratch versus --publish, and no false ERROR line."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, Completed, run_crackdown


def _status(root: Path, name: str) -> dict:
    return json.loads((root / "outputs" / "status" / f"{name}.json").read_text())


def _reused(root: Path) -> dict[str, bool]:
    return {p.stem: json.loads(p.read_text())["reused"] for p in sorted((root / "outputs" / "status").glob("*.json"))}


def _snapshot(root: Path, subs: tuple[str, ...] = ("notebooks", "results", "status", "html")) -> dict[str, str]:
    out = root / "outputs"
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for sub in subs for p in sorted((out / sub).rglob("*")) if p.is_file()}


def _run(root: Path, *args: str, env: dict[str, str] | None = None) -> Completed:
    if env is None:
        result = run_crackdown(root, "run", *args, "--no-progress")
    else:
        proc = subprocess.run([sys.executable, "-m", "crackdown", "run", *args, "--no-progress"], cwd=root,
                              env={**os.environ, "CRACKDOWN_ROOT": str(root), **env}, capture_output=True, text=True,
                              timeout=900, check=False)
        result = Completed(proc.returncode, proc.stdout, proc.stderr)
    assert result.returncode == 0, result.stderr
    return result


def test_unchanged_notebooks_are_reused_and_corrupt_entries_or_force_execute_again(scratch_project: Path) -> None:
    first = _run(scratch_project)
    assert "ERROR" not in first.stderr and "KeyboardInterrupt" not in first.stderr, first.stderr
    assert _reused(scratch_project) == {"fails": False, "ok": False}
    before = _snapshot(scratch_project, ("notebooks", "results"))

    second = _run(scratch_project)
    assert _reused(scratch_project) == {"fails": True, "ok": True}
    assert "0 executed; 2 reused (fails, ok)" in second.stdout
    assert _snapshot(scratch_project, ("notebooks", "results")) == before  # republished unchanged
    index = (scratch_project / "outputs" / "html" / "index.html").read_text()
    assert "ok (reused)" in index and "fails (reused)" not in index and "<td>fails</td><td>ok (reused)" in index

    cache = scratch_project / "outputs" / ".cache" / "exec"
    (cache / "ok.json").write_text("{not json")  # a corrupt entry
    results = scratch_project / "outputs" / "results" / "fails.json"
    results.write_text(results.read_text().replace("ran", "tampered"))  # an output changed behind the cache's back
    _run(scratch_project)
    assert _reused(scratch_project) == {"fails": False, "ok": False}
    assert json.loads(results.read_text())["answer"] == "ran"

    forced = _run(scratch_project, "--force")
    assert _reused(scratch_project) == {"fails": False, "ok": False}
    assert "2 executed; 0 reused" in forced.stdout


def test_a_change_to_data_or_parameters_executes_again(scratch_project: Path) -> None:
    _run(scratch_project, "ok")
    _run(scratch_project, "ok")
    assert _status(scratch_project, "ok")["reused"] is True
    (scratch_project / "data" / "NOTE.txt").write_text("a new file changes the data's hash\n")
    _run(scratch_project, "ok")
    assert _status(scratch_project, "ok")["reused"] is False
    _run(scratch_project, "ok", "-p", "n", "4", "--publish")
    assert _status(scratch_project, "ok")["reused"] is False
    assert _status(scratch_project, "ok")["parameters"] == {"n": 4}
    _run(scratch_project, "ok")  # back to the report's values: the published outputs are n=4's, so a miss
    assert _status(scratch_project, "ok")["reused"] is False
    assert _status(scratch_project, "ok")["parameters"] == {}


def test_a_change_to_the_library_code_executes_again(scratch_project: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(ROOT / "lib" / "crackdown", lib / "crackdown", ignore=shutil.ignore_patterns("__pycache__"))
    env = {"PYTHONPATH": str(lib)}
    _run(scratch_project, "ok", env=env)
    _run(scratch_project, "ok", env=env)
    assert _status(scratch_project, "ok")["reused"] is True
    with (lib / "crackdown" / "text.py").open("a") as handle:
        handle.write("\n# a change to the library\n")
    _run(scratch_project, "ok", env=env)
    assert _status(scratch_project, "ok")["reused"] is False


def _notebook(path: Path, parameters: str, code: str, after: list[str] | None = None) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {path.stem}"),
                                         nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                                         nbformat.v4.new_code_cell(code)])
    nb.metadata["crackdown"] = {"question": f"{path.stem}?", **({"after": after} if after else {})}
    nbformat.write(nb, path)


def test_a_changed_upstream_result_executes_its_reader_again(scratch_project: Path) -> None:
    notebooks = scratch_project / "notebooks"
    for old in notebooks.glob("*.ipynb"):
        old.unlink()
    _notebook(notebooks / "up.ipynb", "value = 1",
              "from crackdown.results import write_results\nwrite_results('up', {'answer': str(value)})")
    _notebook(notebooks / "down.ipynb", "x = 0",
              "from crackdown.results import read_results\nprint(read_results('up')['answer'])", after=["up"])
    _run(scratch_project)
    _run(scratch_project)
    assert _reused(scratch_project) == {"down": True, "up": True}
    _run(scratch_project, "up", "-p", "value", "2", "--publish")
    _run(scratch_project, "down")  # down itself did not change; what it reads did
    assert _status(scratch_project, "down")["reused"] is False
    executed = nbformat.read(scratch_project / "outputs" / "notebooks" / "down.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"].strip() == "2"
    _run(scratch_project, "down")
    assert _status(scratch_project, "down")["reused"] is True


def test_one_off_run_goes_to_scratch_and_leaves_the_report_alone(scratch_project: Path) -> None:
    _run(scratch_project)
    report = _snapshot(scratch_project)
    one_off = _run(scratch_project, "fails", "-p", "sleep_s", "0.5")
    assert "outputs/scratch/fails-" in one_off.stdout and "the report is unchanged" in one_off.stdout
    assert _snapshot(scratch_project) == report  # pages, index, results, status: untouched
    folders = list((scratch_project / "outputs" / "scratch").glob("fails-*"))
    assert len(folders) == 1
    folder = folders[0]
    for file in ("fails.ipynb", "fails.html", "results/fails.json"):
        assert (folder / file).is_file(), file
    assert "sleep_s=0.5" in (folder / "fails.html").read_text()

    _run(scratch_project, "fails", "-p", "sleep_s", "0.5", "--publish")
    assert _status(scratch_project, "fails")["parameters"] == {"sleep_s": 0.5}
    index = (scratch_project / "outputs" / "html" / "index.html").read_text()
    assert "<code>sleep_s=0.5</code>" in index  # the parameters column says what produced the page


def test_results_written_outside_the_runner_go_to_scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook run in JupyterLab (no CRACKDOWN_RESULTS_DIR from the runner) never writes the report's results."""
    from crackdown.results import write_results

    monkeypatch.setenv("CRACKDOWN_ROOT", str(tmp_path))
    monkeypatch.delenv("CRACKDOWN_RESULTS_DIR", raising=False)
    first = write_results("x", {"answer": "a", "parameters": {"window": [0, 5]}})
    second = write_results("x", {"answer": "b", "parameters": {"window": [0, 1]}})
    assert not (tmp_path / "outputs" / "results").exists()
    for path in (first, second):
        assert path.parent.parent.parent == tmp_path / "outputs" / "scratch" and path.parent.name == "results"
        assert path.parent.parent.name.startswith("x-")
    assert first.parent != second.parent  # other parameters, another folder


@pytest.mark.parametrize("quiet", [True, False], ids=["runner-kernel-manager", "jupyter-client-default"])
def test_kernel_shutdown_after_a_run_sends_no_sigint(quiet: bool) -> None:
    """The cause of ``[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.`` after successful runs:
    jupyter_client interrupts (SIGINT) a kernel before asking it to shut down. The runner's kernel manager does not."""
    from jupyter_client.manager import AsyncKernelManager

    from crackdown.runner.execute import _kernel_manager_class

    base = _kernel_manager_class() if quiet else AsyncKernelManager
    sent: list[int] = []

    class Spy(base):  # type: ignore[misc, valid-type]
        async def _async_signal_kernel(self, signum: int) -> None:
            sent.append(signum)
            await super()._async_signal_kernel(signum)

    async def run() -> None:
        km = Spy(kernel_name="python3")
        await km.start_kernel()
        client = km.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=120)
        finally:
            client.stop_channels()
            await km.shutdown_kernel()

    asyncio.run(run())
    assert (signal.SIGINT in sent) is not quiet

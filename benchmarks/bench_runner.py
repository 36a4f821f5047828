"""Benchmark: wall time of `crackdown run` against the plain CLIs and against the floor.

Measures, in a scratch copy of the project:
  runner        `crackdown run --profile ci` on the report's N notebooks (parallel, one kernel each)
  sequential    for each notebook in turn: the papermill CLI (same ci parameters), then `jupyter nbconvert --to html`
  floor         `crackdown run` on N trivial notebooks that only import pandas and seaborn

Usage: .venv/bin/python benchmarks/bench_runner.py [--repeat 1] [--jobs N]
Prints a Markdown table to paste into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _project(tmp: Path, notebooks: list[Path]) -> Path:
    root = tmp / f"project-{len(list(tmp.iterdir()))}"
    (root / "notebooks").mkdir(parents=True)
    for nb in notebooks:
        shutil.copy(nb, root / "notebooks" / nb.name)
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "profiles", root / "profiles")
    return root


def _timed(cmd: list[str], root: Path, extra_env: dict[str, str] | None = None) -> float:
    env = {**os.environ, "CRACKDOWN_ROOT": str(root), **(extra_env or {})}
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=root, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started


def run_runner(root: Path, jobs: int | None, profile: str = "ci") -> float:
    # --publish: the ci values differ from the report's profile, so the run would otherwise go to outputs/scratch/
    cmd = [str(BIN / "crackdown"), "run", "--profile", profile, "--publish", "--no-progress"]
    return _timed(cmd + (["--jobs", str(jobs)] if jobs else []), root)


def run_sequential(root: Path, profile_name: str = "ci") -> float:
    started = time.perf_counter()
    out = root / "seq"
    out.mkdir()
    results = root / "outputs" / "results"
    results.mkdir(parents=True)
    for nb in _declared_order(sorted((root / "notebooks").glob("*.ipynb"))):
        profile = root / "profiles" / profile_name / f"{nb.stem}.yaml"
        params = yaml.safe_load(profile.read_text()) if profile.exists() else {}
        (out / f"{nb.stem}.yaml").write_text(yaml.safe_dump(params or {}))
        executed = out / nb.name
        # results go where the report reads them (as the runner publishes them): 00_summary reads the others'
        _timed([str(BIN / "papermill"), str(nb), str(executed), "-f", str(out / f"{nb.stem}.yaml"),
                "--cwd", str(root / "notebooks"), "-k", "python3", "--no-progress-bar"], root,
               {"CRACKDOWN_RESULTS_DIR": str(results)})
        _timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed), "--output-dir", str(out)], root)
    return time.perf_counter() - started


def _declared_order(notebooks: list[Path]) -> list[Path]:
    """Notebooks that declare they run ``after`` others (00_summary reads their results) go after them."""
    import nbformat

    later = {nb for nb in notebooks if nbformat.read(nb, as_version=4).metadata.get("crackdown", {}).get("after")}
    return [nb for nb in notebooks if nb not in later] + [nb for nb in notebooks if nb in later]


def trivial_notebook(path: Path, i: int) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["crackdown"] = {"question": f"Trivial notebook {i}?"}
    cell = nbformat.v4.new_code_cell("n = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("import pandas as pd\nimport seaborn as sns")]
    target = path / f"trivial_{i:02d}.ipynb"
    nbformat.write(nb, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    real = sorted((ROOT / "notebooks").glob("*.ipynb"))
    n = len(real)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        trivial_dir = tmp / "trivial"
        trivial_dir.mkdir()
        trivial = [trivial_notebook(trivial_dir, i) for i in range(n)]
        times: dict[str, list[float]] = {"runner": [], "sequential": [], "floor": []}
        for _ in range(args.repeat):
            times["runner"].append(run_runner(_project(tmp, real), args.jobs))
            times["floor"].append(run_runner(_project(tmp, trivial), args.jobs))
            times["sequential"].append(run_sequential(_project(tmp, real)))
    best = {k: min(v) for k, v in times.items()}
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or platform.platform()}, "
          f"Python {platform.python_version()}; N = {n} notebooks; best of {args.repeat}")
    print("\n| measurement | wall time (s) | ratio |\n| --- | --- | --- |")
    print(f"| `crackdown run --profile ci` (report notebooks) | {best['runner']:.1f} | 1.00 |")
    print(f"| floor: same runner, {n} trivial notebooks | {best['floor']:.1f} | "
          f"runner / floor = {best['runner'] / best['floor']:.2f} |")
    print(f"| papermill CLI + nbconvert CLI, one after another | {best['sequential']:.1f} | "
          f"sequential / runner = {best['sequential'] / best['runner']:.2f} |")


if __name__ == "__main__":
    main()

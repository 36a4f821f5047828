"""Benchmark for issue 17: report runs near the floor when cold, nearly free when nothing changed.

Measures in one run, in scratch copies of the project (each with its own empty ``outputs/``, so the data,
calendar and execution caches start cold), with the parameter profile PROFILE (``--profile``; default ``full``,
the report ``make report`` builds; ``ci`` is the test suite's small one):

  cold       `crackdown run --profile PROFILE --publish` on the report's N notebooks, nothing cached
  floor      the same runner on N trivial notebooks that only import pandas and seaborn
  naive      papermill CLI then `jupyter nbconvert --to html`, notebook by notebook, PROFILE's parameters
  no-op      the same `crackdown run --profile PROFILE --publish` again in the cold run's copy, nothing changed
  one        again, after adding a Markdown cell to one notebook (ONE_NOTEBOOK); lists the notebooks that
             were executed again (expected: that notebook and 00_summary, which reads the others' results)

A notebook counts as executed again when its ``outputs/status/<name>.json`` changed and does not say it was
reused (``"reused": true``); an execution takes a new ``duration_s``, so a re-execution always changes it.
Wall time and CPU time (user + system of finished child processes) are reported, as the machine may be shared.

``--repeat K`` measures cold, floor and naive K times, interleaved (cold, floor, naive, cold, ...), each in a fresh
copy, and reports each ratio per round and the ratio of the medians: a job that holds a core for a minute then
spoils one round, not the verdict. The no-op and one-notebook reruns are measured once, after the first cold run.

Targets (issue 17): cold / floor <= 1.3; naive / cold >= 3; no-op / cold <= 0.15; only ONE_NOTEBOOK and
00_summary re-execute after ONE_NOTEBOOK changes.

Usage: nice -n 10 .venv/bin/python benchmarks/bench_report_runs.py [--profile full|ci] [--jobs N] [--skip-naive]
       [--notebooks A,B] [--repeat K]
(``--notebooks`` runs a subset, for a quick check of the script; the ratios need the whole report.)
Prints a Markdown table to paste into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_runner import ROOT, _project, run_runner, run_sequential, trivial_notebook  # noqa: E402

ONE_NOTEBOOK = "03_alignment_index"
TARGETS = {"cold / floor": ("<=", 1.3), "naive / cold": (">=", 3.0), "no-op / cold": ("<=", 0.15)}


def measured(step: Callable[..., object], *args: object) -> tuple[float, float]:
    """(wall, CPU) seconds of ``step(*args)``; CPU counts the child processes it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    step(*args)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def note(label: str, wall_cpu: tuple[float, float]) -> None:
    """Say on stderr what a step took as soon as it ends (the table is printed at the end)."""
    print(f"{label}: {wall_cpu[0]:.1f} s wall, {wall_cpu[1]:.1f} s CPU", file=sys.stderr, flush=True)


def statuses(root: Path) -> dict[str, str]:
    """``{notebook: status JSON text}`` of a project's last run."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((root / "outputs" / "status").glob("*.json"))}


def cell_seconds(root: Path) -> float:
    """Sum of the papermill cell durations of a project's executed notebooks: the notebooks' own work."""
    total = 0.0
    for path in (root / "outputs" / "notebooks").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            total += float(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
    return total


def executed_again(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Notebooks whose status changed and does not say it was reused."""
    again = []
    for name, text in after.items():
        if text == before.get(name):
            continue
        if json.loads(text).get("reused") is True:
            continue
        again.append(name)
    return again


def touch_notebook(root: Path, name: str) -> None:
    """Change one notebook's content without changing what it computes: append a Markdown cell."""
    path = root / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A note added by the benchmark."))
    nbformat.write(nb, path)


def verdict(name: str, value: float) -> str:
    op, limit = TARGETS[name]
    met = value <= limit if op == "<=" else value >= limit
    return f"{value:.2f} (target {op} {limit}: {'met' if met else 'missed'})"


def median_times(rounds: list[tuple[float, float]]) -> tuple[float, float]:
    """(median wall, median CPU) of a measurement's rounds."""
    return statistics.median(w for w, _ in rounds), statistics.median(c for _, c in rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="full", help="parameter profile (default: full, the report's)")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--skip-naive", action="store_true", help="leave out the (slow) papermill + nbconvert run")
    parser.add_argument("--notebooks", default="", help="comma-separated subset of the notebooks (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of cold, floor and naive (default: 1)")
    args = parser.parse_args()
    if args.repeat < 1:
        raise SystemExit("--repeat: expected a whole number of rounds, at least 1")
    for variable in ("CRACKDOWN_DATA_CACHE", "CRACKDOWN_DATA_CACHE_DIR", "CRACKDOWN_ROOT"):
        os.environ.pop(variable, None)
    real = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.notebooks:
        wanted = set(args.notebooks.split(","))
        real = [nb for nb in real if nb.stem in wanted]
        if ONE_NOTEBOOK not in wanted:
            raise SystemExit(f"--notebooks: include {ONE_NOTEBOOK} (the notebook the benchmark changes)")
    n = len(real)
    rounds: dict[str, list[tuple[float, float]]] = {"cold": [], "floor": [], "naive": []}
    times: dict[str, tuple[float, float]] = {}
    cells: dict[str, float] = {}
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        trivial_dir = tmp / "trivial"
        trivial_dir.mkdir()
        trivial = [trivial_notebook(trivial_dir, i) for i in range(n)]
        profile = args.profile
        for round_number in range(args.repeat):
            report = _project(tmp, real)
            rounds["cold"].append(measured(run_runner, report, args.jobs, profile))
            note("cold", rounds["cold"][-1])
            if round_number == 0:
                cells["cold"] = cell_seconds(report)
                after_cold = statuses(report)
                times["no-op"] = measured(run_runner, report, args.jobs, profile)
                note("no-op", times["no-op"])
                after_noop = statuses(report)
                touch_notebook(report, ONE_NOTEBOOK)
                times["one"] = measured(run_runner, report, args.jobs, profile)
                note("one", times["one"])
                after_one = statuses(report)
            floor_root = _project(tmp, trivial)
            rounds["floor"].append(measured(run_runner, floor_root, args.jobs, profile))
            note("floor", rounds["floor"][-1])
            if round_number == 0:
                cells["floor"] = cell_seconds(floor_root)
            if not args.skip_naive:
                naive_root = _project(tmp, real)
                rounds["naive"].append(measured(run_sequential, naive_root, profile))
                note("naive", rounds["naive"][-1])
    load_end = os.getloadavg()[0]
    times.update({key: median_times(measured_rounds) for key, measured_rounds in rounds.items() if measured_rounds})
    cold = times["cold"][0]
    summary = "one run each" if args.repeat == 1 else f"medians of {args.repeat} interleaved rounds"
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or platform.platform()}, "
          f"Python {platform.python_version()}; N = {n} notebooks; {args.profile} profile; {summary} (no-op and "
          f"one-notebook reruns: once); 1-minute load average {load_start:.1f} at the start, {load_end:.1f} at the end")
    print("\n| measurement | wall (s) | CPU (s) | ratio (wall) | ratio (CPU) |\n| --- | --- | --- | --- | --- |")
    print(f"| cold full report (`crackdown run --profile {args.profile} --publish`) | {cold:.1f} | "
          f"{times['cold'][1]:.1f} | 1.00 | 1.00 |")
    cold_cpu = times["cold"][1]

    def row(label: str, key: str, ratio: str, target: str | None, numerator_is_cold: bool = False) -> None:
        wall, cpu = times[key]
        walls = (cold / wall) if numerator_is_cold else (wall / cold)
        cpus = (cold_cpu / cpu) if numerator_is_cold else (cpu / cold_cpu)
        shown = verdict(target, walls) if target else f"{walls:.2f}"
        print(f"| {label} | {wall:.1f} | {cpu:.1f} | {ratio} = {shown} | {cpus:.2f} |")

    row(f"floor: same runner, {n} trivial notebooks", "floor", "cold / floor", "cold / floor", numerator_is_cold=True)
    if rounds["naive"]:
        row("papermill CLI + nbconvert CLI, one after another", "naive", "naive / cold", "naive / cold")
    row("no-op rerun (nothing changed)", "no-op", "no-op / cold", "no-op / cold")
    row(f"rerun after changing {ONE_NOTEBOOK}", "one", "one / cold", None)
    if args.repeat > 1:
        print("\n| round | cold wall (s) | floor wall (s) | naive wall (s) | cold / floor | naive / cold |\n"
              "| --- | --- | --- | --- | --- | --- |")
        for i in range(args.repeat):
            (c, _), (f, _) = rounds["cold"][i], rounds["floor"][i]
            naive_wall = rounds["naive"][i][0] if rounds["naive"] else None
            naive_cells = ("" if naive_wall is None else f"{naive_wall:.1f}",
                           "" if naive_wall is None else f"{naive_wall / c:.2f}")
            print(f"| {i + 1} | {c:.1f} | {f:.1f} | {naive_cells[0]} | {c / f:.2f} | {naive_cells[1]} |")
    above = rounds["cold"][0][1] - rounds["floor"][0][1]
    in_cells = cells["cold"] - cells["floor"]
    print(f"\nwhere the first cold run's CPU above the first floor's goes: {above:.1f} s in all, of which {in_cells:.1f} s "
          f"in the notebooks' own cells (sum of cell durations: {cells['cold']:.1f} s for the report, "
          f"{cells['floor']:.1f} s for the trivial notebooks) and {above - in_cells:.1f} s elsewhere (kernels, runner, "
          "site); cell durations are papermill's wall times, so on a busy machine they exceed CPU time and the split "
          "is rough")
    noop_again = executed_again(after_cold, after_noop)
    one_again = executed_again(after_noop, after_one)
    expected = sorted({ONE_NOTEBOOK, "00_summary"} & {nb.stem for nb in real})
    print(f"\nexecuted again by the no-op rerun: {', '.join(noop_again) or 'none'} (target: none)")
    print(f"executed again after changing {ONE_NOTEBOOK}: {', '.join(one_again) or 'none'} "
          f"(target: {', '.join(expected)}: {'met' if sorted(one_again) == expected else 'missed'})")


if __name__ == "__main__":
    main()

"""Benchmark: a kernel's cold start of the common loads, without the data cache, with a cold and a warm cache.

Each sample is a fresh ``python -c`` process doing what notebook 04's setup cell does before its analysis:
import pandas, matplotlib, seaborn and the crackdown modules, load the securities, the returns of every priced
security and the events. Three cases, each on the shipped data of this checkout:

  off     CRACKDOWN_DATA_CACHE=0: every table validated with pandera, every price file parsed and checked
  cold    an empty cache folder (validates, then writes the cache)
  warm    the cache written by the previous sample

Wall time and CPU time (user + system of the child) are reported, as the machine is often shared.

Usage: .venv/bin/python benchmarks/bench_kernel_start.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNEL = """
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from crackdown import alignment, params, plots
from crackdown import eventstudy as es
from crackdown import reaction as rx
from crackdown.data import load_events, load_returns, load_securities
from crackdown.results import write_results

securities = load_securities()
priced = securities.loc[securities["price_basis"] != "none", "symbol"]
returns = load_returns(list(priced))
events = load_events()
groups = alignment.firm_groups(rule="sector", threshold=0.5)
"""


def one_start(env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh kernel-like process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", KERNEL], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"kernel start failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = {**os.environ, "PYTHONPATH": str(ROOT / "lib"), "MPLBACKEND": "Agg"}
    base.pop("CRACKDOWN_DATA_CACHE", None)
    samples: dict[str, list[tuple[float, float]]] = {"off": [], "cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        env = {**base, "CRACKDOWN_DATA_CACHE_DIR": str(cache)}
        for _ in range(args.repeat):
            samples["off"].append(one_start({**env, "CRACKDOWN_DATA_CACHE": "0"}))
            shutil.rmtree(cache, ignore_errors=True)
            samples["cold"].append(one_start(env))
            samples["warm"].append(one_start(env))
    load = os.getloadavg()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"median of {args.repeat}; 1-minute load average at the end {load:.1f}")
    print("\n| case | wall (s) | CPU (s) |\n| --- | --- | --- |")
    for case, label in (("off", "cache off (`CRACKDOWN_DATA_CACHE=0`)"), ("cold", "cold cache (validate + write)"),
                        ("warm", "warm cache")):
        wall = statistics.median(w for w, _ in samples[case])
        cpu = statistics.median(c for _, c in samples[case])
        print(f"| {label} | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()

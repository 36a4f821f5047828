"""Benchmark the robustness sweep (results go in BENCHMARKS.md, section "Robustness sweep").

1. Specifications per second on the shipped data, serially in-process and on a Dask LocalCluster of 2 worker
   processes (cluster start-up timed separately), for a 1,200-specification grid with and without 200 placebo
   draws, and for the notebook's default grid (leave-one-out included). The cache is off: every spec is
   computed.
2. The cost of one specification inside the sweep (serial, no placebo: total time / specs) against a fresh
   event study of the same specification (panel, day-0 mapping, fit, engine long_short), median of 20.
3. Target check: 1,000+ specifications with placebo inference in at most 30 s on 2 cores.

Wall and CPU seconds are reported (CPU: this process's, plus the cluster workers' for the LocalCluster rows), so a
run on a shared, loaded machine still says what the sweep costs.

Usage: python benchmarks/bench_robustness.py [--placebo 200] [--repeat 1] [--cases all|default]
(``--cases default``: only the notebook's default grid with placebo draws, serially and on the cluster)
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np

from crackdown import eventstudy as es
from crackdown import reaction as rx
from crackdown import robustness as rb

warnings.filterwarnings("ignore")
GRID_1200 = {**rb.DEFAULT_GRID, "window": [[0, 0], [0, 1], [-1, 1], [0, 2], [-2, 2], [0, 5]],
             "benchmark": [rb.LOCAL, "china_market"],  # 5 (model, benchmark) pairs: 1,200 specs, as first measured
             "event_set": ["punitive", "all", "enforcement", "rules", "fines"], "leave_out": ["none"]}


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python " \
           f"{platform.python_version()}; 1-min load average at start {load:.1f}"


def _time(fn, repeat: int, client=None) -> tuple[float, float]:
    """Best wall seconds over ``repeat`` runs and the CPU seconds of that run (this process and, with a
    ``client``, its workers)."""
    best, best_cpu = np.inf, np.nan
    for _ in range(repeat):
        workers = sum(client.run(time.process_time).values()) if client is not None else 0.0
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        if client is not None:
            cpu += sum(client.run(time.process_time).values()) - workers
        if wall < best:
            best, best_cpu = wall, cpu
    return best, best_cpu


def _fresh_event_study(data: rb.SweepData, spec) -> float:
    """One specification as a fresh engine event study (what the sweep avoids repeating)."""
    t = time.perf_counter()
    lo = data.firm_symbol.get(spec.leave_out)
    long = [s for s in spec.long.split(";") if s != lo]
    short = [s for s in spec.short.split(";") if s != lo]
    ev = data.events[data.events["event_id"].isin(data.event_sets[spec.event_set])]
    rules = rb.grid.PER_SECURITY_RULES
    sec = rx.rule_securities(data.securities, rules[spec.benchmark]) if spec.benchmark in rules else data.securities
    bench = None if spec.benchmark in (*rb.grid.RULE_BENCHMARKS, rb.NO_BENCHMARK) else spec.benchmark
    panel = es.panel_from_securities(data.returns, sec, long + short, bench,
                                     with_benchmark=spec.model in ("market", "market-adjusted"))
    est = tuple(int(x) for x in spec.estimation.split(".."))
    f = es.fit(panel, es.make_pairs(panel, ev), spec.model, est, data.min_obs, errors="drop")
    es.long_short(f, long, short, tuple(int(x) for x in spec.window.split("..")))
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--placebo", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cases", choices=("all", "default"), default="all")
    args = parser.parse_args()
    print(f"machine: {_machine()}")
    data = rb.load_sweep_data()
    rb.run_sweep({**GRID_1200, "window": [[0, 0]]}, data=data, placebo=rb.PlaceboConfig(n=2), cache=False)  # warm
    cases = [("1,200 specs, no placebo", GRID_1200, 0), (f"1,200 specs, {args.placebo} placebo draws", GRID_1200,
                                                          args.placebo),
             (f"default grid (leave-one-out), {args.placebo} placebo draws", rb.DEFAULT_GRID, args.placebo)]
    if args.cases == "default":
        cases = cases[-1:]
    rows = []
    serial_no_placebo = None
    for label, grid, n in cases:
        config = rb.PlaceboConfig(n=n)
        n_specs = len(rb.expand_grid(grid, data))
        secs, cpu = _time(lambda g=grid, c=config: rb.run_sweep(g, data=data, placebo=c, cache=False), args.repeat)
        rows.append((label, "serial (1 process)", n_specs, secs, cpu))
        if n == 0:
            serial_no_placebo = secs / n_specs
        print(f"{label:<50} serial      {n_specs:>6} specs {secs:7.2f} s (CPU {cpu:7.2f} s) "
              f"{n_specs / secs:9.0f} specs/s", flush=True)
    from distributed import Client

    t = time.perf_counter()
    cluster = rb.local_cluster(2)
    client = Client(cluster)
    startup = time.perf_counter() - t
    print(f"LocalCluster(2 workers) start-up: {startup:.2f} s")
    try:
        rb.run_sweep({**GRID_1200, "window": [[0, 0]]}, data=data, placebo=rb.PlaceboConfig(n=2), cache=False,
                     client=client)  # warm the workers' imports
        for label, grid, n in cases:
            config = rb.PlaceboConfig(n=n)
            n_specs = len(rb.expand_grid(grid, data))
            secs, cpu = _time(lambda g=grid, c=config: rb.run_sweep(g, data=data, placebo=c, cache=False,
                                                                    client=client), args.repeat, client)
            rows.append((label, "LocalCluster, 2 workers", n_specs, secs, cpu))
            print(f"{label:<50} cluster(2)  {n_specs:>6} specs {secs:7.2f} s (CPU {cpu:7.2f} s) "
                  f"{n_specs / secs:9.0f} specs/s", flush=True)
    finally:
        client.close()
        cluster.close()
    if serial_no_placebo is not None:
        specs = rb.expand_grid(GRID_1200, data).sample(20, random_state=0)
        fresh = float(np.median([_fresh_event_study(data, s) for s in specs.itertuples()]))
        print(f"one spec in the sweep (serial, no placebo): {serial_no_placebo * 1e3:.2f} ms; fresh event study: "
              f"{fresh * 1e3:.1f} ms (median of 20); ratio {fresh / serial_no_placebo:.0f}x")
    usable = int(rb.usable(rb.run_sweep(rb.DEFAULT_GRID, data=data, placebo=rb.PlaceboConfig(n=0), cache=False)
                           .specs).sum())
    print(f"default grid: {usable:,} usable specifications (>= {rb.MIN_EVENTS} events, {rb.MIN_FIRMS} firms per leg)")
    print(f"machine at the end: 1-min load average {os.getloadavg()[0]:.1f}")
    print("\n| case | where | specs | seconds (wall) | CPU seconds | specs/s |\n|---|---|---:|---:|---:|---:|")
    for label, where, n_specs, secs, cpu in rows:
        print(f"| {label} | {where} | {n_specs:,} | {secs:.1f} | {cpu:.1f} | {n_specs / secs:,.0f} |")


if __name__ == "__main__":
    main()

"""Benchmark the event-study engine (results go in BENCHMARKS.md, section "Event-study engine").

1. Project size: every priced stock (ADR / HK / A-share) x every day-precision event of data/events.csv in
   2019-2023, market model, estimation -250..-11, event window -1..+1. The vectorised engine against a loop
   of per-(security, event) statsmodels OLS fits; both must give the same ARs and CARs (max |diff| printed).
2. Scale: synthetic returns on the real XNYS/XHKG calendars, 1,000 and 5,000 securities x 100 events over
   1,000 sessions. Each case runs in a fresh subprocess so ru_maxrss is that case's peak; tracemalloc
   peaks are measured in a separate pass so the timings carry no tracing overhead.

Usage: python benchmarks/bench_eventstudy.py [--skip-project] [--sizes 1000 5000] [--events 100]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from crackdown import eventstudy as es
from crackdown.calendars import sessions

warnings.filterwarnings("ignore")
WINDOW, ESTIMATION = (-1, 1), (-250, -11)


# ------------------------------------------------------------------------------------------ project size


def _project_inputs():
    from crackdown.data import load_events, load_returns, load_securities

    sec = load_securities()
    stocks = sec[
        sec["security_type"].isin(["adr", "ordinary_share", "a_share"]) & (sec["price_basis"] != "none")
    ]
    symbols = list(stocks["symbol"])
    benches = sorted({b for b in stocks["benchmark_symbol"] if isinstance(b, str) and b})
    events = load_events(start="2019-01-01", end="2023-12-31")
    if "date_precision" in events:
        events = events[events["date_precision"] == "day"]
    timing = [c for c in ("time", "tz", "time_beijing") if c in events]  # announcement time columns present
    events = events[["event_id", "date", *timing]].reset_index(drop=True)
    returns = load_returns(symbols + benches)
    return returns, sec, events, symbols


def _engine(returns, sec, events, symbols):
    panel = es.panel_from_securities(returns, sec, symbols)
    f = es.fit(panel, es.make_pairs(panel, events), "market", ESTIMATION, 100, errors="drop")
    return f, es.abnormal_returns(f, WINDOW), es.car(f, WINDOW)


def _statsmodels_loop(returns, sec, pairs):
    import statsmodels.api as sm

    info = sec.set_index("symbol")
    cache: dict[str, pd.DataFrame] = {}
    ars, cars = [], []
    for p in pairs.itertuples():  # the reference: one OLS per (security, event)
        if p.symbol not in cache:
            own = sessions(info.at[p.symbol, "exchange"], returns.index.min(), returns.index.max())
            cache[p.symbol] = pd.DataFrame(
                {
                    "r": returns[p.symbol].reindex(own),
                    "m": returns[info.at[p.symbol, "benchmark_symbol"]].reindex(own),
                }
            )
        own = cache[p.symbol]
        pos = own.index.get_loc(p.day0)
        est = own.iloc[pos + ESTIMATION[0] : pos + ESTIMATION[1] + 1].dropna()
        params = sm.OLS(est["r"].to_numpy(), sm.add_constant(est["m"].to_numpy())).fit().params
        ev = own.iloc[pos + WINDOW[0] : pos + WINDOW[1] + 1]
        ar = ev["r"].to_numpy() - params[0] - params[1] * ev["m"].to_numpy()
        ars.append(ar)
        cars.append(np.nansum(ar) if (~np.isnan(ar)).any() else np.nan)
    return np.vstack(ars), np.array(cars)


ENGINE_REPEATS = 5  # project-size engine runs; the best is compared with one statsmodels loop


def project_size() -> dict:
    try:
        returns, sec, events, symbols = _project_inputs()
    except Exception as exc:  # the data layer may be mid-edit; say so rather than fake the inputs
        return {"error": f"project data unavailable: {exc}".splitlines()[0]}
    _engine(returns, sec, events, symbols)  # warm-up (calendars, imports)
    times = []
    for _ in range(ENGINE_REPEATS):  # a ~0.1 s run: best of several, as timeit does, so one hiccup is not the result
        t0 = time.perf_counter()
        f, ar, c = _engine(returns, sec, events, symbols)
        times.append(time.perf_counter() - t0)
    t_engine = min(times)
    t0 = time.perf_counter()
    ref_ar, ref_car = _statsmodels_loop(returns, sec, f.pairs)
    t_loop = time.perf_counter() - t0
    got_ar = ar["ar"].to_numpy().reshape(len(f.pairs), -1)
    both = ~np.isnan(ref_ar)
    assert (np.isnan(got_ar) == ~both).all(), "missing-day pattern differs"
    return {
        "securities": len(symbols),
        "events": len(events),
        "pairs_total": len(symbols) * len(events),
        "pairs_used": len(f.pairs),
        "pairs_dropped": len(f.dropped),
        "engine_s": t_engine,
        "engine_runs_s": [round(t, 4) for t in times],
        "statsmodels_loop_s": t_loop,
        "speedup": t_loop / t_engine,
        "max_abs_diff_ar": float(np.abs(got_ar[both] - ref_ar[both]).max()),
        "max_abs_diff_car": float(np.nanmax(np.abs(c["car"].to_numpy() - ref_car))),
    }


# ---------------------------------------------------------------------------------------------- scale


def synthetic(n_sec: int, n_events: int, n_sessions: int = 1000, seed: int = 0):
    """Synthetic returns: half the securities on XNYS (benchmark IDX_GSPC), half on XHKG (IDX_HSI)."""
    rng = np.random.default_rng(seed)
    us = sessions("XNYS", "2015-01-01", "2022-12-31")[:n_sessions]
    hk = sessions("XHKG", us[0], us[-1])
    index = us.union(hk)
    syms = [f"S{i:05d}" for i in range(n_sec)]
    exch = np.where(np.arange(n_sec) % 2 == 0, "XNYS", "XHKG")
    mkt = {
        "IDX_GSPC": pd.Series(rng.normal(0, 0.01, len(us)), us).reindex(index),
        "IDX_HSI": pd.Series(rng.normal(0, 0.012, len(hk)), hk).reindex(index),
    }
    bench = np.where(exch == "XNYS", "IDX_GSPC", "IDX_HSI")
    beta = rng.uniform(0.5, 1.5, n_sec)
    m = np.column_stack([mkt[b].to_numpy() for b in bench])
    r = 0.0002 + beta * m + rng.normal(0, 0.02, (len(index), n_sec))
    r[np.isnan(m)] = np.nan  # not a session of the security's exchange
    returns = pd.DataFrame(r, index=index, columns=syms).assign(**mkt)
    sec = pd.DataFrame(
        {
            "symbol": syms + list(mkt),
            "exchange": list(exch) + ["XNYS", "XHKG"],
            "benchmark_symbol": list(bench) + ["", ""],
        }
    )
    dates = us[np.sort(rng.choice(np.arange(260, n_sessions - 5), n_events, replace=False))]
    events = pd.DataFrame(
        {"event_id": [f"e{i:03d}" for i in range(n_events)], "date": dates, "time_beijing": ""}
    )
    return returns, sec, events, syms


def _scale_steps(returns, sec, events, syms, timings: dict | None = None):
    wall, cpu = time.perf_counter, time.process_time  # cpu: all threads of this process
    w0, c0 = wall(), cpu()
    panel = es.panel_from_securities(returns, sec, syms)
    pairs = es.make_pairs(panel, events)
    w1, c1 = wall(), cpu()
    f = es.fit(panel, pairs, "market", ESTIMATION, 100)
    w2, c2 = wall(), cpu()
    ar = es.abnormal_returns(f, WINDOW)
    c = es.car(f, [WINDOW, (0, 0)])
    w3, c3 = wall(), cpu()
    tests = es.caar_tests(f, WINDOW)
    w4, c4 = wall(), cpu()
    if timings is not None:
        timings.update(
            panel_pairs_s=w1 - w0,
            panel_pairs_cpu_s=c1 - c0,
            fit_s=w2 - w1,
            fit_cpu_s=c2 - c1,
            ar_car_s=w3 - w2,
            ar_car_cpu_s=c3 - c2,
            core_s=w3 - w0,
            core_cpu_s=c3 - c0,
            caar_tests_s=w4 - w3,
            caar_tests_cpu_s=c4 - c3,
            total_s=w4 - w0,
            total_cpu_s=c4 - c0,
            pairs=len(f.pairs),
            ar_rows=len(ar),
            car_rows=len(c),
            caar=float(tests["caar"].iloc[0]),
        )


def scale_case(n_sec: int, n_events: int) -> dict:
    returns, sec, events, syms = synthetic(n_sec, n_events)
    _scale_steps(*synthetic(50, 5))  # warm-up: calendars, imports
    timings: dict = {
        "securities": n_sec,
        "events": n_events,
        "threads": es._THREADS,
        "loadavg_1min_before": os.getloadavg()[0],
    }
    _scale_steps(returns, sec, events, syms, timings)
    timings["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    _scale_steps(returns, sec, events, syms)
    timings["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return timings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-project", action="store_true")
    ap.add_argument("--sizes", nargs="*", type=int, default=[1000, 5000])
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--threads", type=int, default=es._THREADS, help="threads for the test-battery pass")
    ap.add_argument("--case", nargs=2, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    es._THREADS = args.threads
    if args.case:
        print(json.dumps(scale_case(*args.case)))
        return
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{os.cpu_count()} cpus, load average {os.getloadavg()}"
    )
    if not args.skip_project:
        print("project size:", json.dumps(project_size(), indent=1))
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--case", str(n), str(args.events), "--threads", str(args.threads)],
            capture_output=True,
            text=True,
            check=True,
        )
        print("scale:", json.dumps(json.loads(out.stdout.strip().splitlines()[-1]), indent=1))


if __name__ == "__main__":
    main()

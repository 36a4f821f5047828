"""``crackdown sweep``: the specification curve of the long-short crackdown CAR, on a Dask cluster."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crackdown import notebooks, params, paths
from crackdown.cli.options import add_gap_options
from crackdown.errors import CrackdownError

DESCRIPTION = """Estimate the long-short CAR (targeted platforms minus aligned AI firms) under every combination of
the choice axes (event window, estimation window, model, benchmark, event set, aligned-group rule, score
threshold, indicator weights, left-out firm), with placebo curves from random non-event dates, and print the
curve's inference (share with the thesis' negative sign, share significant, median, permutation p). Runs on a
Dask LocalCluster (one worker process per CPU) by default, on an existing cluster with --scheduler, or in this
process with --serial. Results are cached under outputs/sweep_cache/ keyed by a hash of each specification, the
placebo settings and the data, so a rerun computes only new specifications."""


def _windows(text: str) -> list[list[int]]:
    out = []
    for part in text.split(","):
        a, sep, b = part.strip().partition(":")
        try:
            out.append([int(a), int(b)])
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected windows like 0:1,-1:1 (A:B session offsets), got {text!r}") \
                from None
        if not sep:
            raise argparse.ArgumentTypeError(f"expected A:B, got {part!r}")
    return out


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _numbers(text: str) -> list[float]:
    try:
        return [float(t) for t in _names(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


AXIS_OPTIONS = {  # axis -> (option, parser, help)
    "window": ("--windows", _windows, "event windows, e.g. 0:0,0:1 (write --windows=-1:1 when the first starts with -)"),
    "estimation": ("--estimations", _windows, "estimation windows; write --estimations=-250:-11,-120:-11 (with =, as they start with -)"),
    "model": ("--models", _names, "models: raw, market-adjusted, constant-mean, market"),
    "benchmark": ("--benchmarks", _names, "benchmarks: the rules of 04 (local, china_market, two_factor, same_market) and/or symbols, e.g. ACWI"),
    "event_set": ("--event-sets", _names, "event sets: all, enforcement, rules, fines"),
    "aligned_rule": ("--aligned-rules", _names, "aligned-group rules: sector, score"),
    "threshold": ("--thresholds", _numbers, "alignment score thresholds for the score rule, e.g. 0.2,0.4"),
    "weights": ("--weights", _names, "indicator weight schemes: equal, revenue, state_links, no_us_lists, with_us_lists"),
    "leave_out": ("--leave-out", _names, "none, each (every firm in turn) and/or firm ids"),
}


WINDOW_AXES = ("window", "estimation")
# the same bounds as notebooks/08_robustness.ipynb's checks of its parameters
SETTINGS = {  # option -> (attribute, check)
    "--placebo": ("placebo", lambda name, v: params.integer(name, v, 0, 10_000)),
    "--seed": ("seed", lambda name, v: params.integer(name, v, 0)),
    "--alpha": ("alpha", lambda name, v: params.number(name, v, 0.001, 0.5)),
    "--min-events": ("min_events", lambda name, v: params.integer(name, v, 1)),
    "--min-firms": ("min_firms", lambda name, v: params.integer(name, v, 1)),
    "--max-span": ("max_span", lambda name, v: params.integer(name, v, 1, 250)),
}


def _read_grid(path: Path) -> dict:
    """A grid file: a mapping axis -> list of values, read with the parameters' safe YAML loader."""
    grid = notebooks.read_yaml_file(path, "grid file") or {}
    if type(grid) is not dict:
        raise CrackdownError(f"--grid: {path} must hold a mapping axis -> list of values, got {type(grid).__name__}")
    for axis, values in grid.items():
        notebooks.check_safe_value(str(axis), values, f"--grid {path}")
        if type(values) is not list:
            raise CrackdownError(f"--grid: axis {axis!r} must be a list of values, got {values!r}")
    return grid


def check_axes(axes: dict, sessions: int) -> dict:
    """Window axes hold integer windows within the data, thresholds finite numbers in [0, 1]."""
    for axis in WINDOW_AXES:
        for i, window in enumerate(axes.get(axis, [])):
            params.window(f"{axis}[{i}]", window if isinstance(window, list | tuple) else [window],
                          sessions=sessions)
    for i, threshold in enumerate(axes.get("threshold", [])):
        params.number(f"threshold[{i}]", threshold, 0, 1)
    return axes


def check_scheduler_address(scheduler: str) -> str:
    """'' (serial), 'local' or tcp://HOST:PORT with a host and a port number 1-65535."""
    if scheduler in ("", "local"):
        return scheduler
    host, sep, port = scheduler.removeprefix("tcp://").rpartition(":")
    if not scheduler.startswith("tcp://") or not sep or not host or not port.isdigit() \
            or not 0 < int(port) < 65536 or any(c in host for c in "/@ "):
        raise CrackdownError(f"--scheduler: expected tcp://HOST:PORT (port 1-65535), got {scheduler!r}")
    return scheduler


def _axes(args: argparse.Namespace) -> dict:
    from crackdown.data.prices import longest_history

    axes = _read_grid(args.grid) if args.grid else {}
    for axis in AXIS_OPTIONS:
        value = getattr(args, axis)
        if value is not None:
            axes[axis] = value
    return check_axes(axes, longest_history(paths.prices_dir()))


def _handler(args: argparse.Namespace) -> int:
    for option, (attribute, check) in SETTINGS.items():
        setattr(args, attribute, check(option, getattr(args, attribute)))
    scheduler = "" if args.serial else check_scheduler_address(args.scheduler or "local")
    axes = _axes(args)  # every option checked before the sweep loads anything

    from crackdown import robustness as rb

    config = rb.PlaceboConfig(n=args.placebo, seed=args.seed, pool=args.placebo_pool,
                              regime_benchmark=args.regime_benchmark)
    result = rb.run_sweep(axes, placebo=config, scheduler=scheduler, cache=not args.no_cache,
                          progress=not args.no_progress, gaps=args.gaps, max_span=args.max_span)
    summary = rb.curve_summary(result.specs, alpha=args.alpha, min_events=args.min_events, min_firms=args.min_firms)
    summary.pop("placebo_medians")
    summary.update(n_computed=result.n_computed, n_cached=result.n_cached)
    if args.out:
        _write_specs(result.specs, args.out)
    if args.format == "json":
        print(json.dumps(summary, indent=2, default=float))
    else:
        width = max(len(k) for k in summary)
        for key, value in summary.items():
            print(f"{key:<{width}}  {value:.4g}" if isinstance(value, float) else f"{key:<{width}}  {value}")
        effects = rb.choice_effects(result.specs[rb.usable(result.specs, args.min_events, args.min_firms)])
        if len(effects):
            print("\nchoices that move the median estimate most (axis, spread):")
            spread = effects.drop_duplicates("axis")[["axis", "spread"]]
            for row in spread.itertuples():
                print(f"  {row.axis:<12} {row.spread:.4f}")
    return 0


def _write_specs(specs, out: Path) -> None:
    table = specs.drop(columns=["placebo"])
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        table.to_parquet(out, index=False)
    elif out.suffix == ".csv":
        table.to_csv(out, index=False)
    else:
        raise CrackdownError(f"--out: expected a .csv or .parquet path, got {out}")
    print(f"wrote {len(table)} specifications to {paths.relative_to_root(out)}", file=sys.stderr)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``crackdown sweep``."""
    p = subparsers.add_parser("sweep", help="specification curve and placebo test on a Dask cluster",
                              description=DESCRIPTION)
    p.add_argument("--grid", type=Path, metavar="GRID.yaml",
                   help="YAML mapping axis -> values (options below override it; unset axes use the defaults)")
    for axis, (option, parse, text) in AXIS_OPTIONS.items():
        p.add_argument(option, dest=axis, type=parse, default=None, help=text)
    p.add_argument("--placebo", type=int, default=200, metavar="N", help="placebo draws (default 200; 0 = none)")
    p.add_argument("--seed", type=int, default=0, help="placebo random seed (default 0)")
    p.add_argument("--placebo-pool", choices=["regime", "uniform"], default="regime",
                   help="placebo dates: regime (within 6 months and the same volatility tercile of "
                   "--regime-benchmark as each event; default) or uniform (any non-event date)")
    p.add_argument("--regime-benchmark", default="KWEB", metavar="SYMBOL",
                   help="security whose 20-session trailing volatility defines the regime (default KWEB)")
    add_gap_options(p)
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--min-events", type=int, default=5, help="events a specification needs to enter the curve")
    p.add_argument("--min-firms", type=int, default=2, help="firms per group a specification needs (default 2)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="an existing Dask scheduler (default: a LocalCluster, one worker per CPU)")
    where.add_argument("--serial", action="store_true", help="run in this process, without Dask")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write outputs/sweep_cache/")
    p.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    p.add_argument("--out", type=Path, metavar="PATH", help="write the specification table (.csv or .parquet)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=_handler)

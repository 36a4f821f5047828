"""``crackdown event-study``: abnormal returns around events or dates for a set of securities."""

from __future__ import annotations

import argparse
import json
import re
import sys

import pandas as pd

from crackdown import params, paths
from crackdown.cli.options import add_gap_options
from crackdown.errors import CrackdownError, unknown_name_error

DESCRIPTION = """Abnormal returns (ARs) and cumulative abnormal returns (CARs) of each security around each event.
Day 0 is the first session of the security's own exchange on or after the announcement (with a Beijing time:
the first session closing after it). Relative days count that exchange's sessions; a day without a return
(suspension) is shown as NaN, never as zero. With --groups, prints group CAARs with the test battery
(cross-sectional t, Patell, BMP, Kolari-Pynnonen, Corrado rank, generalized sign, portfolio)."""

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}))?$")


def _window(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer session offset, got {text!r}") from None


def _parse_groups(specs: list[str] | None) -> dict[str, list[str]] | None:
    if not specs:
        return None
    groups: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, members = spec.partition("=")
        symbols = [s.strip() for s in members.split(",") if s.strip()]
        if not sep or not name.strip() or not symbols:
            raise CrackdownError(f"--groups: expected NAME=SYM1,SYM2, got {spec!r}")
        if name.strip() in groups:
            raise CrackdownError(f"--groups: group name {name.strip()!r} is given twice; use one NAME=... per group")
        groups[name.strip()] = symbols
    return groups


def _date_events(dates: list[str]) -> pd.DataFrame:
    rows = []
    for text in dates:
        match = _DATE.match(text.strip())
        if not match:
            raise CrackdownError(
                f"--date: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM (Beijing time), got {text!r}"
            )
        try:
            day = pd.Timestamp(match.group(1))
        except ValueError:
            raise CrackdownError(f"--date: not a date: {text!r}") from None
        rows.append(
            {
                "event_id": "date_" + text.strip().replace("-", "_").replace(":", "").replace(" ", "T"),
                "date": day,
                "time_beijing": match.group(2) or "",
            }
        )
    return pd.DataFrame(rows)


def _load(args: argparse.Namespace, groups: dict[str, list[str]] | None):
    from crackdown.data import load_events, load_returns, load_securities

    date_events = None if args.event else _date_events(args.date)  # parse before loading anything
    securities = load_securities()
    symbols = list(dict.fromkeys(args.symbols + [s for g in (groups or {}).values() for s in g]))
    known = set(securities["symbol"])
    if args.benchmark and args.benchmark not in known:
        raise unknown_name_error("symbol", args.benchmark, known, "--benchmark")
    events = date_events
    if args.event:
        events = load_events()
        for event_id in args.event:
            if event_id not in set(events["event_id"]):
                raise unknown_name_error("event", event_id, events["event_id"], "--event")
        events = events[events["event_id"].isin(args.event)]
    bench = (
        securities.set_index("symbol").reindex(symbols)["benchmark_symbol"] if not args.benchmark else None
    )
    needed = list(symbols)
    if args.model in ("market", "market-adjusted"):
        needed += [args.benchmark] if args.benchmark else [b for b in bench.dropna() if b]
    returns = load_returns(list(dict.fromkeys(needed)), kind=args.returns, gaps=args.gaps, max_span=args.max_span)
    if args.gaps == "resumption":
        from crackdown.data import load_return_spans

        args.spans = load_return_spans(list(dict.fromkeys(needed)), gaps=args.gaps, max_span=args.max_span)
    return returns, securities, events, symbols


def _check_options(args: argparse.Namespace) -> None:
    """Windows within the data's length, counts in range, no security as its own benchmark (before loading)."""
    from crackdown.data.prices import longest_history

    sessions = longest_history(paths.prices_dir())
    params.window("--window", args.window, sessions=sessions)
    params.window("--estimation", args.estimation, sessions=sessions)
    params.integer("--min-obs", args.min_obs, 1, sessions)
    params.integer("--placebo", args.placebo, 0, 10_000)
    params.integer("--seed", args.seed, 0)
    params.integer("--max-span", args.max_span, 1, 250)
    members = [s for g in (_parse_groups(args.groups) or {}).values() for s in g]
    if args.benchmark and args.benchmark in args.symbols + members:
        raise CrackdownError(f"--benchmark: {args.benchmark} is also a studied security (--symbols/--groups); a "
                             "security cannot be its own benchmark (its abnormal return would be zero by construction)")


def _handler(args: argparse.Namespace) -> int:
    from crackdown import eventstudy as es

    _check_options(args)
    groups = _parse_groups(args.groups)
    returns, securities, events, symbols = _load(args, groups)
    window = tuple(args.window)
    res = es.run_event_study(
        returns,
        securities,
        events,
        symbols,
        model=args.model,
        estimation=tuple(args.estimation),
        window=window,
        min_obs=args.min_obs,
        benchmark=args.benchmark,
        groups=groups,
        errors="drop",
        spans=getattr(args, "spans", None),
        cumulate=args.cumulate,
    )
    for row in res.dropped.itertuples():
        print(f"crackdown: skipped {row.symbol} / {row.event_id}: {row.reason}", file=sys.stderr)
    table = _pair_table(res, window)
    group_table = res.caar if groups else None
    if groups and args.placebo:
        from crackdown.data import load_events

        avoid = load_events()["date"]  # placebo dates keep away from every event of the project
        pv = [
            {
                "group": name,
                **{
                    {"p_two_sided": "placebo_p", "p_two_sided_mc_se": "placebo_p_mc_se"}[k]: v
                    for k, v in es.placebo_pvalue(
                        res.fit, window, args.placebo, args.seed, members, avoid=avoid, coverage="any",
                        pool=args.placebo_pool,
                    ).items()
                    if k in ("p_two_sided", "p_two_sided_mc_se")
                },
            }
            for name, members in groups.items()
        ]
        group_table = group_table.merge(pd.DataFrame(pv), on="group")
    _print(table, group_table, args.format)
    return 0


def _pair_table(res, window: tuple[int, int]) -> pd.DataFrame:
    """One row per (event, security): day 0 session, daily ARs, CAR and model parameters."""
    ar = res.ar.pivot(index=["event_id", "symbol"], columns="rel_day", values="ar")
    ar.columns = [f"ar[{k:+d}]" if k else "ar[0]" for k in ar.columns]
    extra = [c for c in ("bhar", "max_span", "starts_before", "ends_after", "rule") if c in res.car]
    car = res.car.set_index(["event_id", "symbol"])[["car", "n_days", *extra]]
    car = car.rename(columns={"car": f"car[{window[0]},{window[1]}]", "bhar": f"bhar[{window[0]},{window[1]}]"})
    params = res.params.set_index(["event_id", "symbol"])
    out = params[["exchange", "day0"]].join(ar).join(car).join(params[["alpha", "beta", "sigma", "n_est"]])
    out["day0"] = out["day0"].dt.strftime("%Y-%m-%d")
    return out.reset_index()


def _print(table: pd.DataFrame, groups: pd.DataFrame | None, fmt: str) -> None:
    if fmt == "json":
        payload = {"pairs": json.loads(table.to_json(orient="records"))}
        if groups is not None:
            payload["groups"] = json.loads(groups.to_json(orient="records"))
        print(json.dumps(payload, indent=2))
    elif fmt == "csv":
        print(table.to_csv(index=False), end="")
        if groups is not None:
            print()
            print(groups.to_csv(index=False), end="")
    else:
        with pd.option_context(
            "display.width", 200, "display.max_columns", 50, "display.float_format", "{:.4f}".format
        ):
            print(table.to_string(index=False))
            if groups is not None:
                print()
                print(groups.set_index("group").T.to_string())


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``crackdown event-study``."""
    p = subparsers.add_parser(
        "event-study", help="abnormal returns around events or dates", description=DESCRIPTION
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--event", nargs="+", metavar="ID", help="event ids from data/events.csv")
    which.add_argument(
        "--date",
        nargs="+",
        metavar="YYYY-MM-DD[THH:MM]",
        help="announcement dates in Beijing (optionally with Beijing time)",
    )
    p.add_argument(
        "--symbols", nargs="+", required=True, metavar="SYMBOL", help="securities (price-file stems)"
    )
    p.add_argument(
        "--window",
        nargs=2,
        type=_window,
        default=[-1, 1],
        metavar=("A", "B"),
        help="event window in sessions relative to day 0 (default -1 1)",
    )
    p.add_argument(
        "--estimation",
        nargs=2,
        type=_window,
        default=[-250, -11],
        metavar=("A", "B"),
        help="estimation window in sessions (default -250 -11)",
    )
    p.add_argument("--model", default="market", choices=["raw", "market-adjusted", "constant-mean", "market"])
    p.add_argument(
        "--benchmark",
        metavar="SYMBOL",
        help="benchmark for every security (default: securities.csv benchmark_symbol)",
    )
    p.add_argument("--min-obs", type=int, default=100, help="minimum valid estimation returns (default 100)")
    p.add_argument(
        "--returns", choices=["simple", "log"], default="simple", help="return kind (default simple)"
    )
    p.add_argument(
        "--groups",
        nargs="+",
        metavar="NAME=SYM1,SYM2",
        help="groups for CAARs and tests (members are added to the securities)",
    )
    p.add_argument(
        "--placebo",
        type=int,
        default=0,
        metavar="N",
        help="with --groups: two-sided placebo p-value of each group CAAR from N random dates "
        "away from every event in data/events.csv (seeded, deterministic)",
    )
    p.add_argument("--seed", type=int, default=0, help="placebo random seed (default 0)")
    p.add_argument("--placebo-pool", choices=["regime", "uniform"], default="regime",
                   help="placebo dates: regime (within 6 months and the same benchmark volatility tercile as "
                   "each event; default) or uniform (any non-event date)")
    p.add_argument("--cumulate", choices=["sum", "compound"], default="sum",
                   help="sum: CAR only (default); compound: also the buy-and-hold abnormal return bhar[A,B]")
    add_gap_options(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=_handler)

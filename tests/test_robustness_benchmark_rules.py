"""The spec curve's benchmark axis as notebook 04's benchmark rules (issue 15): two_factor against a fresh engine
event study on a two-factor panel, same_market against a hand computation of the within-market long-shorts (one
fresh fit per market) and against crackdown.inference.within_strata_inputs, on synthetic US and Hong Kong data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crackdown import eventstudy as es
from crackdown import inference
from crackdown import reaction as rx
from crackdown import robustness as rb
from crackdown.calendars import sessions
from crackdown.errors import CrackdownError
from crackdown.robustness.grid import SAME, TWO_FACTOR

EVENT_DATES = ["2021-02-03", "2021-03-10", "2021-04-14", "2021-05-19", "2021-06-23", "2021-08-04", "2021-09-15"]
LISTINGS = {  # symbol -> (firm, exchange)
    "T1": ("t1", "XNYS"), "T1.HK": ("t1", "XHKG"), "T2": ("t2", "XNAS"), "T3.HK": ("t3", "XHKG"),
    "A1.HK": ("a1", "XHKG"), "A2": ("a2", "XNYS"), "A3.HK": ("a3", "XHKG")}
FIRM_SYMBOL = {"t1": "T1", "t2": "T2", "t3": "T3.HK", "a1": "A1.HK", "a2": "A2", "a3": "A3.HK"}
MARKET_SYMBOLS = {"US": {"t1": "T1", "t2": "T2", "a2": "A2"},
                  "HK": {"t1": "T1.HK", "t3": "T3.HK", "a1": "A1.HK", "a3": "A3.HK"}, "mainland": {}}
LONG, SHORT = ["t1", "t2", "t3"], ["a1", "a2", "a3"]
EST, WIN = (-200, -11), (-1, 1)


def _data() -> rb.SweepData:
    us, hk = sessions("XNYS", "2019-06-01", "2022-06-30"), sessions("XHKG", "2019-06-01", "2022-06-30")
    index = us.union(hk)
    rng = np.random.default_rng(8)
    spx = pd.Series(rng.normal(0.0003, 0.01, len(us)), us)
    china = pd.Series(0.5 * spx.to_numpy() + rng.normal(0, 0.013, len(us)), us)
    hsi = pd.Series(rng.normal(0.0, 0.012, len(hk)), hk)
    cols = {"IDX_GSPC": spx, "MCHI": china, "IDX_HSI": hsi}
    for i, (symbol, (firm, mic)) in enumerate(LISTINGS.items()):
        if mic == "XHKG":
            r = 0.0001 * i + (0.9 + 0.1 * i) * hsi + rng.normal(0, 0.015, len(hk))
        else:
            r = 0.0002 + (0.7 + 0.1 * i) * spx + (0.8 - 0.1 * i) * china + rng.normal(0, 0.015, len(us))
        hit = r.index.isin(pd.DatetimeIndex(EVENT_DATES)) * (-0.02 if firm.startswith("t") else 0.0)
        cols[symbol] = r + hit
    returns = pd.DataFrame({k: v.reindex(index) for k, v in cols.items()})
    returns.loc["2020-10-05":"2020-10-09", "A2"] = np.nan  # a suspension inside estimation windows
    securities = pd.DataFrame({
        "symbol": [*LISTINGS, "IDX_GSPC", "MCHI", "IDX_HSI"],
        "firm_id": [f for f, _ in LISTINGS.values()] + [None, None, None],
        "exchange": [m for _, m in LISTINGS.values()] + ["XNYS", "XNAS", "XHKG"],
        "benchmark_symbol": ["IDX_HSI" if m == "XHKG" else "IDX_GSPC" for _, m in LISTINGS.values()] + ["", "", ""]})
    events = pd.DataFrame({"event_id": [f"e{i}" for i in range(len(EVENT_DATES))],
                           "date": pd.to_datetime(EVENT_DATES), "time_beijing": "", "type": "fine"})
    groups = pd.Series(["targeted_platform"] * 3 + ["aligned_ai"] * 3, index=LONG + SHORT, name="group")
    return rb.SweepData(returns=returns, securities=securities, events=events,
                        event_sets={"punitive": events["event_id"].tolist()}, firm_symbol=dict(FIRM_SYMBOL),
                        groups=groups, all_event_days=events["date"].to_numpy(dtype="datetime64[ns]"),
                        data_hash="synthetic-rules", market_symbols=MARKET_SYMBOLS)


AXES = {"window": [list(WIN)], "estimation": [list(EST)], "model": ["market", "market-adjusted"],
        "benchmark": ["local", TWO_FACTOR, SAME], "event_set": ["punitive"], "aligned_rule": ["sector"],
        "leave_out": ["none", "t1"]}


@pytest.fixture(scope="module")
def sweep() -> pd.DataFrame:
    specs = rb.run_sweep(AXES, data=_data(), placebo=rb.PlaceboConfig(n=0), cache=False).specs
    return specs.set_index(["model", "benchmark", "leave_out"])


def test_market_adjusted_takes_no_second_factor(sweep: pd.DataFrame) -> None:
    pairs = set(zip(sweep.index.get_level_values(0), sweep.index.get_level_values(1), strict=True))
    assert ("market-adjusted", TWO_FACTOR) not in pairs
    assert {("market", TWO_FACTOR), ("market", SAME), ("market-adjusted", SAME), ("market", "local")} <= pairs
    with pytest.raises(CrackdownError, match="benchmark: same_market needs"):
        rb.expand_grid(AXES, rb.SweepData(**{**_data().__dict__, "market_symbols": {}}))
    with pytest.raises(CrackdownError, match="benchmark: window_inference"):
        rb.window_inference(_data(), [WIN], EST, benchmark=SAME)


def _series(ar: np.ndarray, event: np.ndarray, rows: np.ndarray, n_events: int) -> np.ndarray:
    """(events x days) mean AR of ``rows`` per event (NaN where none)."""
    out = np.full((n_events, ar.shape[1]), np.nan)
    for e in range(n_events):  # a handful of events: plain loops keep the reference simple
        sel = ar[rows & (event == e)]
        ok = ~np.isnan(sel)
        n = ok.sum(axis=0)
        out[e] = np.where(n > 0, np.where(ok, sel, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)
    return out


def _by_hand(data: rb.SweepData, model: str, leave_out: str) -> dict[str, float]:
    """The same_market estimate from one fresh fit per market: per event and day the mean over markets of long
    mean AR minus short mean AR, averaged over events; CAR over the window, SE from the estimation days."""
    days = np.concatenate([np.arange(EST[0], EST[1] + 1), np.arange(WIN[0], WIN[1] + 1)])
    n_est = EST[1] - EST[0] + 1
    per_market, cars = [], []
    for market, listing in MARKET_SYMBOLS.items():
        long = [listing[f] for f in LONG if f in listing and f != leave_out]
        short = [listing[f] for f in SHORT if f in listing and f != leave_out]
        if not long or not short:
            continue
        panel = es.panel_from_securities(data.returns, data.securities, long + short)
        events = data.events.assign(event_id=np.arange(len(data.events)))
        f = es.fit(panel, es.make_pairs(panel, events), model, EST, errors="drop")
        ar = es.ar_matrix(f, days)
        sym, ev = f.pairs["symbol"].to_numpy(), f.pairs["event_id"].to_numpy()
        diff = (_series(ar, ev, np.isin(sym, long), len(events)) - _series(ar, ev, np.isin(sym, short), len(events)))
        per_market.append(diff)
        car = es.car(f, WIN)
        cars.append(car.assign(stratum=market, group=np.where(car["symbol"].isin(long), "L", "S")))

    def mean_over(a: np.ndarray) -> np.ndarray:  # mean over the first axis where present
        ok = ~np.isnan(a)
        n = ok.sum(axis=0)
        return np.where(n > 0, np.where(ok, a, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)

    pooled = mean_over(mean_over(np.stack(per_market)))
    est = pooled[:n_est][~np.isnan(pooled[:n_est])]
    car = pooled[n_est:].sum()
    se = est.std(ddof=1) * np.sqrt(WIN[1] - WIN[0] + 1)
    within, _ = inference.within_strata_inputs(pd.concat(cars), None, ("L", "S"))
    return {"estimate": car, "se": se, "events_test": inference.events_test(within, inference.WITHIN).estimate}


@pytest.mark.parametrize("model", ["market", "market-adjusted"])
@pytest.mark.parametrize("leave_out", ["none", "t1"])
def test_same_market_pools_the_within_market_long_shorts(sweep: pd.DataFrame, model: str, leave_out: str) -> None:
    row = sweep.loc[(model, SAME, leave_out)]
    want = _by_hand(_data(), model, leave_out)
    assert row["estimate"] == pytest.approx(want["estimate"], abs=1e-12)
    assert row["se"] == pytest.approx(want["se"], abs=1e-12)
    assert row["estimate"] == pytest.approx(want["events_test"], abs=1e-12)  # no missing window day
    assert row["n_events"] == len(EVENT_DATES)
    # firms, not listings: t1 (listed in New York and Hong Kong) counts once
    assert (row["n_long"], row["n_short"]) == ((3, 3) if leave_out == "none" else (2, 3))


def test_two_factor_choice_is_a_fresh_two_factor_event_study(sweep: pd.DataFrame) -> None:
    data = _data()
    long, short = [FIRM_SYMBOL[f] for f in LONG], [FIRM_SYMBOL[f] for f in SHORT]
    sec = rx.rule_securities(data.securities, "two_factor")
    panel = es.panel_from_securities(data.returns, sec, long + short)
    assert panel.factors is not None and {panel.factors[i] for i in range(len(long + short))} == {"MCHI", None}
    f = es.fit(panel, es.make_pairs(panel, data.events), "market", EST, errors="drop")
    want = es.long_short(f, long, short, WIN).set_index("event_id").loc["all"]
    row = sweep.loc[("market", TWO_FACTOR, "none")]
    for got, exp in (("estimate", "car"), ("se", "se"), ("t", "t"), ("p", "p")):
        assert row[got] == pytest.approx(want[exp], abs=1e-12)
    local = sweep.loc[("market", "local", "none")]
    assert local["estimate"] != pytest.approx(row["estimate"], abs=1e-6)  # the factor changes the estimate


def test_placebo_curves_run_under_every_rule() -> None:
    config = rb.PlaceboConfig(n=4, seed=2, start="2019-12-01", end="2022-03-31", pool="uniform")
    specs = rb.run_sweep({**AXES, "model": ["market"], "leave_out": ["none"]}, data=_data(), placebo=config,
                         cache=False).specs
    assert set(specs["benchmark"]) == {"local", TWO_FACTOR, SAME}
    for draws in specs["placebo"]:
        assert len(draws) == 4 and np.isfinite(draws).all()

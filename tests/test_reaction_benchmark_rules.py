"""The two_factor benchmark rule and the choice of the headline's rule (issue 15), on the synthetic market of
test_reaction: pair CARs against statsmodels two-factor OLS by hand, the rule's securities, and the headline
quoting the most conservative rule that measures both legs alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import test_reaction as tr

from crackdown import inference
from crackdown import reaction as rx
from crackdown.calendars import sessions
from crackdown.errors import CrackdownError


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    """test_reaction's returns plus a China factor MCHI on US sessions, correlated with the S&P 500 and loaded
    on by the US listings."""
    base = tr._returns()
    us = sessions("XNYS", tr.START, tr.END)
    rng = np.random.default_rng(21)
    china = pd.Series(0.4 * base["IDX_GSPC"].reindex(us).fillna(0.0).to_numpy() + rng.normal(0, 0.012, len(us)), us)
    out = base.assign(MCHI=china.reindex(base.index))
    for i, s in enumerate(["PA", "PB", "PC", "ED", "ETF"]):
        out[s] = out[s] + (0.5 + 0.2 * i) * out["MCHI"]
    return out


SECURITIES = pd.concat([tr.SECURITIES, pd.DataFrame([("MCHI", None, "MSCI China ETF", "XNAS", "IDX_GSPC")],
                                                    columns=tr.SECURITIES.columns)], ignore_index=True)


@pytest.fixture(scope="module")
def members(returns: pd.DataFrame) -> pd.DataFrame:
    return rx.group_members(tr.GROUPS, SECURITIES, rx.price_coverage(returns), benchmarks=["ETF"])


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return rx.crackdown_events(start="2021-01-01", end="2022-12-31", events=tr.EVENTS, firms=tr.FIRMS)


def test_two_factor_rule_adds_the_china_factor_where_the_local_market_is_not_one() -> None:
    sec = rx.rule_securities(SECURITIES, "two_factor").set_index("symbol")
    assert sec.loc[["PA", "PB", "PC", "ED"], "factor_symbol"].eq("MCHI").all()
    assert sec.loc[["PA", "PB", "PC", "ED"], "benchmark_symbol"].eq("IDX_GSPC").all()  # the local market stays
    # Hong Kong and mainland: the local index is the China market of the exchange, so no second factor
    assert sec.loc[["PA.HK", "CH.HK", "AI1.SZ", "AI2.SS"], "factor_symbol"].eq("").all()
    assert sec.loc[["ETF", "MCHI", "IDX_HSI"], "factor_symbol"].eq("").all()  # index and ETF rows keep theirs
    assert "factor_symbol" not in rx.rule_securities(SECURITIES, "china_market")
    with pytest.raises(CrackdownError, match="two_factor: no China benchmark for exchange 'XSHE'"):
        rx.rule_securities(SECURITIES, "two_factor", {"XNYS": "MCHI", "XNAS": "MCHI", "XHKG": "IDX_HSI",
                                                      "XSHG": "000300.SS"})
    with pytest.raises(CrackdownError, match="benchmark_rule"):
        rx.rule_securities(SECURITIES, "three_factor")
    assert "two_factor" in rx.BENCHMARK_RULES and "two_factor" in rx.ALIKE_RULES


def _ols_car(returns: pd.DataFrame, symbol: str, regressors: list[str], mic: str, day0) -> float:
    """CAR (0,0) of ``symbol`` at ``day0`` from an OLS on its own sessions (estimation -250..-11)."""
    own = returns[[symbol, *regressors]].reindex(sessions(mic, tr.START, tr.END))
    pos = own.index.get_loc(day0)
    est = own.iloc[pos - 250: pos - 10].dropna()
    ols = sm.OLS(est[symbol], sm.add_constant(est[regressors])).fit()
    return float(own[symbol].iloc[pos] - ols.params["const"] - (ols.params[regressors] * own[regressors].iloc[pos]).sum())


def test_two_factor_cars_match_statsmodels_and_feed_the_rule_tests(returns, members, events) -> None:
    sec = rx.rule_securities(SECURITIES, "two_factor")
    r = rx.run_reaction(returns, sec, events, members, window=(0, 0), min_n=1)
    cars = r.cars.dropna(subset=["car"])
    assert len(cars) > 10
    mics = SECURITIES.set_index("symbol")["exchange"]
    bench = SECURITIES.set_index("symbol")["benchmark_symbol"]
    for row in cars.itertuples():
        factor = ["MCHI"] if mics[row.symbol] in ("XNYS", "XNAS") and row.symbol != "ETF" else []
        want = _ols_car(returns, row.symbol, [bench[row.symbol], *factor], mics[row.symbol], row.day0)
        assert row.car == pytest.approx(want, abs=1e-9), row.symbol
    study = rx.benchmark_rule_tests(returns, SECURITIES, events, tr.GROUPS, rx.price_coverage(returns), "two_factor",
                                    benchmarks=["ETF"], window=(0, 0), min_n=1)
    assert study["alike"] and study["markets"] == ["all"]
    assert study["benchmarks_by_exchange"]["XNYS"] == "IDX_GSPC + MCHI"
    assert study["benchmarks_by_exchange"]["XSHE"] == "000300.SS"
    used = cars[cars["group"].isin(["targeted_platform", "aligned_ai"])]
    legs = used.pivot_table(index="event_id", columns="group", values="car", aggfunc="mean", observed=True)
    diff = (legs["targeted_platform"] - legs["aligned_ai"]).dropna()
    assert study["tests"]["events"].n == len(diff)
    assert study["tests"]["events"].estimate == pytest.approx(diff.mean(), abs=1e-12)


def _study(p: float | None, n: int = 20, markets: dict[str, int] | None = None) -> dict:
    if p is None:
        return {"headline": None, "tests": {}}
    tests = {"events": inference.Inference(-0.01, 0.01, -1.0, p, n)}
    return {"headline": rx.headline_choice(tests), "tests": tests, "events_with_both_legs_by_market": markets}


TWO_MARKETS = {"US": 12, "HK": 0, "mainland": 9}


def test_headline_rule_is_the_most_conservative_alike_rule() -> None:
    studies = {"local_market": _study(0.95), "china_market": _study(0.2), "two_factor": _study(0.5),
               "same_market": _study(0.3, markets=TWO_MARKETS)}
    assert rx.headline_rule(studies) == "two_factor"  # local_market's larger p does not count: legs not alike
    assert rx.headline_rule({**studies, "same_market": _study(0.7, markets=TWO_MARKETS)}) == "same_market"
    assert rx.headline_rule({**studies, "china_market": _study(0.5)}) == "china_market"  # ties: ALIKE_RULES order
    assert rx.headline_rule({**studies, "two_factor": _study(None)}) == "same_market"
    assert rx.headline_rule({**studies, "two_factor": _study(None), "china_market": _study(0.2, n=3)}) == "same_market"
    assert rx.headline_rule({"local_market": _study(0.1)}) is None
    # a rule whose test has too few events (n < 6) is not defensible while another alike rule is
    assert rx.headline_rule({**studies, "same_market": _study(0.9, n=3)}) == "two_factor"
    assert rx.headline_rule({"china_market": _study(0.2, n=3), "same_market": _study(0.9, n=3)}) == "same_market"


def test_same_market_carries_the_headline_only_with_both_legs_in_two_markets() -> None:
    one_market = {"US": 0, "HK": 0, "mainland": 25}
    studies = {"china_market": _study(0.45), "two_factor": _study(0.40), "same_market": _study(0.56, markets=one_market)}
    assert rx.headline_rule(studies) == "china_market"  # same_market's larger p is a mainland-only subsample
    assert rx.headline_rule({**studies, "same_market": _study(0.56, markets={"US": 3, "HK": 0, "mainland": 25})}) \
        == "same_market"
    assert rx.markets_with_both_legs({"events_with_both_legs_by_market": one_market}) == 1
    assert rx.markets_with_both_legs({"events_with_both_legs_by_market": None}) == 0
    # no defensible rule at all: the largest p among them, whatever the markets
    assert rx.headline_rule({"same_market": _study(0.56, markets=one_market)}) == "same_market"


def test_results_record_quotes_the_most_conservative_alike_rule(returns, members, events) -> None:
    r = rx.run_reaction(returns, SECURITIES, events, members, window=(0, 0), min_n=1)
    pooled, ls = rx.pooled_tests(r), rx.long_short_pooled(r)
    placebo = {"p_two_sided": 0.5, "n_placebo": 3, "actual": ls["car"], "placebo": np.array([0.01, -0.02, 0.03])}
    reverse = rx._empty_reverse(pd.DataFrame(columns=["event_id", "symbol", "reason"]))
    studies = {rule: rx.benchmark_rule_tests(returns, SECURITIES, events, tr.GROUPS, rx.price_coverage(returns), rule,
                                             benchmarks=["ETF"], window=(0, 0), min_n=1)
               for rule in rx.BENCHMARK_RULES}
    rec = rx.results_record(r, pooled, ls, placebo, reverse, 3, {}, by_benchmark=studies)
    heads = {k: v["headline"] for k, v in rec["by_benchmark"].items() if v["alike"] and v["headline"]}
    assert set(heads) <= set(rx.ALIKE_RULES) and heads
    need = {"events": 6, "clusters": 6, "calendar_time": 30}  # a test's minimum n to be defensible
    two_markets = {k: sum(n > 0 for n in (v["events_with_both_legs_by_market"] or {}).values()) >= 2
                   for k, v in rec["by_benchmark"].items()}
    pool = {k: h["p_value"] for k, h in heads.items() if h["n"] >= need[h["test"]]
            and (k != "same_market" or two_markets[k])} or {k: h["p_value"] for k, h in heads.items()}
    rule = rec["headline"]["benchmark_rule"]
    assert pool[rule] == max(pool.values()) == rec["headline"]["p_value"]
    with pytest.raises(CrackdownError, match="by_benchmark"):
        rx.results_record(r, pooled, ls, placebo, reverse, 3, {}, by_benchmark={"local_market": studies["local_market"]})

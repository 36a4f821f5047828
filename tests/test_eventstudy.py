"""Event-study engine on synthetic returns laid on the real exchange calendars.

Reference values are recomputed here independently: statsmodels OLS per (security, event) and each test
statistic from its paper's formula written out with numpy, never through the engine's helpers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crackdown import eventstudy as es
from crackdown.calendars import sessions
from crackdown.errors import CrackdownError

US = ["U1", "U2", "U3", "U4"]
HK = ["H1", "H2"]
EVENTS = pd.DataFrame(
    {
        "event_id": ["alibaba_fine", "didi_app_removal", "tutoring_leak"],
        "date": ["2021-04-10", "2021-07-04", "2021-07-23"],
        "time_beijing": ["", "", "21:00"],
    }
)


def _returns(seed: int = 7) -> pd.DataFrame:
    us = sessions("XNYS", "2019-06-01", "2022-06-30")
    hk = sessions("XHKG", "2019-06-01", "2022-06-30")
    index = us.union(hk)
    rng = np.random.default_rng(seed)
    spx = pd.Series(rng.normal(0.0004, 0.011, len(us)), us)
    hsi = pd.Series(rng.normal(0.0, 0.013, len(hk)), hk)
    out = {"IDX_GSPC": spx.reindex(index), "IDX_HSI": hsi.reindex(index)}
    for i, s in enumerate(US):
        out[s] = (0.0003 * i + (0.8 + 0.2 * i) * spx + pd.Series(rng.normal(0, 0.02, len(us)), us)).reindex(
            index
        )
    for i, s in enumerate(HK):
        out[s] = (0.0002 + (1.0 + 0.3 * i) * hsi + pd.Series(rng.normal(0, 0.018, len(hk)), hk)).reindex(
            index
        )
    frame = pd.DataFrame(out)
    frame.loc["2021-02-01":"2021-02-12", "U2"] = np.nan  # a suspension inside the estimation windows
    frame.loc["2021-07-26", "H2"] = np.nan  # a suspended event day
    return frame


SECURITIES = pd.DataFrame(
    {
        "symbol": [*US, *HK, "IDX_GSPC", "IDX_HSI"],
        "exchange": ["XNYS", "XNAS", "XNYS", "XNYS", "XHKG", "XHKG", "XNYS", "XHKG"],
        "benchmark_symbol": ["IDX_GSPC"] * 4 + ["IDX_HSI"] * 2 + ["", ""],
    }
)


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    return _returns()


@pytest.fixture(scope="module")
def market_fit(returns: pd.DataFrame) -> es.Fit:
    panel = es.panel_from_securities(returns, SECURITIES, US + HK)
    return es.fit(panel, es.make_pairs(panel, EVENTS), model="market")


def _own(returns: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """A security's and its benchmark's returns on the security's own sessions."""
    row = SECURITIES.set_index("symbol").loc[symbol]
    own = sessions(row["exchange"], returns.index.min(), returns.index.max())
    return pd.DataFrame(
        {"r": returns[symbol].reindex(own), "m": returns[row["benchmark_symbol"]].reindex(own)}
    )


# ----------------------------------------------------------------------------------- statsmodels parity


def test_market_model_matches_statsmodels(returns: pd.DataFrame, market_fit: es.Fit) -> None:
    ar = es.abnormal_returns(market_fit, (-1, 1)).set_index(["event_id", "symbol", "rel_day"])
    cars = es.car(market_fit, [(-1, 1), (0, 3)]).set_index(["event_id", "symbol", "window"])
    for p in market_fit.pairs.itertuples():
        own = _own(returns, p.symbol)
        pos = own.index.get_loc(p.day0)
        est = own.iloc[pos - 250 : pos - 10].dropna()
        ols = sm.OLS(est["r"], sm.add_constant(est["m"])).fit()
        a, b = ols.params["const"], ols.params["m"]
        assert p.n_est == len(est) == ols.nobs
        assert p.alpha == pytest.approx(a, abs=1e-9) and p.beta == pytest.approx(b, abs=1e-9)
        assert p.sigma == pytest.approx(np.sqrt(ols.scale), abs=1e-9)
        expected = own["r"] - a - b * own["m"]
        for k in (-1, 0, 1):
            got = ar.loc[(p.event_id, p.symbol, k)]
            assert got["date"] == own.index[pos + k]
            if np.isnan(expected.iloc[pos + k]):
                assert np.isnan(got["ar"])
            else:
                assert got["ar"] == pytest.approx(expected.iloc[pos + k], abs=1e-9)
        for lo, hi in ((-1, 1), (0, 3)):
            window = expected.iloc[pos + lo : pos + hi + 1]
            assert cars.loc[(p.event_id, p.symbol, f"{lo}..{hi}"), "car"] == pytest.approx(
                window.sum(skipna=True), abs=1e-9
            )


def test_pairs_use_own_exchange_day0(market_fit: es.Fit) -> None:
    d0 = market_fit.pairs.set_index(["event_id", "symbol"])["day0"]
    assert d0[("didi_app_removal", "U1")] == pd.Timestamp("2021-07-06")
    assert d0[("didi_app_removal", "H1")] == pd.Timestamp("2021-07-05")
    assert d0[("tutoring_leak", "U2")] == pd.Timestamp("2021-07-23")  # XNAS listing
    assert d0[("tutoring_leak", "H2")] == pd.Timestamp("2021-07-26")


def test_suspended_day_is_missing_not_zero(market_fit: es.Fit) -> None:
    ar = es.abnormal_returns(market_fit, (-1, 1))
    row = ar[(ar.event_id == "tutoring_leak") & (ar.symbol == "H2")].set_index("rel_day")
    assert np.isnan(row.loc[0, "ar"])
    assert row.loc[1, "date"] == pd.Timestamp("2021-07-27")  # relative days still count HK sessions
    c = es.car(market_fit, (-1, 1))
    c = c[(c.event_id == "tutoring_leak") & (c.symbol == "H2")].iloc[0]
    assert c["n_days"] == 2


def test_suspension_reduces_estimation_observations(market_fit: es.Fit) -> None:
    n = market_fit.pairs.set_index(["event_id", "symbol"])["n_est"]
    assert n[("alibaba_fine", "U1")] == 240
    assert n[("alibaba_fine", "U2")] == 240 - 10  # 2021-02-01..02-12: ten NYSE sessions set missing
    own = _returns()["U2"].reindex(sessions("XNYS", "2019-06-01", "2022-06-30"))
    pos = own.index.get_loc(pd.Timestamp("2021-04-12"))
    assert n[("alibaba_fine", "U2")] == own.iloc[pos - 250 : pos - 10].notna().sum()


# ----------------------------------------------------------------------------------------- other models


@pytest.mark.parametrize("model", ["raw", "market-adjusted", "constant-mean"])
def test_simple_models(returns: pd.DataFrame, model: str) -> None:
    panel = es.panel_from_securities(returns, SECURITIES, US + HK)
    f = es.fit(panel, es.make_pairs(panel, EVENTS), model=model)
    ar = es.abnormal_returns(f, (0, 1)).set_index(["event_id", "symbol", "rel_day"])["ar"]
    for p in f.pairs.itertuples():
        own = _own(returns, p.symbol)
        pos = own.index.get_loc(p.day0)
        est = own.iloc[pos - 250 : pos - 10]
        if model == "raw":
            expected = own["r"]
        elif model == "market-adjusted":
            expected = own["r"] - own["m"]
        else:
            expected = own["r"] - est["r"].mean()
        for k in (0, 1):
            e, g = expected.iloc[pos + k], ar[(p.event_id, p.symbol, k)]
            assert (np.isnan(e) and np.isnan(g)) or g == pytest.approx(e, abs=1e-12)


def test_log_returns_helper() -> None:
    simple = pd.DataFrame({"a": [0.1, np.nan, -0.5]})
    assert np.allclose(es.to_log_returns(simple)["a"], [np.log(1.1), np.nan, np.log(0.5)], equal_nan=True)


def test_explicit_benchmark_overrides(returns: pd.DataFrame) -> None:
    panel = es.panel_from_securities(returns, SECURITIES, ["H1"], benchmark="IDX_GSPC")
    f = es.fit(panel, es.make_pairs(panel, EVENTS.iloc[:1]), model="market-adjusted")
    ar = es.abnormal_returns(f, (0, 0)).iloc[0]
    assert ar["ar"] == pytest.approx(returns.loc["2021-04-12", "H1"] - returns.loc["2021-04-12", "IDX_GSPC"])


def test_fit_once_evaluate_windows(market_fit: es.Fit) -> None:
    daily = es.abnormal_returns(market_fit, (-2, 3))
    cars = es.car(market_fit, [(0, 0), (-2, 3)])
    for lo, hi in ((0, 0), (-2, 3)):
        direct = daily[daily.rel_day.between(lo, hi)].groupby(["event_id", "symbol"])["ar"].sum(min_count=1)
        got = cars[cars.window == f"{lo}..{hi}"].set_index(["event_id", "symbol"])["car"]
        pd.testing.assert_series_equal(got.sort_index(), direct.sort_index(), check_names=False, atol=1e-12)


# ------------------------------------------------------------------------- test statistics by hand

# a tiny design: 4 US firms, one shared event, estimation window -8..-2 (7 days), event window 0..1
TINY_EST, TINY_WIN = (-8, -2), (0, 1)


@pytest.fixture(scope="module")
def tiny() -> tuple[es.Fit, np.ndarray, np.ndarray]:
    """Returns (fit, r, m): r[i, t] and m[i, t] on relative days t = -8..1 (index 0..9) for firm i."""
    idx = sessions("XNYS", "2021-06-01", "2021-07-31")
    rng = np.random.default_rng(11)
    m = pd.Series(rng.normal(0, 0.01, len(idx)), idx)
    data = {"IDX_GSPC": m}
    for i, s in enumerate(US):
        data[s] = (
            0.001 * i
            + (0.5 + 0.4 * i) * m
            + rng.normal(0, 0.02, len(idx))
            + ((idx == pd.Timestamp("2021-07-23")) * (-0.03 * (i + 1)))
        )
    ret = pd.DataFrame(data)
    panel = es.panel_from_securities(ret, SECURITIES, US)
    ev = pd.DataFrame({"event_id": ["e"], "date": ["2021-07-23"], "time_beijing": [""]})
    f = es.fit(panel, es.make_pairs(panel, ev), model="market", estimation=TINY_EST, min_obs=5)
    pos = idx.get_loc(pd.Timestamp("2021-07-23"))
    rel = ret.iloc[pos - 8 : pos + 2]
    return f, rel[US].to_numpy().T, np.tile(rel["IDX_GSPC"].to_numpy(), (len(US), 1))


def _tiny_by_hand(r: np.ndarray, m: np.ndarray):
    """Per-firm OLS on days 0..6 (rel -8..-2) and the event days 8..9 (rel 0..1), from textbook formulas."""
    est, ev = slice(0, 7), slice(8, 10)
    T = 7
    b = np.array([np.polyfit(m[i, est], r[i, est], 1) for i in range(len(r))])
    beta, alpha = b[:, 0], b[:, 1]
    resid = r - alpha[:, None] - beta[:, None] * m
    s2 = (resid[:, est] ** 2).sum(axis=1) / (T - 2)
    mbar = m[:, est].mean(axis=1)
    sxx = ((m[:, est] - mbar[:, None]) ** 2).sum(axis=1)
    # Patell (1976): standardised AR with the forecast-error variance
    sar = resid[:, ev] / np.sqrt(s2[:, None] * (1 + 1 / T + (m[:, ev] - mbar[:, None]) ** 2 / sxx[:, None]))
    return resid, sar, T, est, ev


def test_cross_sectional_t_patell_bmp(tiny) -> None:
    f, r, m = tiny
    resid, sar, T, _est, ev = _tiny_by_hand(r, m)
    N, L = len(r), 2
    car_i = resid[:, ev].sum(axis=1)
    t_cs = car_i.mean() / (car_i.std(ddof=1) / np.sqrt(N))
    scar = sar.sum(axis=1) / np.sqrt(L)
    # Patell Z = sum_i SCAR_i / sqrt(sum_i (T_i - 2) / (T_i - 4))
    patell = scar.sum() / np.sqrt(N * (T - 2) / (T - 4))
    # BMP (1991): t = mean(SCAR) / (sd(SCAR) / sqrt(N))
    bmp = scar.mean() / np.sqrt(((scar - scar.mean()) ** 2).sum() / (N * (N - 1)))
    got = es.caar_tests(f, TINY_WIN).iloc[0]
    assert got["n"] == N
    assert got["caar"] == pytest.approx(car_i.mean(), abs=1e-12)
    assert got["t_cs"] == pytest.approx(t_cs, rel=1e-9)
    assert got["p_cs"] == pytest.approx(2 * stats.t.sf(abs(t_cs), N - 1), rel=1e-9)
    assert got["patell_z"] == pytest.approx(patell, rel=1e-9)
    assert got["bmp_t"] == pytest.approx(bmp, rel=1e-9)


def test_kolari_pynnonen(tiny) -> None:
    f, r, m = tiny
    resid, sar, _T, est, _ev = _tiny_by_hand(r, m)
    N = len(r)
    scar = sar.sum(axis=1) / np.sqrt(2)
    bmp = scar.mean() * np.sqrt(N) / scar.std(ddof=1)
    corr = np.corrcoef(resid[:, est])
    rbar = corr[~np.eye(N, dtype=bool)].mean()  # average pairwise correlation of estimation residuals
    kp = bmp * np.sqrt((1 - rbar) / (1 + (N - 1) * rbar))
    got = es.caar_tests(f, TINY_WIN).iloc[0]
    assert got["rbar"] == pytest.approx(rbar, rel=1e-9)
    assert got["kp_t"] == pytest.approx(kp, rel=1e-9)


def test_corrado_rank(tiny) -> None:
    f, r, m = tiny
    resid, _, _, _est, _ev = _tiny_by_hand(r, m)
    days = np.r_[0:7, 8:10]  # estimation days and event days (rel -1 is not ranked)
    a = resid[:, days]
    k = a.argsort(axis=1).argsort(axis=1) + 1  # ranks 1..M within each firm
    u = k / (1 + a.shape[1]) - 0.5  # Corrado-Zivney standardised ranks, centred
    kbar = u.mean(axis=0)
    s = np.sqrt((kbar**2).mean())
    t = kbar[-2:].sum() / (np.sqrt(2) * s)  # Cowan (1992) multi-day form of Corrado (1989)
    got = es.caar_tests(f, TINY_WIN).iloc[0]
    assert got["corrado_t"] == pytest.approx(t, rel=1e-9)


def test_generalized_sign(tiny) -> None:
    f, r, m = tiny
    resid, _, _, est, ev = _tiny_by_hand(r, m)
    N = len(r)
    p_hat = (resid[:, est] > 0).mean(axis=1).mean()
    w = (resid[:, ev].sum(axis=1) > 0).sum()
    z = (w - N * p_hat) / np.sqrt(N * p_hat * (1 - p_hat))
    got = es.caar_tests(f, TINY_WIN).iloc[0]
    assert got["p_hat"] == pytest.approx(p_hat) and got["n_pos"] == w
    assert got["gsign_z"] == pytest.approx(z, rel=1e-9)


def test_portfolio_approach(tiny) -> None:
    f, r, m = tiny
    resid, _, _, est, ev = _tiny_by_hand(r, m)
    port = resid.mean(axis=0)  # equal-weighted portfolio AR per day
    se = port[est].std(ddof=1) * np.sqrt(2)
    got = es.caar_tests(f, TINY_WIN).iloc[0]
    assert got["portfolio_car"] == pytest.approx(port[ev].sum(), abs=1e-12)
    assert got["portfolio_se"] == pytest.approx(se, rel=1e-9)
    assert got["portfolio_t"] == pytest.approx(port[ev].sum() / se, rel=1e-9)


def test_long_short(tiny) -> None:
    f, r, m = tiny
    resid, _, _, est, ev = _tiny_by_hand(r, m)
    ls = resid[2:].mean(axis=0) - resid[:2].mean(axis=0)  # long U3, U4; short U1, U2
    se = ls[est].std(ddof=1) * np.sqrt(2)
    got = es.long_short(f, ["U3", "U4"], ["U1", "U2"], TINY_WIN).set_index("event_id")
    for row in ("e", "all"):
        assert got.loc[row, "car"] == pytest.approx(ls[ev].sum(), abs=1e-12)
        assert got.loc[row, "se"] == pytest.approx(se, rel=1e-9)
    assert got.loc["all", "car"] < 0  # the synthetic event hits U3/U4 harder


def test_groups_split_the_pairs(market_fit: es.Fit) -> None:
    t = es.caar_tests(market_fit, (0, 0), groups={"us": US, "hk": HK}).set_index("group")
    assert t.loc["us", "n"] == 12 and t.loc["hk", "n"] == 5  # H2 has no return on its tutoring day 0
    c = es.car(market_fit, (0, 0))
    assert t.loc["hk", "caar"] == pytest.approx(c[c.symbol.isin(HK)]["car"].mean())


# ----------------------------------------------------------------------------------------------- placebo


def test_placebo_is_deterministic_and_avoids_events(market_fit: es.Fit) -> None:
    a = es.placebo_pvalue(market_fit, (0, 0), n=150, seed=5)
    b = es.placebo_pvalue(market_fit, (0, 0), n=150, seed=5)
    c = es.placebo_pvalue(market_fit, (0, 0), n=150, seed=6)
    np.testing.assert_array_equal(a["placebo_caars"], b["placebo_caars"])
    assert not np.array_equal(a["placebo_caars"], c["placebo_caars"])
    assert a["n_placebo"] == 150 and 0 < a["p_two_sided"] <= 1
    k = a["n_placebo"]
    assert a["p_two_sided"] == (1 + (np.abs(a["placebo_caars"]) >= abs(a["caar"])).sum()) / (1 + k)


def test_placebo_detects_a_planted_shock(returns: pd.DataFrame) -> None:
    shocked = returns.copy()
    shocked.loc["2021-04-12", US] -= 0.08
    panel = es.panel_from_securities(shocked, SECURITIES, US)
    f = es.fit(panel, es.make_pairs(panel, EVENTS.iloc[:1]))
    res = es.placebo_pvalue(f, (0, 0), n=300, seed=1)
    assert res["p_lower"] < 0.01 and res["caar"] < -0.05


# -------------------------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-0.2, 0.2), min_size=30, max_size=30),
    st.lists(st.floats(-0.2, 0.2), min_size=30, max_size=30),
)
def test_property_market_adjusted(stock: list[float], bench: list[float]) -> None:
    idx = sessions("XNYS", "2021-06-01", "2021-08-31")[:30]
    r, m = np.array(stock), np.array(bench)
    frame = pd.DataFrame({"U1": r, "U2": r + m, "U3": m, "IDX_GSPC": m}, index=idx)
    panel = es.panel_from_securities(frame, SECURITIES, ["U1", "U2", "U3"])
    ev = pd.DataFrame({"event_id": ["e"], "date": [idx[25]]})
    f = es.fit(panel, es.make_pairs(panel, ev), model="market-adjusted", estimation=(-20, -2), min_obs=5)
    ar = es.abnormal_returns(f, (-1, 3)).pivot(index="rel_day", columns="symbol", values="ar")
    # adding the benchmark's return to a stock shifts its market-adjusted AR by exactly that amount
    np.testing.assert_allclose(ar["U2"] - ar["U1"], m[24:29], rtol=0, atol=1e-15)
    # a stock identical to its benchmark has zero market-adjusted AR
    assert (ar["U3"] == 0).all()


# ------------------------------------------------------------------------------------------------ errors


def test_overlapping_windows(market_fit: es.Fit) -> None:
    with pytest.raises(CrackdownError, match="estimation"):
        es.car(market_fit, (-12, 0))


def test_estimation_must_end_before_day0(returns: pd.DataFrame) -> None:
    panel = es.panel_from_securities(returns, SECURITIES, US)
    with pytest.raises(CrackdownError, match="estimation"):
        es.fit(panel, es.make_pairs(panel, EVENTS), estimation=(-100, 2))


def test_too_few_observations(returns: pd.DataFrame) -> None:
    panel = es.panel_from_securities(returns, SECURITIES, US)
    with pytest.raises(CrackdownError, match="min_obs"):
        es.fit(panel, es.make_pairs(panel, EVENTS), estimation=(-50, -11), min_obs=100)


def test_event_outside_coverage(returns: pd.DataFrame) -> None:
    panel = es.panel_from_securities(returns, SECURITIES, US)
    late = pd.DataFrame({"event_id": ["late"], "date": ["2023-03-01"]})
    with pytest.raises(CrackdownError, match="event: .*outside the price coverage"):
        es.fit(panel, es.make_pairs(panel, late))
    dropped = es.fit(panel, es.make_pairs(panel, pd.concat([EVENTS, late])), errors="drop")
    assert set(dropped.dropped["event_id"]) == {"late"} and len(dropped.pairs) == 12


def test_unknown_symbol_and_event(returns: pd.DataFrame) -> None:
    with pytest.raises(CrackdownError, match="symbols: unknown symbol 'U9'"):
        es.panel_from_securities(returns, SECURITIES, ["U1", "U9"])
    with pytest.raises(CrackdownError, match="event: unknown event 'alibaba_fin'.*alibaba_fine"):
        es.run_event_study(returns, SECURITIES, EVENTS, US, event_ids=["alibaba_fin"])
    with pytest.raises(CrackdownError, match="model"):
        panel = es.panel_from_securities(returns, SECURITIES, US)
        es.fit(panel, es.make_pairs(panel, EVENTS), model="capm")


def test_month_precision_event_rejected(returns: pd.DataFrame) -> None:
    ev = EVENTS.assign(date_precision=["day", "month", "day"])
    with pytest.raises(CrackdownError, match="event: didi_app_removal .*month"):
        es.run_event_study(returns, SECURITIES, ev, US)


def test_run_event_study_tidy_outputs(returns: pd.DataFrame) -> None:
    res = es.run_event_study(
        returns, SECURITIES, EVENTS, US + HK, windows=[(-1, 1), (0, 0)], groups={"us": US, "hk": HK}
    )
    assert list(res.ar.columns[:6]) == ["event_id", "symbol", "exchange", "rel_day", "date", "ar"]
    assert {"alpha", "beta", "sigma", "n_est"} <= set(res.ar.columns)
    assert len(res.ar) == 18 * 3 and len(res.car) == 18 * 2 and len(res.caar) == 4
    assert set(res.params.columns) >= {"alpha", "beta", "sigma", "n_est", "day0"}


def test_rank_rows_matches_scipy_with_ties_and_gaps() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(-3, 4, size=(50, 12)).astype(float) / 100  # many ties
    a[rng.random(a.shape) < 0.2] = np.nan
    expected = stats.rankdata(a, axis=1, nan_policy="omit")
    np.testing.assert_array_equal(es._rank_rows(a), expected)


def test_placebo_candidates_keep_away_from_events(market_fit: es.Fit) -> None:
    extra = ["2020-03-16"]
    cands = pd.DatetimeIndex(es._placebo_candidates(market_fit, market_fit.pairs, (-1, 1), 6, extra, "all"))
    union = sessions("XNYS", "2019-06-01", "2022-06-30").union(sessions("XHKG", "2019-06-01", "2022-06-30"))
    pos = union.get_indexer(cands)
    for day in [*market_fit.pairs["day0"].unique(), pd.Timestamp(extra[0])]:
        assert (np.abs(pos - union.get_loc(day)) > 6).all()
    # room for the estimation window and the event window inside every security's coverage
    assert cands.min() >= union[250] and cands.max() <= pd.Timestamp("2022-06-29")


def test_placebo_with_late_listing_needs_coverage_any(returns: pd.DataFrame) -> None:
    late = returns.copy()
    late.loc[:"2020-06-30", "U4"] = np.nan  # listed mid-2020 ...
    late.loc["2021-08-07":, "U1"] = np.nan  # ... U1 delisted in August 2021: hardly any common room
    panel = es.panel_from_securities(late, SECURITIES, US)
    f = es.fit(panel, es.make_pairs(panel, EVENTS.iloc[2:]), min_obs=100)
    with pytest.raises(CrackdownError, match="coverage"):
        es.placebo_pvalue(f, (0, 0), n=50, seed=0)
    res = es.placebo_pvalue(f, (0, 0), n=50, seed=0, coverage="any")
    assert res["n_placebo"] == 50


def test_explicit_pairs_restrict_the_study(returns: pd.DataFrame) -> None:
    pairs = pd.DataFrame({"event_id": ["alibaba_fine", "tutoring_leak"], "symbol": ["U1", "H1"]})
    res = es.run_event_study(returns, SECURITIES, EVENTS, US + HK, pairs=pairs)
    assert sorted(zip(res.params.event_id, res.params.symbol, strict=True)) == [
        ("alibaba_fine", "U1"),
        ("tutoring_leak", "H1"),
    ]
    with pytest.raises(CrackdownError, match="event"):
        es.run_event_study(returns, SECURITIES, EVENTS, US, pairs=pairs.assign(event_id="nope"))


def test_battery_does_not_depend_on_blocking(market_fit: es.Fit, monkeypatch: pytest.MonkeyPatch) -> None:
    # one big block (with missing days: masked path) vs one pair per block (mostly the no-gap fast path)
    whole = es.caar_tests(market_fit, (-1, 1), groups={"us": US, "hk": HK})
    blocks = es._blocks  # its block size defaults to _CHUNK as bound at import: patch the function itself
    monkeypatch.setattr(es, "_blocks", lambda n, size=1: blocks(n, 1))
    split = es.caar_tests(market_fit, (-1, 1), groups={"us": US, "hk": HK})
    pd.testing.assert_frame_equal(whole, split, rtol=1e-12)


def test_corrado_and_sign_with_a_missing_day(tiny) -> None:
    f, r, m = tiny
    gap = f.pairs.iloc[[0]]  # firm U1 loses one estimation day (rel -5): its own M_i and p_i change
    panel = f.panel
    rt = panel.rt.copy()
    rt[gap["col"].iat[0], gap["pos0"].iat[0] - 5] = np.nan
    rt_panel = es.ReturnPanel(**{**panel.__dict__, "rt": rt, "r": rt.T.copy()})
    g = es.fit(
        rt_panel, f.pairs[["event_id", "symbol", "exchange", "day0", "col", "pos0"]], "market", TINY_EST, 5
    )
    r = r.copy()
    r[0, 3] = np.nan  # rel -5 is index 3 on the -8..1 axis
    resid = np.full_like(r, np.nan)
    for i in range(len(r)):
        ok = ~np.isnan(r[i, :7])
        beta, alpha = np.polyfit(m[i, :7][ok], r[i, :7][ok], 1)
        resid[i] = r[i] - alpha - beta * m[i]
    days = np.r_[0:7, 8:10]
    a = resid[:, days]
    ranks = stats.rankdata(a, axis=1, nan_policy="omit")
    u = ranks / (1 + (~np.isnan(a)).sum(axis=1, keepdims=True)) - 0.5
    kbar = np.nanmean(u, axis=0)
    corrado = kbar[-2:].sum() / (np.sqrt(2) * np.sqrt((kbar**2).mean()))
    est = resid[:, :7]
    p_hat = np.mean([(row[~np.isnan(row)] > 0).mean() for row in est])
    got = es.caar_tests(g, TINY_WIN).iloc[0]
    assert got["corrado_t"] == pytest.approx(corrado, rel=1e-9)
    assert got["p_hat"] == pytest.approx(p_hat, rel=1e-12)

"""Engine v2 wiring: gap-aware returns, BHAR, announcement times and Kolari-Pynnonen with overlap inside
crackdown.eventstudy, checked against hand formulas on prices and against the standalone modules
(crackdown.returns, crackdown.cumulate, crackdown.announce, crackdown.inference) on fixtures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from crackdown import eventstudy as es
from crackdown import inference as inf
from crackdown import returns as gr
from crackdown.calendars import sessions
from crackdown.errors import CrackdownError

EST = (-120, -11)
SECURITIES = pd.DataFrame(
    {
        "symbol": ["HALT", "CALM", "IDX_GSPC"],
        "exchange": ["XNYS", "XNYS", "XNYS"],
        "benchmark_symbol": ["IDX_GSPC", "IDX_GSPC", ""],
    }
)
DAY0 = pd.Timestamp("2021-07-23")


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    """Closes on XNYS sessions; HALT is suspended on day -1 and day 0 (resumes on day +1 with a -12% move
    since its last close), and for three sessions inside its estimation window."""
    idx = sessions("XNYS", "2020-10-01", "2021-09-30")
    rng = np.random.default_rng(3)
    m = rng.normal(0.0003, 0.01, len(idx))
    bench = 100 * np.cumprod(1 + m)
    halt = 50 * np.cumprod(1 + 0.0002 + 1.2 * m + rng.normal(0, 0.015, len(idx)))
    calm = 20 * np.cumprod(1 + 0.8 * m + rng.normal(0, 0.012, len(idx)))
    frame = pd.DataFrame({"HALT": halt, "CALM": calm, "IDX_GSPC": bench}, index=idx)
    pos = idx.get_loc(DAY0)
    frame.iloc[pos + 1 :, 0] *= 0.88 * frame.iloc[pos - 2, 0] / frame.iloc[pos + 1, 0]  # -12% over the halt
    frame.iloc[pos - 1 : pos + 1, 0] = np.nan  # suspended on day -1 and day 0
    frame.iloc[pos - 60 : pos - 57, 0] = np.nan  # a three-session suspension in the estimation window
    return frame


def _gap(prices: pd.DataFrame, attribute: str) -> gr.GapReturns:
    return gr.gap_returns_by_exchange(prices, {c: "XNYS" for c in prices}, attribute=attribute)


def _fit(prices: pd.DataFrame, attribute: str, model: str = "market") -> es.Fit:
    g = _gap(prices, attribute)
    panel = es.panel_from_securities(g.returns, SECURITIES, ["HALT", "CALM"], spans=g.spans)
    events = pd.DataFrame({"event_id": ["ban"], "date": [DAY0], "time_beijing": [""]})
    return es.fit(panel, es.make_pairs(panel, events), model=model, estimation=EST, min_obs=60)


def _by_hand(prices: pd.DataFrame):
    """Market model on HALT's one-session returns in the estimation window, from prices."""
    p, b = prices["HALT"], prices["IDX_GSPC"]
    r, m = p / p.shift(1) - 1, b / b.shift(1) - 1  # NaN next to a missing close: one-session returns only
    pos = prices.index.get_loc(DAY0)
    est = slice(pos + EST[0], pos + EST[1] + 1)
    ok = r.iloc[est].notna() & m.iloc[est].notna()
    y, x = r.iloc[est][ok].to_numpy(), m.iloc[est][ok].to_numpy()
    res = sm.OLS(y, sm.add_constant(x)).fit()
    return res.params[0], res.params[1], np.sqrt(res.scale), len(y), x, pos


def test_halted_security_keeps_the_move_across_the_halt(prices: pd.DataFrame) -> None:
    alpha, beta, _sigma, n_est, _x, pos = _by_hand(prices)
    p, b = prices["HALT"], prices["IDX_GSPC"]
    r_span = p.iloc[pos + 1] / p.iloc[pos - 2] - 1  # last close before the halt -> first close after it
    m_span = b.iloc[pos + 1] / b.iloc[pos - 2] - 1  # the benchmark over the same three sessions
    expected_ar = r_span - (3 * alpha + beta * m_span)
    f = _fit(prices, "resumption")
    row = f.pairs.set_index("symbol").loc["HALT"]
    assert row["alpha"] == pytest.approx(alpha, rel=1e-9) and row["beta"] == pytest.approx(beta, rel=1e-9)
    assert row["n_est"] == n_est  # the spanning return in the estimation window is left out
    cars = es.car(f, [(-1, 1), (0, 1)]).set_index(["symbol", "window"])
    assert r_span == pytest.approx(-0.12)
    assert cars.loc[("HALT", "-1..1"), "car"] == pytest.approx(expected_ar, rel=1e-9)
    assert cars.loc[("HALT", "-1..1"), "max_span"] == 3 and cars.loc[("HALT", "0..1"), "max_span"] == 3
    # the move spans sessions -1..+1: inside the window -1..1, but it starts before a window opening on day 0
    assert not cars.loc[("HALT", "-1..1"), "starts_before"] and cars.loc[("HALT", "0..1"), "starts_before"]
    assert cars.loc[("CALM", "-1..1"), "max_span"] == 1 and not cars.loc[("CALM", "0..1"), "starts_before"]
    # a window ending during the halt (-2..0): the move booked on day +1 starts inside it and is counted, flagged
    ar_minus2 = (p.iloc[pos - 2] / p.iloc[pos - 3] - 1) - (alpha + beta * (b.iloc[pos - 2] / b.iloc[pos - 3] - 1))
    early = es.car(f, (-2, 0)).set_index("symbol").loc["HALT"]
    assert early["car"] == pytest.approx(ar_minus2 + expected_ar, rel=1e-9) and early["n_days"] == 2
    assert early["ends_after"] and not early["starts_before"] and early["max_span"] == 3
    assert not cars.loc[("HALT", "-1..1"), "ends_after"]
    late = es.car(f, (-5, -3)).set_index("symbol").loc["HALT"]  # ends before the halt: nothing carried in
    assert not late["ends_after"] and late["n_days"] == 3
    dropped = es.car(_fit(prices, "drop"), (-1, 1)).set_index("symbol")
    assert np.isnan(dropped.loc["HALT", "car"])  # the daily rule loses the move entirely
    np.testing.assert_allclose(dropped.loc["CALM", "car"], cars.loc[("CALM", "-1..1"), "car"], rtol=1e-12)


def test_spanning_sar_uses_the_forecast_variance_of_a_multi_session_return(prices: pd.DataFrame) -> None:
    alpha, beta, sigma, n, x, pos = _by_hand(prices)
    p, b = prices["HALT"], prices["IDX_GSPC"]
    m_span = b.iloc[pos + 1] / b.iloc[pos - 2] - 1
    ar = p.iloc[pos + 1] / p.iloc[pos - 2] - 1 - (3 * alpha + beta * m_span)
    sxx = ((x - x.mean()) ** 2).sum()
    # a sum of three one-session forecast errors: var = sigma^2 (3 + 9/n + (m_3 - 3 xbar)^2 / Sxx)
    sar = ar / (sigma * np.sqrt(3 + 9 / n + (m_span - 3 * x.mean()) ** 2 / sxx))
    got = es.abnormal_returns(_fit(prices, "resumption"), (-1, 1)).set_index(["symbol", "rel_day"])
    assert got.loc[("HALT", 1), "sar"] == pytest.approx(sar, rel=1e-9)
    assert np.isnan(got.loc[("HALT", 0), "ar"]) and np.isnan(got.loc[("HALT", -1), "ar"])


def test_drop_spans_reproduce_the_daily_engine(prices: pd.DataFrame) -> None:
    g = _gap(prices, "drop")
    plain = es.panel_from_securities(g.returns, SECURITIES, ["HALT", "CALM"])
    with_spans = es.panel_from_securities(g.returns, SECURITIES, ["HALT", "CALM"], spans=g.spans)
    assert with_spans.s is None
    np.testing.assert_array_equal(plain.m, with_spans.m)
    with pytest.raises(CrackdownError, match="spans"):
        es.panel_from_securities(g.returns, SECURITIES, ["HALT"], spans=g.spans.drop(columns="IDX_GSPC"))


def test_bhar_is_the_hand_compounded_window(prices: pd.DataFrame) -> None:
    alpha, beta, _s, _n, _x, pos = _by_hand(prices)
    p, b = prices["CALM"], prices["IDX_GSPC"]
    f = _fit(prices, "resumption")
    row = f.pairs.set_index("symbol").loc["CALM"]
    r = (p / p.shift(1) - 1).iloc[pos - 1 : pos + 3].to_numpy()
    m = (b / b.shift(1) - 1).iloc[pos - 1 : pos + 3].to_numpy()
    e = row["alpha"] + row["beta"] * m
    bhar = np.prod(1 + r) - np.prod(1 + e)
    got = es.car(f, (-1, 2), cumulate="compound").set_index("symbol")
    assert got.loc["CALM", "bhar"] == pytest.approx(bhar, rel=1e-9)
    assert got.loc["CALM", "car"] == pytest.approx((r - e).sum(), rel=1e-9)
    # HALT: buy at the last close before the window (day -2), hold to day +2, against the model's path
    ph = prices["HALT"]
    m3 = b.iloc[pos + 1] / b.iloc[pos - 2] - 1
    m4 = b.iloc[pos + 2] / b.iloc[pos + 1] - 1
    grow_e = (1 + 3 * alpha + beta * m3) * (1 + alpha + beta * m4)
    assert got.loc["HALT", "bhar"] == pytest.approx(ph.iloc[pos + 2] / ph.iloc[pos - 2] - grow_e, rel=1e-9)
    assert got.loc["HALT", "n_days_bhar"] == 2
    with pytest.raises(CrackdownError, match="cumulate"):
        es.car(f, (-1, 1), cumulate="product")


def test_make_pairs_uses_time_and_zone_and_flags_the_rule() -> None:
    idx = sessions("XNYS", "2021-01-01", "2021-12-31").union(sessions("XHKG", "2021-01-01", "2021-12-31"))
    ret = pd.DataFrame(0.0, index=idx, columns=["U", "H"])
    panel = es.build_panel(ret, {"U": "XNYS", "H": "XHKG"})
    events = pd.DataFrame(
        {
            "event_id": ["us_day", "bj_evening", "untimed"],
            "date": ["2021-07-02", "2021-07-06", "2021-07-10"],  # Friday; Tuesday; Saturday
            "time": ["10:00", "21:00", ""],
            "tz": ["America/New_York", "Asia/Shanghai", ""],
        }
    )
    p = es.make_pairs(panel, events).set_index(["event_id", "symbol"])
    # 10:00 New York on Fri 2 Jul: New York closes later that day; Hong Kong had closed (16:00 HKT = 04:00 NY)
    assert p.loc[("us_day", "U"), "day0"] == pd.Timestamp("2021-07-02")
    assert p.loc[("us_day", "H"), "day0"] == pd.Timestamp("2021-07-05")
    # 21:00 Beijing on Tue 6 Jul: after Hong Kong's close (next session Wed 7), before New York's open (Tue 6)
    assert p.loc[("bj_evening", "H"), "day0"] == pd.Timestamp("2021-07-07")
    assert p.loc[("bj_evening", "U"), "day0"] == pd.Timestamp("2021-07-06")
    # no time: first session on or after the date (Monday 12 Jul on both)
    assert p.loc[("untimed", "U"), "day0"] == pd.Timestamp("2021-07-12")
    assert p.loc[("untimed", "H"), "day0"] == pd.Timestamp("2021-07-12")
    rules = p["rule"].groupby(level=0).first()
    assert rules.to_dict() == {"bj_evening": "close-after-instant", "untimed": "date-fallback",
                               "us_day": "close-after-instant"}
    legacy = es.make_pairs(panel, events.drop(columns=["time", "tz"]).assign(time_beijing=["", "21:00", ""]))
    bj = legacy.set_index(["event_id", "symbol"])
    assert bj.loc[("bj_evening", "H"), "day0"] == pd.Timestamp("2021-07-07")
    assert bj.loc[("us_day", "U"), "rule"] == "date-fallback"
    with pytest.raises(CrackdownError, match="tz"):
        es.make_pairs(panel, events.assign(tz=["Mars/Olympus", "", ""]))


def _overlap_fixture():
    idx = sessions("XNYS", "2020-01-01", "2021-12-31").union(sessions("XHKG", "2020-01-01", "2021-12-31"))
    rng = np.random.default_rng(5)
    common = pd.Series(rng.normal(0, 0.01, len(idx)), idx)
    data = {"IDX_GSPC": pd.Series(rng.normal(0, 0.01, len(idx)), idx),
            "IDX_HSI": pd.Series(rng.normal(0, 0.01, len(idx)), idx)}
    for i in range(4):
        data[f"U{i}"] = 0.6 * data["IDX_GSPC"] + 0.8 * common + rng.normal(0, 0.01, len(idx))
        data[f"H{i}"] = 0.7 * data["IDX_HSI"] + 0.8 * common + rng.normal(0, 0.01, len(idx))
    ret = pd.DataFrame(data)
    us, hk = sessions("XNYS", "2020-01-01", "2021-12-31"), sessions("XHKG", "2020-01-01", "2021-12-31")
    ret.loc[~ret.index.isin(us), ["IDX_GSPC", *[f"U{i}" for i in range(4)]]] = np.nan
    ret.loc[~ret.index.isin(hk), ["IDX_HSI", *[f"H{i}" for i in range(4)]]] = np.nan
    ret.loc["2021-05-10":"2021-05-12", "U1"] = np.nan
    sec = pd.DataFrame({"symbol": [*(f"U{i}" for i in range(4)), *(f"H{i}" for i in range(4))],
                        "exchange": ["XNYS"] * 4 + ["XHKG"] * 4,
                        "benchmark_symbol": ["IDX_GSPC"] * 4 + ["IDX_HSI"] * 4})
    events = pd.DataFrame({"event_id": ["a", "b", "c"], "date": ["2021-06-01", "2021-06-03", "2021-09-01"],
                           "time_beijing": ["", "", ""]})
    panel = es.panel_from_securities(ret, sec, list(sec["symbol"]))
    return es.fit(panel, es.make_pairs(panel, events), estimation=(-150, -11), min_obs=100)


def test_kp_overlap_equals_the_inference_module_on_calendar_dates() -> None:
    f = _overlap_fixture()
    window = (-2, 3)
    est_off = np.arange(-150, -10)
    win_off = np.arange(window[0], window[1] + 1)
    ex = f.panel.ex_code[f.pairs["col"].to_numpy()]
    pos0 = f.pairs["pos0"].to_numpy()
    est_dates = es._gather(f.panel.dates, pos0, ex, est_off)
    win_dates = es._gather(f.panel.dates, pos0, ex, win_off)
    axis = np.unique(est_dates)
    est_ar = np.full((len(pos0), len(axis)), np.nan)
    rows = np.repeat(np.arange(len(pos0)), len(est_off))
    est_ar[rows, np.searchsorted(axis, est_dates.ravel())] = es.ar_matrix(f, est_off).ravel()
    waxis = np.unique(win_dates)
    in_window = np.zeros((len(pos0), len(waxis)), dtype=bool)
    in_window[np.repeat(np.arange(len(pos0)), len(win_off)), np.searchsorted(waxis, win_dates.ravel())] = True
    scar = es.car(f, window)["scar"].to_numpy()
    expected, rbar = inf.kolari_pynnonen(scar, est_ar, in_window)
    got = es.caar_tests(f, window).iloc[0]
    assert got["rbar_overlap"] == pytest.approx(rbar, rel=1e-9)
    assert got["kp_overlap_t"] == pytest.approx(expected.t, rel=1e-9)
    assert got["p_kp_overlap"] == pytest.approx(expected.p_value, rel=1e-9)
    assert got["rbar_overlap"] > got["rbar"]  # events a and b share window days: more correlation counted
    # with disjoint windows only within-event pairs count, on a common date axis
    far = es.caar_tests(f, (0, 0), {"c": [s for s in f.panel.symbols if s.startswith("U")]}).iloc[0]
    assert np.isfinite(far["kp_overlap_t"])


def test_kp_overlap_with_one_event_on_one_exchange_is_kolari_pynnonen() -> None:
    f = _overlap_fixture()
    one = f.pairs["event_id"].eq("c") & f.pairs["exchange"].eq("XNYS")
    g = dataclasses.replace(f, pairs=f.pairs[one.to_numpy()].reset_index(drop=True))
    got = es.caar_tests(g, (0, 1)).iloc[0]
    assert got["rbar_overlap"] == pytest.approx(got["rbar"], rel=1e-9)
    assert got["kp_overlap_t"] == pytest.approx(got["kp_t"], rel=1e-9)


def test_regime_pool_draws_each_event_from_its_own_period_and_tercile() -> None:
    from crackdown import placebo

    days = sessions("XNYS", "2019-01-01", "2021-12-31")
    rng = np.random.default_rng(2)
    vol = np.where(days < pd.Timestamp("2020-06-01"), 0.005, 0.02)  # calm, then turbulent
    bench = pd.Series(rng.normal(0, 1, len(days)) * vol, index=days)
    cands = days[days >= pd.Timestamp("2019-03-01")].to_numpy()
    events = pd.Series(pd.to_datetime(["2019-09-03", "2021-03-01"]).to_numpy(), index=["calm", "storm"])
    draws, months = placebo.draw_pool("regime", cands, 200, events, seed=4, bench_returns=bench)
    # by hand: trailing 20-session sd before each date, terciles over the sample, +-6 months
    trail = bench.shift(1).rolling(20).std()
    cuts = np.quantile(trail.dropna(), [1 / 3, 2 / 3])
    tercile = pd.Series(np.searchsorted(cuts, trail.to_numpy(), side="right"), index=days).where(trail.notna())
    for k, day in enumerate(events):
        d = pd.DatetimeIndex(draws[:, k])
        assert (tercile.loc[d] == tercile.loc[day]).all()
        assert (abs(d - day) <= pd.Timedelta(days=185)).all()
    assert months == {"calm": 6, "storm": 6}
    uniform, none = placebo.draw_pool("uniform", cands, 200, events, seed=4)
    assert none is None and (pd.DatetimeIndex(uniform[:, 1]) < pd.Timestamp("2020-01-01")).any()
    with pytest.raises(CrackdownError, match="placebo_pool"):
        placebo.draw_pool("calendar", cands, 5, events, seed=4)


def test_regime_pool_widens_only_for_events_with_too_few_nearby_dates() -> None:
    from crackdown import placebo

    days = sessions("XNYS", "2019-01-01", "2021-12-31")
    bench = pd.Series(np.random.default_rng(1).normal(0, 0.01, len(days)), index=days)
    far = days[(days < pd.Timestamp("2020-01-01")) | (days > pd.Timestamp("2021-06-01"))].to_numpy()
    events = pd.Series(pd.to_datetime(["2020-10-01", "2019-06-03"]).to_numpy(), index=["dense", "open"])
    ok = placebo.regime_eligible(far, events, bench)
    assert ok.attrs["months"]["open"] == 6 and ok.attrs["months"]["dense"] > 6
    assert ok.loc["dense"].sum() >= placebo.REGIME_MIN_CANDIDATES


def test_engine_placebo_pool_regime_is_seeded_and_uniform_still_available() -> None:
    f = _overlap_fixture()
    us = [s for s in f.panel.symbols if s.startswith("U")]
    a = es.placebo_pvalue(f, (0, 0), n=40, seed=3, group=us)
    b = es.placebo_pvalue(f, (0, 0), n=40, seed=3, group=us)
    np.testing.assert_array_equal(a["placebo_caars"], b["placebo_caars"])
    assert a["pool"] == "regime" and set(a["regime_months"]) == {"a", "b", "c"}
    assert a["p_two_sided_mc_se"] == pytest.approx(
        np.sqrt(a["p_two_sided"] * (1 - a["p_two_sided"]) / a["n_placebo"]))
    u = es.placebo_pvalue(f, (0, 0), n=40, seed=3, group=us, pool="uniform")
    assert u["pool"] == "uniform" and u["regime_months"] is None
    with pytest.raises(CrackdownError, match="exclude_days"):  # negative: real event dates could be drawn
        es.placebo_pvalue(f, (0, 0), n=40, seed=3, group=us, exclude_days=-1)


def test_sweep_window_inference_matches_hand_tests_on_a_fresh_fit() -> None:
    import sys
    from pathlib import Path

    from scipy import stats

    sys.path.insert(0, str(Path(__file__).parent))
    from test_robustness import ALIGNED, TARGETED, _synthetic

    from crackdown import robustness as rb

    data = _synthetic()
    rows = rb.window_inference(data, [[0, 0], [-1, 1]], (-200, -11))
    long, short = [f.upper() for f in TARGETED], [f.upper() for f in ALIGNED]
    panel = es.panel_from_securities(data.returns, data.securities, long + short)
    f = es.fit(panel, es.make_pairs(panel, data.events), "market", (-200, -11), 100, errors="drop")
    cars = es.car(f, (-1, 1))
    per = cars.assign(leg=np.where(cars["symbol"].isin(long), "long", "short")).pivot_table(
        index="event_id", columns="leg", values="car", aggfunc="mean")
    diff = (per["long"] - per["short"]).dropna()
    ref = stats.ttest_1samp(diff, 0.0)
    got = rows.set_index(["window", "target", "test"])
    assert got.loc[("-1..1", "long_short", "events"), "t"] == pytest.approx(ref.statistic, rel=1e-9)
    assert got.loc[("-1..1", "long_short", "events"), "p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    battery = es.caar_tests(f, (0, 0), {"targeted_platform": long}).iloc[0]
    assert got.loc[("0..0", "targeted_platform", "kp_overlap"), "t"] == pytest.approx(battery["kp_overlap_t"])
    assert set(got.loc["0..0"].index.get_level_values("test")) >= {"pairs", "events", "clusters", "kp", "kp_overlap"}

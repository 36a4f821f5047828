"""The two-factor market model (a security's benchmark plus a second factor, e.g. its local market and a China
factor) in crackdown.eventstudy, checked against statsmodels OLS per (security, event): intercept, both betas,
sigma (ddof 3), abnormal returns and the forecast-error-corrected variance (statsmodels get_prediction, and the
hand formula s + x_s' (X'X)^-1 x_s for a return spanning s sessions), with missing days and gap-aware spans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from crackdown import eventstudy as es
from crackdown import returns as gr
from crackdown.calendars import sessions
from crackdown.errors import CrackdownError

EST = (-250, -11)
EVENTS = pd.DataFrame({"event_id": ["fine", "probe", "rule"], "date": ["2021-04-12", "2021-07-05", "2021-11-15"],
                       "time_beijing": ["", "", ""]})
SECURITIES = pd.DataFrame({
    "symbol": ["U1", "U2", "U3", "H1", "IDX_GSPC", "MCHI", "IDX_HSI"],
    "exchange": ["XNYS", "XNAS", "XNYS", "XHKG", "XNYS", "XNAS", "XHKG"],
    "benchmark_symbol": ["IDX_GSPC", "IDX_GSPC", "IDX_GSPC", "IDX_HSI", "", "IDX_GSPC", ""],
    "factor_symbol": ["MCHI", "MCHI", "", "", "", "", ""],
})
STOCKS = ["U1", "U2", "U3", "H1"]


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    us = sessions("XNYS", "2020-01-01", "2022-03-31")
    hk = sessions("XHKG", "2020-01-01", "2022-03-31")
    index = us.union(hk)
    rng = np.random.default_rng(11)
    spx = rng.normal(0.0004, 0.011, len(us))
    china = 0.5 * spx + rng.normal(-0.0002, 0.015, len(us))  # a China factor correlated with the S&P 500
    hsi = pd.Series(rng.normal(0.0, 0.013, len(hk)), hk)
    out = {"IDX_GSPC": pd.Series(spx, us), "MCHI": pd.Series(china, us), "IDX_HSI": hsi}
    for i, s in enumerate(["U1", "U2", "U3"]):
        out[s] = pd.Series(0.0003 * i + (0.6 + 0.2 * i) * spx + (1.1 - 0.3 * i) * china
                           + rng.normal(0, 0.02, len(us)), us)
    out["H1"] = 0.0002 + 1.2 * hsi + pd.Series(rng.normal(0, 0.018, len(hk)), hk)
    frame = pd.DataFrame({k: v.reindex(index) for k, v in out.items()})
    frame.loc["2021-02-01":"2021-02-10", "U2"] = np.nan  # a suspension inside the estimation windows
    frame.loc["2021-03-01":"2021-03-03", "MCHI"] = np.nan  # the factor missing on estimation days
    frame.loc["2021-07-06", "MCHI"] = np.nan  # ... and on an event day
    return frame


def _fit(returns: pd.DataFrame, securities: pd.DataFrame = SECURITIES, **kw) -> es.Fit:
    panel = es.panel_from_securities(returns, securities, STOCKS)
    return es.fit(panel, es.make_pairs(panel, EVENTS), "market", EST, **kw)


@pytest.fixture(scope="module")
def two(returns: pd.DataFrame) -> es.Fit:
    return _fit(returns)


def _own(returns: pd.DataFrame, symbol: str) -> pd.DataFrame:
    row = SECURITIES.set_index("symbol").loc[symbol]
    own = sessions(row["exchange"], returns.index.min(), returns.index.max())
    return pd.DataFrame({"r": returns[symbol], "m": returns[row["benchmark_symbol"]],
                         "z": returns[row["factor_symbol"]] if row["factor_symbol"] else np.nan}).reindex(own)


def test_two_factor_fit_matches_statsmodels(returns: pd.DataFrame, two: es.Fit) -> None:
    ar = es.abnormal_returns(two, (-1, 1)).set_index(["event_id", "symbol", "rel_day"])
    factor_pairs = two.pairs[two.pairs["symbol"].isin(["U1", "U2"])]
    assert len(factor_pairs) == 6 and factor_pairs["has_factor"].all()
    for p in factor_pairs.itertuples():
        own = _own(returns, p.symbol)
        pos = own.index.get_loc(p.day0)
        est = own.iloc[pos + EST[0]: pos + EST[1] + 1].dropna()
        ols = sm.OLS(est["r"], sm.add_constant(est[["m", "z"]])).fit()
        assert p.n_est == len(est) == ols.nobs and p.df == ols.df_resid == len(est) - 3
        assert p.alpha == pytest.approx(ols.params["const"], abs=1e-9)
        assert p.beta == pytest.approx(ols.params["m"], abs=1e-9)
        assert p.beta2 == pytest.approx(ols.params["z"], abs=1e-9)
        assert p.sigma == pytest.approx(np.sqrt(ols.scale), abs=1e-9)
        for k in (-1, 0, 1):
            day = own.iloc[pos + k]
            got = ar.loc[(p.event_id, p.symbol, k)]
            expected = day["r"] - ols.params["const"] - ols.params["m"] * day["m"] - ols.params["z"] * day["z"]
            if np.isnan(expected):
                assert np.isnan(got["ar"]) and np.isnan(got["sar"])
                continue
            pred = ols.get_prediction(np.array([[1.0, day["m"], day["z"]]]))
            forecast_var = ols.scale + pred.var_pred_mean[0]  # sigma^2 (1 + 1/n + d' S^-1 d)
            assert got["ar"] == pytest.approx(expected, abs=1e-9) and got["beta2"] == p.beta2
            assert got["sar"] == pytest.approx(expected / np.sqrt(forecast_var), abs=1e-9)
    assert np.isnan(ar.loc[("probe", "U1", 0), "ar"])  # 2021-07-06: the factor has no return


def test_missing_factor_days_leave_the_estimation_window(returns: pd.DataFrame, two: es.Fit) -> None:
    one = _fit(returns, SECURITIES.assign(factor_symbol=""))
    n_two = two.pairs.set_index(["event_id", "symbol"])["n_est"]
    n_one = one.pairs.set_index(["event_id", "symbol"])["n_est"]
    assert n_one[("probe", "U1")] - n_two[("probe", "U1")] == 3  # the factor's three missing sessions
    assert n_one[("probe", "U3")] == n_two[("probe", "U3")]  # no factor: unaffected


def test_pairs_without_a_factor_keep_the_one_factor_fit(returns: pd.DataFrame, two: es.Fit) -> None:
    one = _fit(returns, SECURITIES.drop(columns="factor_symbol"))
    assert one.panel.f is None and one.panel.factors is None and not one.two_factor
    assert not one.panel.has_factor.any() and "beta2" not in one.params
    keep = ~two.pairs["has_factor"].to_numpy()
    mine = two.pairs[keep].reset_index(drop=True)
    ref = one.pairs[one.pairs["symbol"].isin(["U3", "H1"])].reset_index(drop=True)
    for c in ("alpha", "beta", "sigma", "n_est", "xbar", "sxx", "df"):
        np.testing.assert_array_equal(mine[c].to_numpy(), ref[c].to_numpy())
    assert (mine["beta2"] == 0).all() and mine["zbar"].isna().all()
    got = es.abnormal_returns(two, (-1, 1))
    want = es.abnormal_returns(one, (-1, 1))
    rows_got, rows_want = got["symbol"].isin(["U3", "H1"]), want["symbol"].isin(["U3", "H1"])
    np.testing.assert_array_equal(got.loc[rows_got, "ar"].to_numpy(), want.loc[rows_want, "ar"].to_numpy())
    np.testing.assert_array_equal(got.loc[rows_got, "sar"].to_numpy(), want.loc[rows_want, "sar"].to_numpy())


def test_patell_uses_three_degrees_of_freedom(two: es.Fit) -> None:
    rows = two.pairs["has_factor"].to_numpy()
    battery = es.caar_tests(two, (-1, 1), two.pairs["has_factor"].map({True: "two", False: "one"}))
    got = battery.set_index("group").loc["two"]
    sar = es.abnormal_returns(two, (-1, 1))
    sar = sar[sar["symbol"].isin(["U1", "U2"])]
    by_pair = sar.groupby(["event_id", "symbol"])["sar"].agg(["sum", "count"])
    scar = by_pair["sum"] / np.sqrt(by_pair["count"])
    n = two.pairs.loc[rows].set_index(["event_id", "symbol"])["n_est"].reindex(scar.index).to_numpy()
    assert got["patell_z"] == pytest.approx(scar.sum() / np.sqrt(((n - 3) / (n - 5)).sum()), abs=1e-9)


def test_market_adjusted_and_constant_mean_ignore_the_factor(returns: pd.DataFrame) -> None:
    panel = es.panel_from_securities(returns, SECURITIES, STOCKS)
    plain = es.panel_from_securities(returns, SECURITIES.drop(columns="factor_symbol"), STOCKS)
    for model in ("market-adjusted", "constant-mean"):
        a = es.fit(panel, es.make_pairs(panel, EVENTS), model, EST)
        b = es.fit(plain, es.make_pairs(plain, EVENTS), model, EST)
        assert not a.two_factor
        np.testing.assert_array_equal(es.ar_matrix(a, np.arange(-1, 2)), es.ar_matrix(b, np.arange(-1, 2)))


def test_bad_factor_inputs_name_the_parameter(returns: pd.DataFrame) -> None:
    with pytest.raises(CrackdownError, match="factors"):
        _fit(returns, SECURITIES.assign(factor_symbol=["NOPE", "", "", "", "", "", ""]))
    with pytest.raises(CrackdownError, match="factors: U1 has a second factor"):
        es.build_panel(returns, {"U1": "XNYS"}, None, ["U1"], factors="MCHI")
    collinear = returns.assign(TWICE=2 * returns["IDX_GSPC"])
    sec = SECURITIES.assign(factor_symbol=["TWICE", "", "", "", "", "", ""])
    sec = pd.concat([sec, pd.DataFrame({"symbol": ["TWICE"], "exchange": ["XNYS"], "benchmark_symbol": [""],
                                        "factor_symbol": [""]})])
    with pytest.raises(CrackdownError, match="factors: U1 / event .* collinear"):
        _fit(collinear, sec)
    dropped = _fit(collinear, sec, errors="drop")
    assert set(dropped.dropped["symbol"]) == {"U1"} and "U1" not in set(dropped.pairs["symbol"])


# ------------------------------------------------------------------------------------------- gap-aware spans
DAY0 = pd.Timestamp("2021-07-23")
SPAN_SECURITIES = pd.DataFrame({"symbol": ["HALT", "IDX_GSPC", "CHN"], "exchange": ["XNYS"] * 3,
                                "benchmark_symbol": ["IDX_GSPC", "", ""], "factor_symbol": ["CHN", "", ""]})


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    """Closes on XNYS sessions; HALT is suspended on day -1 and day 0 (the move booked on day +1) and for three
    sessions in its estimation window; the factor CHN misses one close in the estimation window."""
    idx = sessions("XNYS", "2020-06-01", "2021-09-30")
    rng = np.random.default_rng(5)
    m = rng.normal(0.0003, 0.01, len(idx))
    z = 0.4 * m + rng.normal(0.0, 0.014, len(idx))
    frame = pd.DataFrame({"HALT": 50 * np.cumprod(1 + 0.0002 + 0.9 * m + 0.7 * z + rng.normal(0, 0.015, len(idx))),
                          "IDX_GSPC": 100 * np.cumprod(1 + m), "CHN": 30 * np.cumprod(1 + z)}, index=idx)
    pos = idx.get_loc(DAY0)
    frame.iloc[pos - 1: pos + 1, 0] = np.nan
    frame.iloc[pos - 60: pos - 57, 0] = np.nan
    frame.iloc[pos - 100, 2] = np.nan
    return frame


def test_spanning_return_uses_both_factors_over_the_span(prices: pd.DataFrame) -> None:
    g = gr.gap_returns_by_exchange(prices, {c: "XNYS" for c in prices}, attribute="resumption")
    panel = es.panel_from_securities(g.returns, SPAN_SECURITIES, ["HALT"], spans=g.spans)
    events = pd.DataFrame({"event_id": ["ban"], "date": [DAY0], "time_beijing": [""]})
    f = es.fit(panel, es.make_pairs(panel, events), "market", (-120, -11), min_obs=60)
    one = prices.pct_change(fill_method=None)  # one-session returns only: NaN next to a missing close
    pos = prices.index.get_loc(DAY0)
    est = one.iloc[pos - 120: pos - 10].dropna()
    ols = sm.OLS(est["HALT"], sm.add_constant(est[["IDX_GSPC", "CHN"]])).fit()
    a, b1, b2 = ols.params
    row = f.pairs.iloc[0]
    assert row["n_est"] == len(est) and row["alpha"] == pytest.approx(a, abs=1e-9)
    assert row["beta"] == pytest.approx(b1, abs=1e-9) and row["beta2"] == pytest.approx(b2, abs=1e-9)
    assert row["sigma"] == pytest.approx(np.sqrt(ols.scale), abs=1e-9)
    over = prices.iloc[pos + 1] / prices.iloc[pos - 2] - 1  # day -2 close -> day +1 close: three sessions
    ar = over["HALT"] - (3 * a + b1 * over["IDX_GSPC"] + b2 * over["CHN"])
    x_s = np.array([3.0, over["IDX_GSPC"], over["CHN"]])
    var_factor = 3 + x_s @ ols.normalized_cov_params.to_numpy() @ x_s  # s + x_s' (X'X)^-1 x_s
    got = es.abnormal_returns(f, (-1, 1)).set_index("rel_day")
    assert got.loc[1, "ar"] == pytest.approx(ar, abs=1e-9)
    assert got.loc[1, "sar"] == pytest.approx(ar / (np.sqrt(ols.scale) * np.sqrt(var_factor)), abs=1e-9)
    assert np.isnan(got.loc[0, "ar"]) and np.isnan(got.loc[-1, "ar"])
    daily = one.iloc[pos + 2]
    assert es.abnormal_returns(f, (2, 2))["ar"].iloc[0] == pytest.approx(
        daily["HALT"] - a - b1 * daily["IDX_GSPC"] - b2 * daily["CHN"], abs=1e-9)


def test_a_session_absent_from_the_frame_is_missing_for_the_factor_too() -> None:
    """A calendar session with no row in the returns frame is NaN for the security, its benchmark and its second
    factor (never a value taken from another row of the frame)."""
    days = sessions("XNYS", pd.Timestamp("2021-03-01"), pd.Timestamp("2021-03-12"))
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(0, 0.01, (len(days), 3)), index=days, columns=["S", "B", "F"])
    frame.iloc[-1] = [0.5, 0.6, 0.7]  # a distinctive last row: a wrong gather would copy it
    dropped = days[3]
    panel = es.build_panel(frame.drop(index=dropped), {"S": "XNYS"}, {"S": "B"}, ["S"], factors={"S": "F"})
    t = panel.sessions["XNYS"].get_loc(dropped)
    assert np.isnan(panel.r[t, 0]) and np.isnan(panel.m[t, 0]) and np.isnan(panel.f[t, 0])
    kept = [i for i in range(len(days)) if i != t]
    np.testing.assert_array_equal(panel.f[kept, 0], frame.loc[days[kept], "F"].to_numpy())

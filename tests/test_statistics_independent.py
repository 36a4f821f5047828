"""Every statistic and p-value of the event-study engine against a computation written out here.

Each p-value is compared with its reference distribution evaluated separately through scipy.stats (two-sided:
``2 * sf(|statistic|)``), on small fixtures whose statistics are computed by hand (numpy, textbook formulas; the
engine's private helpers are never used). The fixtures have several events (so the multi-event Kolari-Pynnonen
cross-correlation, the pooled portfolio and the pooled long-short are exercised) and one with a single pair (the
degenerate branches).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crackdown import eventstudy as es
from crackdown.calendars import sessions

FIRMS = ["U1", "U2", "U3", "U4"]
SECURITIES = pd.DataFrame(
    {
        "symbol": [*FIRMS, "IDX_GSPC"],
        "exchange": ["XNYS"] * 5,
        "benchmark_symbol": ["IDX_GSPC"] * 4 + [""],
    }
)
EST, WIN = (-8, -2), (0, 1)
EVENT_DATES = {"e1": "2021-05-14", "e2": "2021-07-23", "e3": "2021-09-10"}
T_EST = EST[1] - EST[0] + 1  # 7 estimation days
W = WIN[1] - WIN[0] + 1  # 2 event days


def _returns(seed: int) -> pd.DataFrame:
    idx = sessions("XNYS", "2021-04-01", "2021-10-29")
    rng = np.random.default_rng(seed)
    m = rng.normal(0, 0.01, len(idx))
    common = rng.normal(0, 0.006, len(idx))  # a shared shock: residuals are cross-correlated within an event
    data = {"IDX_GSPC": m}
    for i, s in enumerate(FIRMS):
        shock = np.isin(idx, pd.to_datetime(list(EVENT_DATES.values()))) * (0.01 - 0.012 * i)
        data[s] = 0.001 * i + (0.5 + 0.4 * i) * m + common + rng.normal(0, 0.015, len(idx)) + shock
    return pd.DataFrame(data, index=idx)


def _fit(ret: pd.DataFrame, model: str, pairs: pd.DataFrame | None = None) -> es.Fit:
    panel = es.panel_from_securities(ret, SECURITIES, FIRMS, with_benchmark=model in ("market", "market-adjusted"))
    ev = pd.DataFrame({"event_id": list(EVENT_DATES), "date": list(EVENT_DATES.values())})
    return es.fit(panel, es.make_pairs(panel, ev, pairs), model=model, estimation=EST, min_obs=5)


class Hand:
    """Per-pair quantities on relative days EST[0]..WIN[1] (index 0..T_EST + W), written out with numpy."""

    def __init__(self, ret: pd.DataFrame, f: es.Fit, model: str) -> None:
        idx = ret.index
        n_days = WIN[1] - EST[0] + 1
        self.event = f.pairs["event_id"].to_numpy()
        r = np.empty((len(f.pairs), n_days))
        m = np.empty_like(r)
        for k, (sym, d0) in enumerate(zip(f.pairs["symbol"], f.pairs["day0"], strict=True)):
            pos = idx.get_loc(d0)
            r[k] = ret[sym].to_numpy()[pos + EST[0] : pos + WIN[1] + 1]
            m[k] = ret["IDX_GSPC"].to_numpy()[pos + EST[0] : pos + WIN[1] + 1]
        est = slice(0, T_EST)
        self.ev = slice(n_days - W, n_days)
        T = T_EST
        if model == "market":
            coef = np.array([np.polyfit(m[k, est], r[k, est], 1) for k in range(len(r))])
            resid = r - coef[:, 1:2] - coef[:, 0:1] * m
            s2 = (resid[:, est] ** 2).sum(axis=1) / (T - 2)
            mbar = m[:, est].mean(axis=1, keepdims=True)
            sxx = ((m[:, est] - mbar) ** 2).sum(axis=1, keepdims=True)
            c = 1 + 1 / T + (m - mbar) ** 2 / sxx
            self.df = np.full(len(r), T - 2.0)
        else:
            y = r - m if model == "market-adjusted" else r
            alpha = y[:, est].mean(axis=1, keepdims=True) if model == "constant-mean" else 0.0
            resid = y - alpha
            s2 = y[:, est].var(axis=1, ddof=1)
            c = np.full(r.shape, 1 + 1 / T if model == "constant-mean" else 1.0)
            self.df = np.full(len(r), T - 1.0)
        self.resid = resid
        self.sar = resid / np.sqrt(s2[:, None] * c)
        self.est = est
        self.ranked = np.r_[0:T_EST, n_days - W : n_days]  # estimation and event days (rel -1 is not ranked)

    def battery(self, rows: np.ndarray) -> dict[str, float]:
        """The whole test battery for pairs ``rows`` with its p-values from scipy."""
        res, sar, df = self.resid[rows], self.sar[rows], self.df[rows]
        n = len(rows)
        car_i = res[:, self.ev].sum(axis=1)
        scar = sar[:, self.ev].sum(axis=1) / np.sqrt(W)
        out = {"n": n, "caar": car_i.mean()}
        out["t_cs"] = car_i.mean() / (car_i.std(ddof=1) / np.sqrt(n))
        out["p_cs"] = 2 * stats.t.sf(abs(out["t_cs"]), n - 1)
        out["patell_z"] = scar.sum() / np.sqrt((df / (df - 2)).sum())
        out["p_patell"] = 2 * stats.norm.sf(abs(out["patell_z"]))
        out["bmp_t"] = scar.mean() / (scar.std(ddof=1) / np.sqrt(n))
        out["p_bmp"] = 2 * stats.t.sf(abs(out["bmp_t"]), n - 1)
        # Kolari-Pynnonen: mean correlation over ordered pairs, pairs of different events counting as 0
        corr = np.corrcoef(res[:, self.est])
        same = (self.event[rows][:, None] == self.event[rows][None, :]) & ~np.eye(n, dtype=bool)
        rbar = corr[same].sum() / (n * (n - 1))
        out["rbar"] = rbar
        out["kp_t"] = out["bmp_t"] * np.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
        out["p_kp"] = 2 * stats.t.sf(abs(out["kp_t"]), n - 1)
        a = res[:, self.ranked]
        u = stats.rankdata(a, axis=1) / (1 + a.shape[1]) - 0.5
        kbar = u.mean(axis=0)
        out["corrado_t"] = kbar[-W:].sum() / (np.sqrt(W) * np.sqrt((kbar**2).mean()))
        out["p_corrado"] = 2 * stats.norm.sf(abs(out["corrado_t"]))
        p_hat = (res[:, self.est] > 0).mean(axis=1).mean()
        n_pos = int((car_i > 0).sum())
        out["n_pos"], out["p_hat"] = n_pos, p_hat
        out["gsign_z"] = (n_pos - n * p_hat) / np.sqrt(n * p_hat * (1 - p_hat))
        out["p_gsign"] = 2 * stats.norm.sf(abs(out["gsign_z"]))
        port = res.mean(axis=0)
        se = port[self.est].std(ddof=1) * np.sqrt(W)
        out["portfolio_car"], out["portfolio_se"] = port[self.ev].sum(), se
        out["portfolio_t"] = port[self.ev].sum() / se
        out["p_portfolio"] = 2 * stats.t.sf(abs(out["portfolio_t"]), T_EST - 1)
        return out


@pytest.fixture(scope="module")
def ret() -> pd.DataFrame:
    return _returns(5)


@pytest.fixture(scope="module", params=["market", "constant-mean", "market-adjusted", "raw"])
def case(request, ret: pd.DataFrame) -> tuple[es.Fit, Hand]:
    f = _fit(ret, request.param)
    return f, Hand(ret, f, request.param)


BATTERY = ["n", "caar", "t_cs", "p_cs", "patell_z", "p_patell", "bmp_t", "p_bmp", "rbar", "kp_t", "p_kp",
           "corrado_t", "p_corrado", "n_pos", "p_hat", "gsign_z", "p_gsign", "portfolio_car", "portfolio_se",
           "portfolio_t", "p_portfolio"]


def _assert_battery(got: pd.Series, want: dict[str, float]) -> None:
    for key in BATTERY:
        assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-13), key


def test_every_statistic_and_p_value_over_several_events(case) -> None:
    f, hand = case
    assert f.pairs["event_id"].nunique() == 3 and len(f.pairs) == 12
    got = es.caar_tests(f, WIN).iloc[0]
    _assert_battery(got, hand.battery(np.arange(len(f.pairs))))


def test_p_values_are_two_sided_and_sensible(case) -> None:
    f, _ = case
    got = es.caar_tests(f, WIN).iloc[0]
    for stat, p in [("t_cs", "p_cs"), ("patell_z", "p_patell"), ("bmp_t", "p_bmp"), ("kp_t", "p_kp"),
                    ("corrado_t", "p_corrado"), ("gsign_z", "p_gsign"), ("portfolio_t", "p_portfolio")]:
        assert 0 < got[p] <= 1, p
        # a one-sided p of the statistic (either tail) differs from the reported two-sided p
        one_sided = stats.norm.sf(got[stat]), stats.norm.cdf(got[stat])
        assert all(abs(got[p] - o) > 1e-6 for o in one_sided), p


def test_groups_get_the_battery_of_their_own_pairs(ret: pd.DataFrame) -> None:
    f = _fit(ret, "market")
    hand = Hand(ret, f, "market")
    got = es.caar_tests(f, WIN, groups={"low": ["U1", "U2"], "high": ["U3", "U4"]}).set_index("group")
    sym = f.pairs["symbol"].to_numpy()
    _assert_battery(got.loc["low"], hand.battery(np.flatnonzero(np.isin(sym, ["U1", "U2"]))))
    _assert_battery(got.loc["high"], hand.battery(np.flatnonzero(np.isin(sym, ["U3", "U4"]))))
    labels = pd.Series(np.where(np.isin(sym, ["U1", "U2"]), "low", "high"), index=f.pairs.index)
    by_label = es.caar_tests(f, WIN, groups=labels).set_index("group")
    pd.testing.assert_frame_equal(by_label.loc[["low", "high"]], got.loc[["low", "high"]])


def test_multi_event_kolari_pynnonen_uses_within_event_correlations_only(ret: pd.DataFrame) -> None:
    f = _fit(ret, "market")
    hand = Hand(ret, f, "market")
    got = es.caar_tests(f, WIN).iloc[0]
    n = len(f.pairs)
    corr = np.corrcoef(hand.resid[:, hand.est])
    # block by block: the 3 events' 4 x 4 correlation blocks, off-diagonal terms only
    within = 0.0
    for e in EVENT_DATES:
        k = np.flatnonzero(hand.event == e)
        block = corr[np.ix_(k, k)]
        within += block.sum() - np.trace(block)
    assert got["rbar"] == pytest.approx(within / (n * (n - 1)), rel=1e-9)
    everything = corr[~np.eye(n, dtype=bool)].mean()  # counting cross-event pairs would give another value
    assert abs(got["rbar"] - everything) > 1e-3
    assert got["rbar"] > 0.05  # the fixture's common shock makes residuals correlate within an event


def test_unequal_events_weight_correlations_by_pairs(ret: pd.DataFrame) -> None:
    pairs = pd.DataFrame({"event_id": ["e1", "e1", "e1", "e2", "e2", "e3"],
                          "symbol": ["U1", "U2", "U3", "U2", "U4", "U1"]})
    f = _fit(ret, "market", pairs)
    hand = Hand(ret, f, "market")
    _assert_battery(es.caar_tests(f, WIN).iloc[0], hand.battery(np.arange(len(f.pairs))))


def test_a_single_pair_has_no_cross_sectional_tests(ret: pd.DataFrame) -> None:
    f = _fit(ret, "market", pd.DataFrame({"event_id": ["e2"], "symbol": ["U3"]}))
    hand = Hand(ret, f, "market")
    got = es.caar_tests(f, WIN).iloc[0]
    assert got["n"] == 1
    for key in ("t_cs", "p_cs", "bmp_t", "p_bmp", "rbar", "kp_t", "p_kp"):
        assert np.isnan(got[key]), key
    scar = hand.sar[0, hand.ev].sum() / np.sqrt(W)
    z = scar / np.sqrt(hand.df[0] / (hand.df[0] - 2))
    assert got["patell_z"] == pytest.approx(z, rel=1e-9)
    assert got["p_patell"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    port = hand.resid[0]
    t = port[hand.ev].sum() / (port[hand.est].std(ddof=1) * np.sqrt(W))
    assert got["p_portfolio"] == pytest.approx(2 * stats.t.sf(abs(t), T_EST - 1), rel=1e-9)


def test_a_pair_without_a_car_leaves_the_battery(ret: pd.DataFrame) -> None:
    gap = ret.copy()
    d0 = pd.Timestamp(EVENT_DATES["e2"])
    nxt = gap.index[gap.index.get_loc(d0) + 1]
    gap.loc[[d0, nxt], "U4"] = np.nan  # U4 has no return on either event day of e2
    f = _fit(gap, "market")
    got = es.caar_tests(f, WIN).iloc[0]
    cars = es.car(f, WIN)
    assert got["n"] == 11 and cars["car"].isna().sum() == 1
    assert got["caar"] == pytest.approx(cars["car"].mean(), rel=1e-12)


def test_empty_group_reports_n_zero(ret: pd.DataFrame) -> None:
    gap = ret.copy()
    d0 = pd.Timestamp(EVENT_DATES["e2"])
    nxt = gap.index[gap.index.get_loc(d0) + 1]
    gap.loc[[d0, nxt], "U4"] = np.nan
    f = _fit(gap, "market", pd.DataFrame({"event_id": ["e2", "e1"], "symbol": ["U4", "U1"]}))
    got = es.caar_tests(f, WIN, groups={"gone": ["U4"], "kept": ["U1"]}).set_index("group")
    assert got.loc["gone", "n"] == 0 and np.isnan(got.loc["gone", "caar"])
    assert got.loc["kept", "n"] == 1


# --------------------------------------------------------------------------------------------- long-short


def _long_short_by_hand(hand: Hand, f: es.Fit, long: list[str], short: list[str]) -> pd.DataFrame:
    sym = f.pairs["symbol"].to_numpy()
    rows = {}
    series = []
    for e in sorted(EVENT_DATES):
        on = hand.event == e
        lg, sh = on & np.isin(sym, long), on & np.isin(sym, short)
        if not lg.any() or not sh.any():
            continue
        ls = hand.resid[lg].mean(axis=0) - hand.resid[sh].mean(axis=0)
        series.append(ls)
        rows[e] = ls
    rows["all"] = np.mean(series, axis=0)
    out = {}
    for label, ls in rows.items():
        car = ls[hand.ev].sum()
        se = ls[hand.est].std(ddof=1) * np.sqrt(W)
        t = car / se
        out[label] = {"car": car, "se": se, "t": t, "p": 2 * stats.t.sf(abs(t), T_EST - 1)}
    return pd.DataFrame(out).T


@pytest.mark.parametrize("model", ["market", "constant-mean"])
def test_pooled_long_short_p_against_a_direct_computation(ret: pd.DataFrame, model: str) -> None:
    pairs = pd.DataFrame({"event_id": ["e1", "e1", "e1", "e2", "e2", "e3", "e3"],
                          "symbol": ["U1", "U3", "U4", "U2", "U4", "U1", "U2"]})  # e3 has no long leg
    f = _fit(ret, model, pairs)
    hand = Hand(ret, f, model)
    want = _long_short_by_hand(hand, f, ["U3", "U4"], ["U1", "U2"])
    got = es.long_short(f, ["U3", "U4"], ["U1", "U2"], WIN).set_index("event_id")
    assert list(got.index) == ["e1", "e2", "all"]
    for label in want.index:
        for key in ("car", "se", "t", "p"):
            assert got.loc[label, key] == pytest.approx(want.loc[label, key], rel=1e-9), (label, key)
    assert (got["window"] == "0..1").all()


# ------------------------------------------------------------------------------------------------ placebo


def test_placebo_caars_are_event_study_caars_at_non_event_dates(ret: pd.DataFrame) -> None:
    ev = pd.DataFrame({"event_id": ["e2"], "date": [EVENT_DATES["e2"]]})
    panel = es.panel_from_securities(ret, SECURITIES, FIRMS)
    f = es.fit(panel, es.make_pairs(panel, ev), model="market", estimation=EST, min_obs=5)
    res = es.placebo_pvalue(f, WIN, n=40, seed=3)
    # every session's CAAR if it were day 0 (the reference set a placebo draw must come from)
    idx = ret.index
    ok_days = idx[-EST[0] : len(idx) - WIN[1]]
    pseudo = pd.DataFrame({"event_id": [str(d.date()) for d in ok_days], "date": ok_days})
    pf = es.fit(panel, es.make_pairs(panel, pseudo), model="market", estimation=EST, min_obs=5)
    cars = es.car(pf, WIN).groupby("event_id")["car"].mean()
    real = pd.Timestamp(EVENT_DATES["e2"])
    gap = max(abs(WIN[0]), abs(WIN[1])) + 5
    far = [str(d.date()) for d in ok_days if abs(idx.get_loc(d) - idx.get_loc(real)) > gap]
    allowed = cars.loc[far].to_numpy()
    draws = res["placebo_caars"]
    assert len(draws) == 40 and not np.isnan(draws).any()
    assert all(np.isclose(allowed, d, rtol=0, atol=1e-13).any() for d in draws)
    assert res["caar"] == pytest.approx(cars.loc[str(real.date())], rel=1e-12)
    # the three p-values from the placebo distribution, written out
    k = len(draws)
    assert res["n_placebo"] == k
    assert res["p_two_sided"] == (1 + (np.abs(draws) >= abs(res["caar"])).sum()) / (1 + k)
    assert res["p_lower"] == (1 + (draws <= res["caar"]).sum()) / (1 + k)
    assert res["p_upper"] == (1 + (draws >= res["caar"]).sum()) / (1 + k)
    assert res["p_lower"] + res["p_upper"] == pytest.approx(1 + 1 / (1 + k))  # no ties in continuous draws


def test_placebo_group_restricts_the_caar(ret: pd.DataFrame) -> None:
    f = _fit(ret, "market")
    res = es.placebo_pvalue(f, WIN, n=20, seed=0, group=["U4"])
    cars = es.car(f, WIN)
    assert res["caar"] == pytest.approx(cars.loc[cars["symbol"] == "U4", "car"].mean(), rel=1e-12)

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
from crackdown.errors import CrackdownError

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
    """Per-pair quantities on the estimation days and the event window, written out with numpy (NaN-aware:
    a missing return is left out of the fit, the CAR, the ranks and the portfolio means)."""

    def __init__(self, ret: pd.DataFrame, f: es.Fit, model: str, win: tuple[int, int] = WIN) -> None:
        idx = ret.index
        w = win[1] - win[0] + 1
        days = np.r_[EST[0] : EST[1] + 1, win[0] : win[1] + 1]
        self.w, self.event = w, f.pairs["event_id"].to_numpy()
        self.est, self.ev = slice(0, T_EST), slice(T_EST, T_EST + w)
        r = np.empty((len(f.pairs), len(days)))
        m = np.empty_like(r)
        for k, (sym, d0) in enumerate(zip(f.pairs["symbol"], f.pairs["day0"], strict=True)):
            pos = idx.get_loc(d0)
            r[k], m[k] = ret[sym].to_numpy()[pos + days], ret["IDX_GSPC"].to_numpy()[pos + days]
        uses_m = model in ("market", "market-adjusted")
        self.resid, self.sar, self.df = np.empty_like(r), np.empty_like(r), np.empty(len(r))
        for k in range(len(r)):
            ok = ~np.isnan(r[k, self.est]) & (~np.isnan(m[k, self.est]) if uses_m else True)
            n = ok.sum()
            re, me = r[k, self.est][ok], m[k, self.est][ok]
            if model == "market":
                beta, alpha = np.polyfit(me, re, 1)
                resid = r[k] - alpha - beta * m[k]
                s2 = (resid[self.est][ok] ** 2).sum() / (n - 2)
                c = 1 + 1 / n + (m[k] - me.mean()) ** 2 / ((me - me.mean()) ** 2).sum()
                self.df[k] = n - 2
            else:
                y = r[k] - m[k] if model == "market-adjusted" else r[k]
                ye = y[self.est][ok]
                resid = y - (ye.mean() if model == "constant-mean" else 0.0)
                s2 = ye.var(ddof=1)
                c = 1 + 1 / n if model == "constant-mean" else 1.0
                self.df[k] = n - 1
            self.resid[k], self.sar[k] = resid, resid / np.sqrt(s2 * c)

    def battery(self, rows: np.ndarray) -> dict[str, float]:
        """The whole test battery for pairs ``rows`` (those with a CAR) with its p-values from scipy."""
        ev_ar = self.resid[rows][:, self.ev]
        n_days = (~np.isnan(ev_ar)).sum(axis=1)
        rows = rows[n_days > 0]
        res, sar, df, n_days = self.resid[rows], self.sar[rows], self.df[rows], n_days[n_days > 0]
        n, w = len(rows), self.w
        car_i = np.nansum(res[:, self.ev], axis=1)
        scar = np.nansum(sar[:, self.ev], axis=1) / np.sqrt(n_days)
        out = {"n": n, "caar": car_i.mean()}
        out["t_cs"] = car_i.mean() / (car_i.std(ddof=1) / np.sqrt(n))
        out["p_cs"] = 2 * stats.t.sf(abs(out["t_cs"]), n - 1)
        out["patell_z"] = scar.sum() / np.sqrt((df / (df - 2)).sum())
        out["p_patell"] = 2 * stats.norm.sf(abs(out["patell_z"]))
        out["bmp_t"] = scar.mean() / (scar.std(ddof=1) / np.sqrt(n))
        out["p_bmp"] = 2 * stats.t.sf(abs(out["bmp_t"]), n - 1)
        # Kolari-Pynnonen: mean correlation over ordered pairs, pairs of different events counting as 0; a day
        # missing for one security counts as a zero deviation of that security
        e = res[:, self.est]
        dev = np.where(np.isnan(e), 0.0, e - np.nanmean(e, axis=1, keepdims=True))
        unit = dev / np.sqrt((dev**2).sum(axis=1, keepdims=True))
        corr = unit @ unit.T
        same = (self.event[rows][:, None] == self.event[rows][None, :]) & ~np.eye(n, dtype=bool)
        rbar = corr[same].sum() / (n * (n - 1))
        out["rbar"] = rbar
        out["kp_t"] = out["bmp_t"] * np.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
        out["p_kp"] = 2 * stats.t.sf(abs(out["kp_t"]), n - 1)
        ranks = stats.rankdata(res, axis=1, nan_policy="omit")
        u = ranks / (1 + (~np.isnan(res)).sum(axis=1, keepdims=True)) - 0.5
        kbar = np.nanmean(u, axis=0)
        out["corrado_t"] = np.nansum(kbar[self.ev]) / (np.sqrt(w) * np.sqrt(np.nanmean(kbar**2)))
        out["p_corrado"] = 2 * stats.norm.sf(abs(out["corrado_t"]))
        p_hat = np.mean([(row[~np.isnan(row)] > 0).mean() for row in e])
        n_pos = int((car_i > 0).sum())
        out["n_pos"], out["p_hat"] = n_pos, p_hat
        out["gsign_z"] = (n_pos - n * p_hat) / np.sqrt(n * p_hat * (1 - p_hat))
        out["p_gsign"] = 2 * stats.norm.sf(abs(out["gsign_z"]))
        port = np.nanmean(res, axis=0)
        est_series = port[self.est][~np.isnan(port[self.est])]
        se = est_series.std(ddof=1) * np.sqrt(w)
        out["portfolio_car"], out["portfolio_se"] = np.nansum(port[self.ev]), se
        out["portfolio_t"] = out["portfolio_car"] / se
        out["p_portfolio"] = 2 * stats.t.sf(abs(out["portfolio_t"]), len(est_series) - 1)
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
        assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-13, nan_ok=True), key


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
    scar = hand.sar[0, hand.ev].sum() / np.sqrt(W)  # no missing day: both event days count
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
    rows, series = {}, []
    for e in sorted(EVENT_DATES):
        on = hand.event == e
        lg, sh = on & np.isin(sym, long), on & np.isin(sym, short)
        if not lg.any() or not sh.any():
            continue
        ls = np.nanmean(hand.resid[lg], axis=0) - np.nanmean(hand.resid[sh], axis=0)  # a day's available pairs
        series.append(ls)
        rows[e] = ls
    rows["all"] = np.nanmean(series, axis=0)
    out = {}
    for label, ls in rows.items():
        est = ls[hand.est][~np.isnan(ls[hand.est])]
        car = np.nansum(ls[hand.ev])
        se = est.std(ddof=1) * np.sqrt(hand.w)
        t = car / se
        out[label] = {"car": car, "se": se, "t": t, "p": 2 * stats.t.sf(abs(t), len(est) - 1)}
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


# ------------------------------------------------------------------ missing days, other windows, blocks, n = 2


def _with_gaps(ret: pd.DataFrame) -> pd.DataFrame:
    """U2 misses an estimation day of e1 and U1 the second event day of e3 (a one-day CAR); U3 misses e2 entirely
    in the window (no CAR: leaves the battery)."""
    gap = ret.copy()
    idx = gap.index
    pos = {e: idx.get_loc(pd.Timestamp(d)) for e, d in EVENT_DATES.items()}
    gap.iloc[pos["e1"] - 5, gap.columns.get_loc("U2")] = np.nan
    gap.iloc[pos["e3"] + 1, gap.columns.get_loc("U1")] = np.nan
    gap.iloc[[pos["e2"], pos["e2"] + 1], gap.columns.get_loc("U3")] = np.nan
    return gap


@pytest.mark.parametrize("model", ["market", "constant-mean", "market-adjusted", "raw"])
def test_battery_with_missing_days(ret: pd.DataFrame, model: str) -> None:
    gap = _with_gaps(ret)
    f = _fit(gap, model)
    hand = Hand(gap, f, model)
    got = es.caar_tests(f, WIN).iloc[0]
    assert got["n"] == 11
    _assert_battery(got, hand.battery(np.arange(len(f.pairs))))


def test_long_short_with_missing_days(ret: pd.DataFrame) -> None:
    gap = _with_gaps(ret)
    f = _fit(gap, "market")
    want = _long_short_by_hand(Hand(gap, f, "market"), f, ["U1", "U3"], ["U2", "U4"])
    got = es.long_short(f, ["U1", "U3"], ["U2", "U4"], WIN).set_index("event_id")
    for label in want.index:
        for key in ("car", "se", "t", "p"):
            assert got.loc[label, key] == pytest.approx(want.loc[label, key], rel=1e-9), (label, key)


@pytest.mark.parametrize("win", [(-1, 1), (1, 3)])
def test_battery_and_long_short_over_other_windows(ret: pd.DataFrame, win: tuple[int, int]) -> None:
    f = _fit(ret, "market")
    hand = Hand(ret, f, "market", win)
    _assert_battery(es.caar_tests(f, win).iloc[0], hand.battery(np.arange(len(f.pairs))))
    want = _long_short_by_hand(hand, f, ["U3", "U4"], ["U1", "U2"])
    got = es.long_short(f, ["U3", "U4"], ["U1", "U2"], win).set_index("event_id")
    assert got.loc["all", "p"] == pytest.approx(want.loc["all", "p"], rel=1e-9)
    assert (got["window"] == f"{win[0]}..{win[1]}").all()


def test_battery_does_not_depend_on_the_blocks(ret: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    gap = _with_gaps(ret)
    f = _fit(gap, "market")
    want = Hand(gap, f, "market").battery(np.arange(len(f.pairs)))
    blocks = es._blocks
    monkeypatch.setattr(es, "_blocks", lambda n, size=1: blocks(n, 1))  # one pair per block
    _assert_battery(es.caar_tests(f, WIN).iloc[0], want)


def test_two_pairs_have_a_cross_correlation(ret: pd.DataFrame) -> None:
    f = _fit(ret, "market", pd.DataFrame({"event_id": ["e1", "e1"], "symbol": ["U1", "U4"]}))
    hand = Hand(ret, f, "market")
    got = es.caar_tests(f, WIN).iloc[0]
    want = hand.battery(np.arange(2))
    assert got["rbar"] == pytest.approx(np.corrcoef(hand.resid[:, hand.est])[0, 1], rel=1e-9)
    _assert_battery(got, want)


def test_long_short_legs_and_errors(ret: pd.DataFrame) -> None:
    f = _fit(ret, "market", pd.DataFrame({"event_id": ["e1", "e1", "e1"], "symbol": ["U1", "U2", "U4"]}))
    one = es.long_short(f, ["U4"], ["U1", "U2"], WIN).set_index("event_id")  # a one-pair leg is a leg
    want = _long_short_by_hand(Hand(ret, f, "market"), f, ["U4"], ["U1", "U2"])
    assert one.loc["all", "p"] == pytest.approx(want.loc["all", "p"], rel=1e-9)
    for long, short in ((["U3"], ["U1"]), (["U1"], ["U3"]), (["U3"], ["U3"])):  # U3 has no pair here
        with pytest.raises(CrackdownError, match="^groups: long-short needs pairs in both legs$"):
            es.long_short(f, long, short, WIN)
    with pytest.raises(CrackdownError, match="^window: start 2 is after end 1$"):
        es.long_short(f, ["U4"], ["U1"], (2, 1))


def test_single_pair_with_a_missing_day_ranks_and_signs(ret: pd.DataFrame) -> None:
    """One pair: every day's rank average rests on that pair alone, and the day it misses has none (left out)."""
    gap = _with_gaps(ret)
    f = _fit(gap, "market", pd.DataFrame({"event_id": ["e1"], "symbol": ["U2"]}))
    hand = Hand(gap, f, "market")
    with np.errstate(invalid="ignore", divide="ignore"):
        want = hand.battery(np.arange(1))
    got = es.caar_tests(f, WIN).iloc[0]
    assert np.isfinite(got["corrado_t"]) and np.isfinite(got["gsign_z"])
    _assert_battery(got, want)


def test_a_zero_car_is_not_positive(ret: pd.DataFrame) -> None:
    """Raw model: AR = return, so a security with zero returns on both event days has a CAR of exactly 0, which
    the generalized sign test must not count as positive."""
    flat = ret.copy()
    d0 = pd.Timestamp(EVENT_DATES["e2"])
    pos = flat.index.get_loc(d0)
    flat.iloc[[pos, pos + 1], flat.columns.get_loc("U1")] = 0.0
    f = _fit(flat, "raw")
    cars = es.car(f, WIN).set_index(["event_id", "symbol"])["car"]
    assert cars[("e2", "U1")] == 0.0
    got = es.caar_tests(f, WIN).iloc[0]
    assert got["n_pos"] == int((cars > 0).sum())
    _assert_battery(got, Hand(flat, f, "raw").battery(np.arange(len(f.pairs))))


def test_battery_labels_its_window_and_names_a_bad_one(ret: pd.DataFrame) -> None:
    f = _fit(ret, "market")
    got = es.caar_tests(f, (1, 3), groups={"a": ["U1", "U2"], "b": ["U3"]})
    assert list(got.columns[:2]) == ["group", "window"] and (got["window"] == "1..3").all()
    with pytest.raises(CrackdownError, match="^window: start 3 is after end 1$"):
        es.caar_tests(f, (3, 1))


def test_long_short_event_without_event_day_returns_has_no_car(ret: pd.DataFrame) -> None:
    """U3 has no return on either event day of e2 (but a full estimation window): the long-short row of e2 has
    an estimation-window SE but no CAR, and no t or p."""
    gap = _with_gaps(ret)
    f = _fit(gap, "market", pd.DataFrame({"event_id": ["e2", "e2"], "symbol": ["U3", "U1"]}))
    got = es.long_short(f, ["U3"], ["U1"], WIN).set_index("event_id")
    assert list(got.index) == ["e2", "all"]
    assert np.isnan(got.loc["e2", "car"]) and np.isnan(got.loc["e2", "t"]) and np.isnan(got.loc["e2", "p"])
    assert np.isfinite(got.loc["e2", "se"])


def test_rank_rows_averages_a_row_of_ties_like_scipy() -> None:
    a = np.array([[0.1, 0.1, 0.1, 0.1], [0.3, np.nan, 0.3, 0.3], [0.2, 0.1, 0.4, 0.3]])
    np.testing.assert_array_equal(es._rank_rows(a), stats.rankdata(a, axis=1, nan_policy="omit"))


def test_rank_rows_matches_scipy_on_near_ties_signed_zeros_and_infinities() -> None:
    """The packed-key sort must fall back to exact ranking wherever neighbouring values are too close to tell
    apart by their high bits: ulp-apart values, -0.0 next to 0.0, repeated infinities, gaps."""
    rng = np.random.default_rng(5)
    ulps = 1.0 + rng.integers(0, 6, size=(40, 243)) * np.finfo(float).eps  # values a few ulps apart
    mixed = rng.normal(size=(40, 243))
    for value, share in ((np.inf, 0.05), (-np.inf, 0.05), (0.0, 0.05), (-0.0, 0.05), (np.nan, 0.1)):
        mixed[rng.random(mixed.shape) < share] = value
    smooth = rng.normal(size=(40, 243))  # no ties: the fast path
    smooth[rng.random(smooth.shape) < 0.1] = np.nan
    signed_zeros = np.array([[-0.0, 1.0, 0.0, 2.0], [0.0, -0.0, 3.0, np.nan]])  # -0.0 == 0.0: a tie
    for a in (ulps, mixed, smooth, signed_zeros, np.full((3, 5), np.nan)):
        expected = stats.rankdata(a, axis=1, nan_policy="omit")
        np.testing.assert_array_equal(es._rank_rows(a), expected)


def test_corrado_day_sums_equal_standardised_ranks_summed_by_day() -> None:
    """Day sums through the sort order = sum over rows of rank / (1 + M_i) - 1/2 on valid days (scipy ranks)."""
    rng = np.random.default_rng(6)
    a = np.round(rng.normal(size=(30, 50)), 1)  # ties
    a[rng.random(a.shape) < 0.15] = np.nan
    valid = ~np.isnan(a)
    m = valid.sum(axis=1)
    u = stats.rankdata(a, axis=1, nan_policy="omit") / (1 + m)[:, None] - 0.5
    np.testing.assert_allclose(es._rank_day_sums(a, valid, m, False), np.nansum(u, axis=0), rtol=1e-13)

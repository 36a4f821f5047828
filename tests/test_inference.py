"""Clustered-event inference against scipy, statsmodels and hand formulas (crackdown.inference)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from crackdown import inference as inf
from crackdown.errors import CrackdownError

EVENTS = ["E1", "E2", "E3", "E4", "E5", "E6", "E7"]
# windows per event and exchange (calendar dates). Overlaps: E1-E2 (07-07 on XHKG); E3-E7 only through
# E3's Hong Kong window (08-03..08-05 meets 08-05); E4-E5 and E5-E6 (a chain: E4 and E6 do not meet).
WINDOWS = pd.DataFrame(
    [
        ("E1", "XNYS", "2021-07-01", "2021-07-02"),
        ("E1", "XHKG", "2021-07-05", "2021-07-07"),
        ("E2", "XHKG", "2021-07-07", "2021-07-09"),
        ("E3", "XNYS", "2021-08-02", "2021-08-04"),
        ("E3", "XHKG", "2021-08-03", "2021-08-05"),
        ("E4", "XNYS", "2021-09-01", "2021-09-03"),
        ("E5", "XNYS", "2021-09-03", "2021-09-07"),
        ("E6", "XNYS", "2021-09-07", "2021-09-08"),
        ("E7", "XHKG", "2021-08-05", "2021-08-06"),
    ],
    columns=["event_id", "exchange", "start", "end"],
)
CLUSTERS = [{"E1", "E2"}, {"E3", "E7"}, {"E4", "E5", "E6"}]


@pytest.fixture(scope="module")
def cars() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = []
    for e_i, e in enumerate(EVENTS):
        for g, n in (("aligned", 3 + e_i % 2), ("other", 4)):
            for k in range(n):
                rows.append((e, f"{g}{k}", g, rng.normal(-0.01 if g == "other" else 0.0, 0.03)))
    frame = pd.DataFrame(rows, columns=["event_id", "symbol", "group", "car"])
    frame.loc[3, "car"] = np.nan  # a pair without a CAR is left out, not a zero
    return frame


def _event_means(cars: pd.DataFrame, group: str) -> dict[str, float]:
    out = {}
    for e in EVENTS:
        vals = [
            c for ev, g, c in zip(cars.event_id, cars.group, cars.car, strict=True) if ev == e and g == group
        ]
        vals = [v for v in vals if not math.isnan(v)]
        if vals:
            out[e] = sum(vals) / len(vals)
    return out


def _check(result: inf.Inference, ref_t: float, ref_p: float, n: int) -> None:
    assert result.t == pytest.approx(ref_t, rel=1e-10)
    assert result.p_value == pytest.approx(ref_p, rel=1e-10)
    assert result.n == n
    assert result.estimate / result.se == pytest.approx(result.t, rel=1e-12)


def test_pairs_match_scipy(cars: pd.DataFrame) -> None:
    a = cars[(cars.group == "aligned")].car.dropna()
    b = cars[(cars.group == "other")].car.dropna()
    one = stats.ttest_1samp(a, 0.0)
    _check(inf.pairs_test(cars, "aligned"), one.statistic, one.pvalue, len(a))
    welch = stats.ttest_ind(a, b, equal_var=False)
    got = inf.pairs_test(cars, ("aligned", "other"))
    _check(got, welch.statistic, welch.pvalue, len(a) + len(b))
    assert got.estimate == pytest.approx(a.mean() - b.mean())


def test_events_as_observations_match_ttest_1samp(cars: pd.DataFrame) -> None:
    al, ot = _event_means(cars, "aligned"), _event_means(cars, "other")
    ref = stats.ttest_1samp(list(al.values()), 0.0)
    _check(inf.events_test(cars, "aligned"), ref.statistic, ref.pvalue, 7)
    diff = [al[e] - ot[e] for e in EVENTS]
    ref = stats.ttest_1samp(diff, 0.0)
    got = inf.events_test(cars, ("aligned", "other"))
    _check(got, ref.statistic, ref.pvalue, 7)
    assert got.estimate == pytest.approx(sum(diff) / 7)


def test_clusters_are_connected_components() -> None:
    labels = inf.event_clusters(WINDOWS)
    found = [set(labels.index[labels == k]) for k in sorted(labels.unique())]
    assert found == CLUSTERS  # ordered by earliest start


def test_cluster_t_over_cluster_means(cars: pd.DataFrame) -> None:
    al, ot = _event_means(cars, "aligned"), _event_means(cars, "other")
    means = [sum(al[e] - ot[e] for e in c) / len(c) for c in CLUSTERS]
    ref = stats.ttest_1samp(means, 0.0)
    _check(inf.clusters_test(cars, WINDOWS, ("aligned", "other")), ref.statistic, ref.pvalue, 3)


def test_two_overlapping_windows_merge() -> None:
    w = pd.DataFrame(
        {
            "event_id": ["A", "B", "C"],
            "start": ["2021-01-04", "2021-01-06", "2021-01-08"],
            "end": ["2021-01-06", "2021-01-07", "2021-01-08"],
        }
    )  # A and B share 01-06; C starts after B ends
    labels = inf.event_clusters(w)
    assert labels["A"] == labels["B"] != labels["C"]


def _daily(rng: np.random.Generator) -> pd.DataFrame:
    dates = pd.bdate_range("2021-07-01", periods=45)
    rows = []
    for t, d in enumerate(dates):
        for g in ("aligned", "other"):
            for _k in range(2 + (t % 3)):
                if not (g == "other" and t == 10):  # one day with only the long leg
                    rows.append((d, g, rng.normal(0.001 if g == "aligned" else -0.001, 0.01)))
    return pd.DataFrame(rows, columns=["date", "group", "ar"])


def test_calendar_time_matches_statsmodels_and_newey_west_by_hand() -> None:
    daily = _daily(np.random.default_rng(5))
    series = []
    for d in sorted(daily.date.unique()):
        day = daily[daily.date == d]
        lo, sh = day[day.group == "aligned"].ar, day[day.group == "other"].ar
        if len(lo) and len(sh):
            series.append(lo.mean() - sh.mean())
    y = np.array(series)
    t_obs = len(y)
    lags = math.floor(4 * (t_obs / 100) ** (2 / 9))
    ref = sm.OLS(y, np.ones(t_obs)).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True)
    got = inf.calendar_time_test(daily, ("aligned", "other"))
    _check(got, ref.tvalues[0], ref.pvalues[0], 44)
    u = y - y.mean()  # Newey-West by hand: Bartlett weights 1 - l / (L + 1)
    s = u @ u + 2 * sum((1 - k / (lags + 1)) * (u[k:] @ u[:-k]) for k in range(1, lags + 1))
    assert got.se == pytest.approx(math.sqrt(s) / t_obs, rel=1e-10)
    assert got.estimate == pytest.approx(y.mean())
    assert got.p_value == pytest.approx(2 * stats.t.sf(abs(y.mean() / got.se), t_obs - 1), rel=1e-10)
    assert inf.newey_west_lags(100) == 4 and inf.newey_west_lags(44) == 3


def _kp_hand(scar, est, win) -> tuple[float, float]:
    """KP with overlap weights, pair by pair (missing estimation days: zero deviations)."""
    n = len(scar)
    dev = []
    for row in est:
        ok = ~np.isnan(row)
        d = np.zeros(len(row))
        d[ok] = row[ok] - row[ok].mean()
        dev.append(d / math.sqrt(d @ d))
    total = 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                shared = int(np.sum(win[i] & win[j]))
                total += (dev[i] @ dev[j]) * shared / math.sqrt(win[i].sum() * win[j].sum())
    rbar = total / (n * (n - 1))
    bmp = np.mean(scar) * math.sqrt(n) / np.std(scar, ddof=1)
    return bmp * math.sqrt((1 - rbar) / (1 + (n - 1) * rbar)), rbar


def test_kolari_pynnonen_two_events_with_overlapping_windows() -> None:
    rng = np.random.default_rng(3)
    common = rng.normal(0, 0.01, 40)
    est = np.vstack([0.7 * common + rng.normal(0, 0.01, 40) for _ in range(4)])
    est[3, :5] = np.nan  # a pair missing five estimation days
    win = np.zeros((4, 10), dtype=bool)
    win[:2, 4:7] = True  # event A: dates 4, 5, 6
    win[2:, 5:8] = True  # event B: dates 5, 6, 7 (two shared days)
    scar = np.array([-1.1, -0.4, -1.6, 0.2])
    got, rbar = inf.kolari_pynnonen(scar, est, win)
    t_ref, r_ref = _kp_hand(scar, est, win)
    assert rbar == pytest.approx(r_ref, rel=1e-10)
    assert got.t == pytest.approx(t_ref, rel=1e-10)
    assert got.p_value == pytest.approx(2 * stats.t.sf(abs(t_ref), 3), rel=1e-10)
    full = est[:2]  # within one event (full data): rho is the Pearson correlation
    assert (inf._unit_deviations(full)[0] @ inf._unit_deviations(full)[1]) == pytest.approx(
        np.corrcoef(full)[0, 1]
    )
    disjoint = win.copy()
    disjoint[2:] = False
    disjoint[2:, 8:10] = True  # no shared day: cross-event pairs drop out of rbar
    _, r_disjoint = inf.kolari_pynnonen(scar, est, disjoint)
    assert r_disjoint == pytest.approx(_kp_hand(scar, est, disjoint)[1], rel=1e-10)
    assert r_disjoint < rbar  # the positively correlated cross-event pairs no longer count


def test_most_conservative_rule() -> None:
    r = {
        "pairs": inf.Inference(-0.02, 0.01, -2.0, 0.04, 400),
        "events": inf.Inference(-0.02, 0.014, -1.43, 0.17, 24),
        "clusters": inf.Inference(-0.02, 0.019, -1.06, 0.31, 4),
        "calendar_time": inf.Inference(-0.001, 0.0008, -1.25, 0.22, 120),
    }
    h = inf.most_conservative(r)
    assert h.name == "calendar_time"  # clusters have the largest p but only 4 < 6 clusters
    assert inf.most_conservative(r, {"clusters": 4}).name == "clusters"
    few = {k: inf.Inference(v.estimate, v.se, v.t, v.p_value, 2) for k, v in r.items()}
    h = inf.most_conservative(few)
    assert h.name == "clusters" and "indicative" in h.reason
    assert set(r["events"].as_dict()) == {"estimate", "se", "t", "p_value", "n"}


def test_side_by_side_and_bad_inputs(cars: pd.DataFrame) -> None:
    daily = _daily(np.random.default_rng(1))
    out = inf.side_by_side(cars, WINDOWS, daily, ("aligned", "other"))
    assert list(out) == ["pairs", "events", "clusters", "calendar_time"]
    with pytest.raises(CrackdownError, match="group: no pair CARs for group 'state'"):
        inf.events_test(cars, "state")
    with pytest.raises(CrackdownError, match="cars: missing column"):
        inf.pairs_test(cars.drop(columns="group"), "aligned")
    with pytest.raises(CrackdownError, match="windows: no window for event"):
        inf.clusters_test(cars, WINDOWS[WINDOWS.event_id != "E6"], "aligned")
    with pytest.raises(CrackdownError, match="at least 3 pairs"):
        inf.kolari_pynnonen(np.array([1.0, 2.0]), np.zeros((2, 5)), np.ones((2, 2), dtype=bool))


def test_inputs_from_event_study_frames() -> None:
    car_frame = pd.DataFrame(
        {
            "event_id": ["A", "A", "B"],
            "symbol": ["X", "Y", "X"],
            "exchange": ["XNYS", "XHKG", "XNYS"],
            "window": "-1..1",
            "car": [0.01, -0.02, 0.03],
        }
    )
    ar_frame = pd.DataFrame(
        {
            "event_id": ["A"] * 4 + ["B"] * 2,
            "symbol": ["X", "X", "Y", "Y", "X", "X"],
            "exchange": ["XNYS", "XNYS", "XHKG", "XHKG", "XNYS", "XNYS"],
            "date": pd.to_datetime(
                ["2021-07-01", "2021-07-02", "2021-07-05", "2021-07-06", "2021-07-06", "2021-07-07"]
            ),
            "ar": [0.01, 0.0, -0.01, -0.01, 0.02, 0.01],
        }
    )
    cars, windows, daily = inf.inputs_from_event_study(car_frame, ar_frame, {"X": "long", "Y": "short"})
    assert cars["group"].tolist() == ["long", "short", "long"]
    w = windows.set_index(["event_id", "exchange"])
    assert w.loc[("A", "XHKG"), "start"] == pd.Timestamp("2021-07-05")
    assert w.loc[("A", "XHKG"), "end"] == pd.Timestamp("2021-07-06")
    labels = inf.event_clusters(windows)  # A's HK window meets B's NYSE window on 07-06
    assert labels["A"] == labels["B"]
    assert len(daily) == 6 and set(daily["group"]) == {"long", "short"}
    only_x, _, _ = inf.inputs_from_event_study(car_frame, ar_frame, {"X": "long"})
    assert only_x["symbol"].tolist() == ["X", "X"]
    with pytest.raises(CrackdownError, match="several windows"):
        inf.inputs_from_event_study(car_frame.assign(window=["-1..1", "0..3", "-1..1"]), ar_frame, {})


def test_integer_event_ids_flow_from_engine_frames_to_every_test() -> None:
    """The engine's event ids can be integers (the sweep uses positions): inputs_from_event_study and the
    cluster labels keep them as they are, so the cluster test matches the same study with text ids."""
    dates = pd.to_datetime(["2021-07-01", "2021-07-02", "2021-07-02", "2021-07-05", "2021-09-06", "2021-09-07"])
    ar_frame = pd.DataFrame(
        {
            "event_id": [3, 3, 10, 10, 25, 25],
            "symbol": ["X", "Y"] * 3,
            "exchange": ["XNYS", "XHKG"] * 3,
            "date": dates,
            "ar": [0.01, 0.0, -0.01, -0.01, 0.02, 0.01],
        }
    )
    car_frame = ar_frame.drop(columns="date").rename(columns={"ar": "car"}).assign(window="0..0")
    as_text = {3: "e03", 10: "e10", 25: "e25"}
    target = ("long", "short")
    labels = {"X": "long", "Y": "short"}
    got = inf.inputs_from_event_study(car_frame, ar_frame, labels)
    ref = inf.inputs_from_event_study(
        car_frame.assign(event_id=car_frame["event_id"].map(as_text)),
        ar_frame.assign(event_id=ar_frame["event_id"].map(as_text)),
        labels,
    )
    assert sorted(got[1]["event_id"]) == [3, 3, 10, 10, 25, 25]
    clusters = inf.event_clusters(got[1])
    assert clusters.loc[3] == clusters.loc[10] != clusters.loc[25]  # 3 and 10 share 2021-07-02
    for test in (inf.events_test, inf.pairs_test):
        assert test(got[0], target) == test(ref[0], target)
    assert inf.clusters_test(got[0], got[1], target) == inf.clusters_test(ref[0], ref[1], target)
    assert inf.clusters_test(got[0], got[1], target).n == 2

# --- edges, errors and labels that mutation testing found unchecked (MUTATION.md) ----------------------------
def _frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["event_id", "group", "car"])


def test_events_test_with_one_two_or_no_events() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one value: no numpy warning from a standard deviation of one value
        one = inf.events_test(_frame([("E1", "a", 0.02), ("E1", "a", 0.04)]), "a")
    assert one.estimate == pytest.approx(0.03) and one.n == 1
    assert all(math.isnan(x) for x in (one.se, one.t, one.p_value))
    two = inf.events_test(_frame([("E1", "a", 0.01), ("E2", "a", 0.05)]), "a")
    ref = stats.ttest_1samp([0.01, 0.05], 0.0)  # one degree of freedom
    assert (two.estimate, two.t, two.p_value, two.n) == pytest.approx((0.03, ref.statistic, ref.pvalue, 2))
    # a long-short without an event holding both legs: no value, every number NaN, n 0
    none = inf.events_test(_frame([("E1", "a", 0.01), ("E2", "b", 0.05)]), ("a", "b"))
    assert none.n == 0 and all(math.isnan(x) for x in (none.estimate, none.se, none.t, none.p_value))


def test_equal_event_values_have_no_t() -> None:
    got = inf.events_test(_frame([("E1", "a", 0.02), ("E2", "a", 0.02), ("E3", "a", 0.02)]), "a")
    assert got.estimate == pytest.approx(0.02) and got.se == 0.0
    assert math.isnan(got.t) and math.isnan(got.p_value)


def test_errors_name_the_parameter(cars: pd.DataFrame) -> None:
    with pytest.raises(CrackdownError, match=r"^target: expected a group or a \(long, short\) pair of groups, got"):
        inf.events_test(cars, ("aligned", "other", "third"))
    with pytest.raises(CrackdownError, match=r"^cars: missing column\(s\) car$"):
        inf.events_test(cars.drop(columns="car"), "aligned")
    with pytest.raises(CrackdownError, match=r"^windows: missing column\(s\) end$"):
        inf.event_clusters(WINDOWS.drop(columns="end"))
    daily = _daily(np.random.default_rng(1))
    with pytest.raises(CrackdownError, match=r"^daily: missing column\(s\) ar$"):
        inf.calendar_time_test(daily.drop(columns="ar"), "aligned")
    with pytest.raises(CrackdownError, match=r"^group: no daily ARs for group 'state'$"):
        inf.calendar_time_test(daily, ("state", "other"))
    with pytest.raises(CrackdownError, match=r"^group: no daily ARs for group 'state'$"):
        inf.calendar_time_test(daily, ("aligned", "state"))
    with pytest.raises(CrackdownError, match=r"^scar: 3 pairs but est_ar has 2 rows and in_window 3$"):
        inf.kolari_pynnonen(np.zeros(3), np.zeros((2, 5)), np.ones((3, 2), dtype=bool))
    with pytest.raises(CrackdownError, match=r"^results: no events, clusters or calendar_time result with a "
                                             r"p-value$"):
        inf.most_conservative({"pairs": inf.Inference(0.1, 0.1, 1.0, 0.3, 10)})


def test_event_clusters_labels_in_time_order_and_edge_cases() -> None:
    windows = pd.DataFrame({
        "event_id": ["A", "B", "C", "D"],
        "exchange": ["XNYS", None, "XHKG", "XHKG"],  # a window without an exchange still counts
        "start": pd.to_datetime(["2021-09-01", "2021-03-01", "2021-06-01", "2021-06-01"]),
        "end": pd.to_datetime(["2021-09-03", "2021-03-02", "2021-06-01", "2021-06-01"]),
    })
    labels = inf.event_clusters(windows)
    # B (March) first, then C and D (one-day windows on the same day share it), then A (September)
    assert labels.to_dict() == {"A": 2, "B": 0, "C": 1, "D": 1}
    assert labels.name == "cluster" and labels.index.name == "event_id"
    bad = windows.assign(end=pd.to_datetime(["2021-09-03", "2021-03-02", "2021-06-01", "2021-05-31"]))
    with pytest.raises(CrackdownError, match=r"^windows: start after end for event 'D'$"):  # C: start = end is fine
        inf.event_clusters(bad)


def test_newey_west_lags_rule_of_thumb_values() -> None:
    # floor(4 (T / 100) ** (2 / 9)): 4 * 10 ** (2/9) = 6.67 and 4 * 100 ** (2/9) = 11.13
    assert [inf.newey_west_lags(t) for t in (100, 1000, 10_000)] == [4, 6, 11]


def test_calendar_time_test_on_three_days_and_with_given_lags() -> None:
    daily = pd.DataFrame({"date": pd.to_datetime(["2021-01-04", "2021-01-05", "2021-01-06"]), "group": "a",
                          "ar": [0.01, -0.02, 0.04]})
    got = inf.calendar_time_test(daily, "a", maxlags=0)  # no lag: the HAC variance is White's, sum(u^2) / T^2
    u = np.array([0.01, -0.02, 0.04]) - 0.01
    assert got.n == 3 and got.estimate == pytest.approx(0.01)
    assert got.se == pytest.approx(math.sqrt(u @ u) / 3, rel=1e-10)
    with pytest.raises(CrackdownError, match=r"^daily: need at least 3 event-window days for a calendar-time test, "
                                             r"got 2$"):
        inf.calendar_time_test(daily.iloc[:2], "a")
    y = _daily(np.random.default_rng(5))
    two = inf.calendar_time_test(y, "aligned", maxlags=2)
    series = inf.calendar_time_series(y, "aligned").to_numpy()
    ref = sm.OLS(series, np.ones(len(series))).fit(cov_type="HAC", cov_kwds={"maxlags": 2}, use_t=True)
    assert two.se == pytest.approx(float(ref.bse[0]), rel=1e-10)
    assert inf.newey_west_lags(len(series)) != 2  # so the given lags, not the default, are checked


def test_unit_deviations_of_constant_or_one_day_rows_are_zero() -> None:
    est = np.array([[0.01, 0.01, 0.01, 0.01], [np.nan, 0.02, np.nan, np.nan], [0.01, -0.01, 0.03, np.nan]])
    u = inf._unit_deviations(est)
    assert u[0].tolist() == [0.0] * 4 and u[1].tolist() == [0.0] * 4
    assert u[2] == pytest.approx(np.array([0.0, -0.02, 0.02, 0.0]) / math.sqrt(8e-4))


def test_kolari_pynnonen_three_pairs_with_one_day_windows() -> None:
    rng = np.random.default_rng(8)
    common = rng.normal(0, 0.01, 30)
    est = np.vstack([0.6 * common + rng.normal(0, 0.01, 30) for _ in range(3)])
    win = np.zeros((3, 4), dtype=bool)
    win[0, 1] = win[1, 1] = True  # two pairs of one event, window (0, 0) on date 1
    win[2, 2] = True  # a pair of another event on date 2: no shared day
    scar = np.array([-1.2, 0.3, -0.8])
    got, rbar = inf.kolari_pynnonen(scar, est, win)
    t_ref, r_ref = _kp_hand(scar, est, win)
    assert rbar == pytest.approx(r_ref, rel=1e-10) and rbar != 0
    assert got.t == pytest.approx(t_ref, rel=1e-10) and got.n == 3


def test_most_conservative_subsets_ties_and_reasons() -> None:
    r = {"events": inf.Inference(-0.02, 0.02, -1.0, 0.3, 10), "clusters": inf.Inference(-0.02, 0.02, -1.0, 0.3, 8)}
    h = inf.most_conservative(r)  # no calendar-time result; a tie in p goes to clusters
    assert h.name == "clusters"
    assert h.reason == ("clusters: largest p-value among the defensible tests (clusters, events) with n >= the "
                        "minimum (n=8)")
    nan_p = {**r, "events": inf.Inference(-0.02, 0.0, math.nan, math.nan, 10)}
    assert inf.most_conservative(nan_p).reason.startswith("clusters: largest p-value among the defensible tests "
                                                          "(clusters) ")
    few = {"events": inf.Inference(-0.02, 0.02, -1.0, 0.3, 2)}
    assert inf.most_conservative(few).reason == ("events: no test reaches its minimum n; largest p-value quoted, "
                                                 "treat as indicative only (n=2)")


def test_side_by_side_calendar_time_is_the_calendar_time_test(cars: pd.DataFrame) -> None:
    daily = _daily(np.random.default_rng(1))
    out = inf.side_by_side(cars, WINDOWS, daily, "aligned")
    assert out["calendar_time"] == inf.calendar_time_test(daily, "aligned")
    assert "calendar_time" not in inf.side_by_side(cars, WINDOWS, None, "aligned")


def test_inputs_from_event_study_keep_missing_values_and_plain_columns() -> None:
    car_frame = pd.DataFrame({"event_id": ["A", "A", "B"], "symbol": ["X", "Y", "X"], "exchange": [None, "XHKG", "X"],
                              "car": [np.nan, -0.02, 0.03]})
    ar_frame = pd.DataFrame({"event_id": ["A", "A", "B"], "symbol": ["X", "Y", "X"], "exchange": ["XNYS", "XHKG", "XNYS"],
                             "date": pd.to_datetime(["2021-07-01", "2021-07-05", None]), "ar": [np.nan, -0.01, 0.02]})
    cars, windows, daily = inf.inputs_from_event_study(car_frame, ar_frame, {"X": "long", "Y": "short"})
    # only rows without a group (or, for the windows and days, without a date) are left out
    assert list(cars.columns) == ["event_id", "symbol", "group", "car"] and len(cars) == 3
    assert list(windows.columns) == ["event_id", "exchange", "start", "end"] and len(windows) == 2
    assert list(daily.columns) == ["event_id", "symbol", "group", "date", "ar"] and len(daily) == 2
    with pytest.raises(CrackdownError, match=r"^car_frame: missing column\(s\) car$"):
        inf.inputs_from_event_study(car_frame.drop(columns="car"), ar_frame, {})
    with pytest.raises(CrackdownError, match=r"^ar_frame: missing column\(s\) ar$"):
        inf.inputs_from_event_study(car_frame, ar_frame.drop(columns="ar"), {})
    with pytest.raises(CrackdownError, match=r"^car_frame: holds several windows; pass the rows of one window$"):
        inf.inputs_from_event_study(car_frame.assign(window=["a", "b", "a"]), ar_frame, {})


def test_within_strata_inputs_by_hand() -> None:
    cars = pd.DataFrame({
        "event_id": ["E1"] * 6 + ["E2"] * 3 + ["E3"] * 2,
        "stratum": ["US", "US", "US", "HK", "HK", "HK", "US", "HK", "HK", "US", "US"],
        "group": ["L", "L", "S", "L", "S", "S", "L", "L", "S", "L", "X"],
        "car": [0.1, 0.3, -0.1, 0.0, 0.2, 0.4, 0.9, 0.5, 0.1, 0.2, 0.6]})
    cars.loc[4, "car"] = np.nan  # E1 HK short leg: 0.4 only
    within, none = inf.within_strata_inputs(cars, None, ("L", "S"))
    assert none is None and list(within.columns) == ["event_id", "stratum", "car", "group"]
    # E1 US: 0.2 - (-0.1); E1 HK: 0.0 - 0.4; E2 HK: 0.5 - 0.1; E2 US and E3 have no short leg
    cells = within.set_index(["event_id", "stratum"])["car"].to_dict()
    assert cells == pytest.approx({("E1", "HK"): -0.4, ("E1", "US"): 0.3, ("E2", "HK"): 0.4})
    assert set(within["group"]) == {inf.WITHIN}
    daily = pd.DataFrame({"date": pd.to_datetime(["2021-01-04"] * 5 + ["2021-01-05"]),
                          "stratum": ["US", "US", "HK", "HK", "HK", "US"], "group": ["L", "S", "L", "S", "S", "L"],
                          "ar": [0.02, 0.01, -0.03, 0.01, np.nan, 0.05]})
    _, d = inf.within_strata_inputs(cars, daily, ("L", "S"))
    assert list(d.columns) == ["date", "stratum", "ar", "group"]
    assert d.set_index("stratum")["ar"].to_dict() == pytest.approx({"HK": -0.04, "US": 0.01})
    no_short, _ = inf.within_strata_inputs(cars[cars["group"] != "S"], None, ("L", "S"))
    assert no_short.empty  # no cell holds both legs
    with pytest.raises(CrackdownError, match=r"^target: a within-strata long-short needs \(long, short\), got 'L'$"):
        inf.within_strata_inputs(cars, None, "L")
    with pytest.raises(CrackdownError, match=r"^cars: missing column\(s\) stratum$"):
        inf.within_strata_inputs(cars.drop(columns="stratum"), None, ("L", "S"))
    with pytest.raises(CrackdownError, match=r"^daily: missing column\(s\) stratum$"):
        inf.within_strata_inputs(cars, daily.drop(columns="stratum"), ("L", "S"))

"""crackdown.placebo: Monte-Carlo p-values against the hand formula, candidate dates against a brute-force scan,
per-event draws independent of the other events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crackdown import placebo


def test_monte_carlo_p_counts_the_real_statistic_as_a_draw() -> None:
    assert placebo.monte_carlo_p(0, 99) == pytest.approx(0.01)
    assert placebo.monte_carlo_p(99, 99) == 1.0
    assert placebo.monte_carlo_p(np.int64(4), 9) == pytest.approx(0.5)


def test_placebo_p_values_by_hand() -> None:
    draws = np.array([-3.0, -1.0, 0.5, 2.0, np.nan, 4.0])
    p = placebo.placebo_p_values(-2.0, draws)
    assert p["n_placebo"] == 5
    assert p["p_two_sided"] == pytest.approx((1 + 3) / 6)  # |-3|, |2|, |4| >= 2
    assert p["p_lower"] == pytest.approx((1 + 1) / 6)  # -3 <= -2
    assert p["p_upper"] == pytest.approx((1 + 4) / 6)


def test_away_from_events_matches_a_brute_force_scan() -> None:
    union = pd.bdate_range("2021-01-01", "2021-06-30")
    real = pd.to_datetime(["2021-01-01", "2021-02-13", "2021-04-01", "2021-07-05"]).to_numpy()
    gap = 3
    pos = [union.searchsorted(d) for d in real]
    expected = np.array([all(abs(i - p) > gap for p in pos) for i in range(len(union))])
    np.testing.assert_array_equal(placebo.away_from_events(union, real, gap), expected)


def test_per_event_draws_do_not_depend_on_the_other_events() -> None:
    cands = pd.bdate_range("2020-01-01", periods=300).to_numpy()
    both = placebo.draw_dates_per_event(cands, 25, ["e1", "e2"], seed=7)
    alone = placebo.draw_dates_per_event(cands, 25, ["e2"], seed=7)
    assert both.shape == (25, 2)
    np.testing.assert_array_equal(both[:, 1], alone[:, 0])
    assert placebo.draw_dates_per_event(cands, 5, [], seed=7).shape == (5, 0)


def test_draw_dates_is_reproducible_for_a_seed() -> None:
    cands = pd.bdate_range("2020-01-01", periods=300).to_numpy()
    a, b = placebo.draw_dates(cands, 40, 3, seed=1), placebo.draw_dates(cands, 40, 3, seed=1)
    np.testing.assert_array_equal(a, b)
    assert np.isin(a, cands).all() and a.shape == (40, 3)


# --- ties, Monte-Carlo errors and avoided dates that mutation testing found unchecked (MUTATION.md) -----------
def test_placebo_p_values_count_ties_and_give_monte_carlo_errors() -> None:
    draws = np.array([-2.0, -1.0, 2.0, 3.0])  # -2 ties the actual value on both one-sided counts
    p = placebo.placebo_p_values(-2.0, draws)
    assert p["p_lower"] == pytest.approx((1 + 1) / 5) and p["p_upper"] == pytest.approx((1 + 4) / 5)
    assert p["p_two_sided"] == pytest.approx((1 + 3) / 5)  # |-2|, |2|, |3| >= 2
    for key in ("p_two_sided", "p_lower", "p_upper"):  # sqrt(p (1 - p) / draws)
        assert p[f"{key}_mc_se"] == pytest.approx(np.sqrt(p[key] * (1 - p[key]) / 4))
    empty = placebo.placebo_p_values(1.0, np.array([np.nan, np.nan]))
    assert empty["n_placebo"] == 0 and empty["p_two_sided"] == 1.0
    assert all(np.isnan(empty[f"{key}_mc_se"]) for key in ("p_two_sided", "p_lower", "p_upper"))


def test_with_avoided_appends_the_avoided_dates() -> None:
    real = pd.to_datetime(["2021-01-04"]).to_numpy()
    assert placebo.with_avoided(real, None) is real
    got = placebo.with_avoided(real, ["2021-03-01", "2021-02-01"])
    assert pd.DatetimeIndex(got).strftime("%Y-%m-%d").tolist() == ["2021-01-04", "2021-03-01", "2021-02-01"]


def _regime_by_hand(candidates, event_days, returns, months, n_bins, lookback, widen, min_candidates):
    """regime_eligible's rule written out with the standard library: trailing sample SD of the ``lookback``
    returns strictly before each session, bins cut at the type-7 quantiles k / n_bins of the defined values,
    calendar-month spans from dateutil, and the first wider span with enough candidates."""
    import statistics

    from dateutil.relativedelta import relativedelta

    sessions, values = list(returns.index), list(returns.to_numpy())
    vol = {s: (statistics.stdev(values[i - lookback:i]) if i >= lookback else None) for i, s in enumerate(sessions)}
    defined = sorted(v for v in vol.values() if v is not None)

    def quantile(q):  # linear interpolation between order statistics (numpy's default, type 7)
        h = (len(defined) - 1) * q
        lo = int(h)
        return defined[lo] + (h - lo) * (defined[min(lo + 1, len(defined) - 1)] - defined[lo])

    cuts = [quantile(k / n_bins) for k in range(1, n_bins)]

    def bin_of(day):
        first = next(s for s in sessions if s >= day)  # the first session on or after the date
        v = vol[first]
        return None if v is None else sum(v >= c for c in cuts)

    rows, used = {}, {}
    for event, day in event_days.items():
        spans = [months, *widen]
        for span in spans:
            lo, hi = day - relativedelta(months=span), day + relativedelta(months=span)
            ok = [lo <= c <= hi and bin_of(c) is not None and bin_of(c) == bin_of(day) for c in candidates]
            if sum(ok) >= min_candidates or span == spans[-1]:
                break
        rows[event], used[event] = ok, span
    return rows, used


def test_regime_eligible_matches_the_rule_written_out_by_hand() -> None:
    """Every cell of the events x candidates frame and every event's months span, against a slow standard-library
    version of the documented rule (two volatility regimes, one event whose neighbourhood is too thin)."""
    sessions = pd.bdate_range("2019-01-01", "2020-12-31")
    rng = np.random.default_rng(11)
    scale = np.where(sessions < pd.Timestamp("2020-02-15"), 0.005, 0.03)  # calm, then turbulent
    returns = pd.Series(rng.normal(0, scale), index=sessions)
    candidates = sessions[(sessions.day % 3 == 0) & ~((sessions > "2019-05-01") & (sessions < "2019-10-01"))]
    event_days = pd.Series(pd.to_datetime(["2019-07-15", "2020-06-01", "2020-03-02"]), index=["thin", "storm", "edge"])
    base, _ = _regime_by_hand(list(candidates), event_days, returns, 2, 3, 20, (), 0)
    # the storm event has exactly the minimum at two months (a boundary: enough, so not widened)
    args = dict(months=2, n_bins=3, lookback=20, widen=(4, 9), min_candidates=sum(base["storm"]))
    assert sum(base["thin"]) < args["min_candidates"]
    got = placebo.regime_eligible(candidates.to_numpy(), event_days, returns, **args)
    rows, used = _regime_by_hand(list(candidates), event_days, returns, **args)
    for event in event_days.index:
        assert got.loc[event].tolist() == rows[event], event
    assert got.attrs["months"] == used
    assert used["thin"] > 2 and used["storm"] == 2  # the rule was exercised both ways

"""Same-regime placebo candidates and the Monte-Carlo error of a placebo p-value (crackdown.regime)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crackdown import regime
from crackdown.errors import CrackdownError


@pytest.fixture(scope="module")
def bench() -> pd.Series:
    """Three 120-session regimes: calm (sd 0.4%), turbulent (3%), middling (1.2%)."""
    idx = pd.bdate_range("2020-01-01", periods=360)
    rng = np.random.default_rng(2)
    sd = np.repeat([0.004, 0.03, 0.012], 120)
    return pd.Series(rng.normal(0, 1, 360) * sd, index=idx)


def test_trailing_volatility_by_hand(bench: pd.Series) -> None:
    vol = regime.trailing_volatility(bench, 20)
    assert vol.iloc[:20].isna().all()
    for t in (20, 57, 200, 359):
        assert vol.iloc[t] == pytest.approx(np.std(bench.iloc[t - 20 : t].to_numpy(), ddof=1))
    holed = bench.copy()
    holed.iloc[100] = np.nan
    v2 = regime.trailing_volatility(holed, 20)
    assert v2.iloc[101:121].isna().all() and not np.isnan(v2.iloc[121])


def test_terciles_cut_at_sample_quantiles(bench: pd.Series) -> None:
    vol = regime.trailing_volatility(bench, 20)
    bins = regime.volatility_bins(vol)
    lo, hi = np.quantile(vol.dropna(), [1 / 3, 2 / 3])
    for t in (30, 150, 300):
        v = vol.iloc[t]
        assert bins.iloc[t] == (0 if v <= lo else 1 if v <= hi else 2)
    assert bins.iloc[:20].isna().all()
    assert bins.iloc[60] == 0 and bins.iloc[180] == 2  # deep inside the calm and turbulent regimes


def test_eligible_dates_same_period_and_regime(bench: pd.Series) -> None:
    bins = regime.volatility_bins(regime.trailing_volatility(bench, 20))
    events = pd.Series(pd.to_datetime(["2020-03-16", "2020-08-17"]), index=["calm_event", "wild_event"])
    cands = bench.index[25::3]
    ok = regime.eligible_dates(events, cands, bins, months=2)
    for e, day in events.items():
        b0 = bins.loc[day]
        for c in cands:
            near = day - pd.DateOffset(months=2) <= c <= day + pd.DateOffset(months=2)
            assert ok.loc[e, c] == (near and bins.loc[c] == b0), (e, c)
    assert ok.loc["calm_event"].sum() > 0 and ok.loc["wild_event"].sum() > 0


def test_draws_stay_eligible_and_are_reproducible(bench: pd.Series) -> None:
    bins = regime.volatility_bins(regime.trailing_volatility(bench, 20))
    events = pd.Series(pd.to_datetime(["2020-03-16", "2020-08-17"]), index=["a", "b"])
    ok = regime.eligible_dates(events, bench.index[25:], bins, months=2)
    draws = regime.draw_regime_dates(ok, 4000, seed=9)
    assert draws.shape == (4000, 2)
    for k, e in enumerate(ok.index):
        allowed = set(ok.columns[ok.loc[e].to_numpy()])
        drawn = set(pd.DatetimeIndex(draws[:, k]))
        assert drawn <= allowed
        assert drawn == allowed  # 4000 uniform draws over < 90 dates reach every one (seed fixed)
    assert (regime.draw_regime_dates(ok, 50, seed=9) == draws[:50]).all()


def test_no_eligible_candidate_and_undefined_regime_are_named(bench: pd.Series) -> None:
    bins = regime.volatility_bins(regime.trailing_volatility(bench, 20))
    events = pd.Series(pd.to_datetime(["2020-03-16"]), index=["lonely"])
    ok = regime.eligible_dates(events, bench.index[300:310], bins, months=1)
    with pytest.raises(CrackdownError, match="'lonely'"):
        regime.draw_regime_dates(ok, 10)
    with pytest.raises(CrackdownError, match="'too_early'"):
        regime.eligible_dates(pd.Series([bench.index[5]], index=["too_early"]), bench.index, bins)


def test_mc_standard_error_by_hand() -> None:
    assert regime.mc_standard_error(0.05, 10_000) == pytest.approx(math.sqrt(0.05 * 0.95 / 10_000))
    np.testing.assert_allclose(
        regime.mc_standard_error(np.array([0.5, 0.0]), 100), [math.sqrt(0.25 / 100), 0.0]
    )
    with pytest.raises(CrackdownError, match="p_value/draws"):
        regime.mc_standard_error(1.2, 100)

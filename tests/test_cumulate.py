"""CAR and BHAR over windows against hand-compounded returns (crackdown.cumulate)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crackdown import cumulate as cu
from crackdown import returns as gr
from crackdown.errors import CrackdownError

R = np.array([[0.10, -0.20, 0.05], [0.01, np.nan, 0.02], [np.nan, np.nan, np.nan]])
E = np.array([[0.01, 0.02, -0.01], [0.00, 0.01, 0.00], [0.01, 0.01, 0.01]])


def test_bhar_by_hand() -> None:
    got, n = cu.bhar(R, E)
    row0 = 1.10 * 0.80 * 1.05 - 1.01 * 1.02 * 0.99  # 0.924 - 1.019898
    row1 = 1.01 * 1.02 - 1.00 * 1.00  # the missing day 2 is skipped in both products
    np.testing.assert_allclose(got[:2], [row0, row1])
    assert np.isnan(got[2])
    assert n.tolist() == [3, 2, 0]


def test_car_by_hand_and_propagate_rule() -> None:
    ar = R - E
    got, n = cu.car(ar)
    np.testing.assert_allclose(got[:2], [0.09 - 0.22 + 0.06, 0.01 + 0.02])
    assert np.isnan(got[2]) and n.tolist() == [3, 2, 0]
    strict, _ = cu.car(ar, missing="propagate")
    assert strict[0] == pytest.approx(-0.07) and np.isnan(strict[1]) and np.isnan(strict[2])
    strict_bhar, _ = cu.bhar(R, E, missing="propagate")
    assert not np.isnan(strict_bhar[0]) and np.isnan(strict_bhar[1])


def test_compounded_and_log_car() -> None:
    got, _ = cu.compounded(np.array([[0.5, -0.5], [-0.6, np.nan]]))
    np.testing.assert_allclose(got, [1.5 * 0.5 - 1, -0.6])
    # a 41-session fall of 1% a day: summing gives -41%, compounding -33.8%; log CAR then exp()-1 agrees
    daily = np.full((1, 41), -0.01)
    assert cu.compounded(daily)[0][0] == pytest.approx(0.99**41 - 1)
    assert cu.log_car_to_simple(cu.car(np.log1p(daily))[0])[0] == pytest.approx(0.99**41 - 1)


def test_bad_inputs() -> None:
    with pytest.raises(CrackdownError, match="missing"):
        cu.car(R, missing="zero")
    with pytest.raises(CrackdownError, match="expected: shape"):
        cu.bhar(R, E[:, :2])
    with pytest.raises(CrackdownError, match="ar: expected a"):
        cu.car(np.zeros(3))


small = st.floats(min_value=-1e-3, max_value=1e-3, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 10).flatmap(
        lambda k: st.tuples(st.lists(small, min_size=k, max_size=k), st.lists(small, min_size=k, max_size=k))
    )
)
def test_bhar_equals_car_to_first_order(pair: tuple[list[float], list[float]]) -> None:
    r, e = np.array([pair[0]]), np.array([pair[1]])
    b, _ = cu.bhar(r, e)
    c, _ = cu.car(r - e)
    # |prod(1+x) - 1 - sum x| <= exp(sum|x|) - 1 - sum|x|, for R and for E: the gap is second order
    sr, se = np.abs(r).sum(), np.abs(e).sum()
    bound = (math.expm1(sr) - sr) + (math.expm1(se) - se)  # <= (sr + se)^2 <= 4e-4: quadratic in the returns
    assert abs(b[0] - c[0]) <= bound + 1e-15


def test_bhar_across_a_halt_equals_buy_and_hold_from_prices() -> None:
    # Hikvision-style: two suspended sessions inside the window, market-adjusted model (alpha 0, beta 1)
    stock = np.array([10.0, np.nan, np.nan, 9.0, 9.9])
    bench = np.array([100.0, 101.0, 99.0, 102.0, 103.0])
    g = gr.gap_returns(pd.DataFrame({"HIK": stock}))
    spans = g.spans.to_numpy()
    r = g.returns.to_numpy()[1:].T  # window: sessions 1..4, one pair
    e = gr.benchmark_over_spans(bench, spans)[1:].T
    got, n_days = cu.bhar(r, e)
    assert got[0] == pytest.approx(9.9 / 10 - 103 / 100)  # -0.04: nothing lost to the halt
    assert n_days[0] == 2


# --- edges and error texts that mutation testing found unchecked (MUTATION.md) --------------------------------
def test_propagate_rule_on_one_day_and_on_no_day() -> None:
    one, n = cu.car(np.array([[0.02], [np.nan]]), missing="propagate")  # a one-day window is a full window
    assert one[0] == pytest.approx(0.02) and np.isnan(one[1]) and n.tolist() == [1, 0]
    none, n = cu.car(np.empty((2, 0)), missing="propagate")  # no window day: no CAR, not a CAR of 0
    assert np.isnan(none).all() and n.tolist() == [0, 0]


def test_none_counts_as_a_missing_value() -> None:
    got, n = cu.car([[0.01, None, 0.02]])
    assert got[0] == pytest.approx(0.03) and n.tolist() == [2]
    assert np.isnan(cu.log_car_to_simple([None, 0.0])[0])


def test_error_texts_name_the_parameter() -> None:
    with pytest.raises(CrackdownError, match=r"^missing: expected one of skip, propagate, got 'zero'$"):
        cu.car(R, missing="zero")
    with pytest.raises(CrackdownError, match=r"^r: expected a \(pairs, window days\) matrix, got 1 dimension\(s\)$"):
        cu.compounded(np.zeros(3))
    with pytest.raises(CrackdownError, match=r"^r: expected a \(pairs, window days\) matrix, got 1 dimension"):
        cu.bhar(np.zeros(3), E)
    with pytest.raises(CrackdownError, match=r"^expected: expected a \(pairs, window days\) matrix, got 1 dim"):
        cu.bhar(R, np.zeros(3))

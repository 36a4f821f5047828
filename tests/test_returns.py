"""Gap-aware returns on hand-computed suspensions (crackdown.returns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crackdown import returns as gr
from crackdown.errors import CrackdownError


def _frame(values: dict[str, list[float]]) -> pd.DataFrame:
    n = len(next(iter(values.values())))
    return pd.DataFrame(values, index=pd.RangeIndex(n, name="session"))


def test_two_session_halt_is_booked_on_resumption() -> None:
    g = gr.gap_returns(_frame({"HIK": [10.0, np.nan, np.nan, 9.0, 9.9]}))
    np.testing.assert_allclose(g.returns["HIK"], [np.nan, np.nan, np.nan, -0.10, 0.10], equal_nan=True)
    assert g.spans["HIK"].tolist() == [0, 0, 0, 3, 1]


def test_drop_keeps_todays_rule() -> None:
    g = gr.gap_returns(_frame({"HIK": [10.0, np.nan, np.nan, 9.0, 9.9]}), attribute="drop")
    np.testing.assert_allclose(g.returns["HIK"], [np.nan, np.nan, np.nan, np.nan, 0.10], equal_nan=True)
    assert g.spans["HIK"].tolist() == [0, 0, 0, 0, 1]


def test_log_returns_and_max_span() -> None:
    prices = _frame({"A": [10.0, np.nan, 8.0, np.nan, np.nan, np.nan, 12.0]})
    g = gr.gap_returns(prices, kind="log", max_span=3)
    assert g.returns["A"].iloc[2] == pytest.approx(np.log(0.8))
    assert np.isnan(g.returns["A"].iloc[6]) and g.spans["A"].iloc[6] == 0  # 4 sessions > max_span 3
    assert g.spans["A"].tolist() == [0, 0, 2, 0, 0, 0, 0]


def test_missing_days_never_become_zero_returns() -> None:
    g = gr.gap_returns(_frame({"A": [np.nan, 5.0, np.nan, 5.0], "B": [1.0, 2.0, 4.0, np.nan]}))
    assert g.returns["A"].isna().tolist() == [True, True, True, False]
    assert g.returns["A"].iloc[3] == 0.0 and g.spans["A"].iloc[3] == 2  # a real flat price, not a fill
    np.testing.assert_allclose(g.returns["B"], [np.nan, 1.0, 1.0, np.nan], equal_nan=True)


def test_benchmark_covers_the_same_sessions() -> None:
    stock = _frame({"HIK": [10.0, np.nan, np.nan, 9.0], "DAH": [20.0, 21.0, np.nan, 18.9]})
    bench = np.array([100.0, 101.0, 99.0, 102.0])
    g = gr.gap_returns(stock)
    spans = g.spans.to_numpy()
    from_prices = gr.benchmark_over_spans(bench, spans)
    daily = np.array([np.nan, 0.01, 99 / 101 - 1, 102 / 99 - 1])
    from_returns = gr.compound_over_spans(daily, spans)
    # HIK: 3 sessions 100 -> 102; DAH: 1 session 100 -> 101, then 2 sessions 101 -> 102
    expected = np.array([[np.nan, np.nan], [np.nan, 0.01], [np.nan, np.nan], [0.02, 102 / 101 - 1]])
    np.testing.assert_allclose(from_prices, expected, equal_nan=True)
    np.testing.assert_allclose(from_returns, expected, equal_nan=True)
    abnormal = g.returns.to_numpy() - from_prices
    assert abnormal[3, 0] == pytest.approx(-0.10 - 0.02)


def test_compound_over_spans_log_and_benchmark_hole() -> None:
    spans = np.array([[0, 0], [1, 1], [2, 2], [3, 4]])
    logs = np.array([np.nan, 0.01, -0.02, 0.03])
    out = gr.compound_over_spans(logs, spans, kind="log")
    np.testing.assert_allclose(out[:, 0], [np.nan, 0.01, -0.01, 0.01 - 0.02 + 0.03], equal_nan=True)
    assert np.isnan(out[3, 1])  # span 4 reaches row 0, whose return is missing
    holed = np.array([0.0, 0.01, np.nan, 0.03])
    out = gr.compound_over_spans(holed, np.array([[0], [1], [1], [2]]))[:, 0]
    # a missing benchmark day inside the span is not papered over
    assert np.isnan(out[2]) and np.isnan(out[3])


def test_expected_over_spans() -> None:
    e = gr.expected_over_spans(
        np.array([0.001]), np.array([1.2]), np.array([[0.02], [np.nan]]), np.array([[3], [0]])
    )
    assert e[0, 0] == pytest.approx(3 * 0.001 + 1.2 * 0.02)
    assert np.isnan(e[1, 0])


def test_by_exchange_uses_own_sessions_across_golden_week() -> None:
    # Shenzhen closed 2019-10-01..07 (National Day): Sep 30 -> Oct 8 is one session, not a gap.
    # Then a two-session suspension (Oct 9, Oct 10) resumes on Oct 11: one return spanning 3 sessions.
    index = pd.DatetimeIndex(
        ["2019-09-30", "2019-10-07", "2019-10-08", "2019-10-09", "2019-10-10", "2019-10-11"]
    )
    prices = pd.DataFrame(
        {
            "002415.SZ": [10.0, np.nan, 10.5, np.nan, np.nan, 9.45],
            "HIK_US": [5.0, 5.5, 5.5, 5.5, 5.5, 5.5],  # a NYSE-listed column: Oct 7 is a NYSE session
        },
        index=index,
    )
    g = gr.gap_returns_by_exchange(prices, {"002415.SZ": "XSHE", "HIK_US": "XNYS"})
    sz = g.returns["002415.SZ"]
    assert sz["2019-10-08"] == pytest.approx(0.05) and g.spans["002415.SZ"]["2019-10-08"] == 1
    assert sz["2019-10-11"] == pytest.approx(-0.10) and g.spans["002415.SZ"]["2019-10-11"] == 3
    assert np.isnan(sz["2019-10-07"]) and g.spans["002415.SZ"]["2019-10-07"] == 0
    assert g.returns["HIK_US"]["2019-10-07"] == pytest.approx(0.10)  # Sep 30 -> Oct 7 on NYSE is a gap of
    assert g.spans["HIK_US"]["2019-10-07"] == 5  # Oct 1-4 with no price: five sessions spanned


def test_bad_inputs_name_the_parameter() -> None:
    with pytest.raises(CrackdownError, match="attribute"):
        gr.gap_returns(_frame({"A": [1.0, 2.0]}), attribute="fill")
    with pytest.raises(CrackdownError, match="kind"):
        gr.gap_returns(_frame({"A": [1.0, 2.0]}), kind="pct")
    with pytest.raises(CrackdownError, match="non-positive price"):
        gr.gap_returns(_frame({"A": [1.0, 0.0]}))
    with pytest.raises(CrackdownError, match="not a XSHE session"):
        gr.gap_returns_by_exchange(
            pd.DataFrame({"A": [1.0, 2.0]}, index=pd.DatetimeIndex(["2019-09-30", "2019-10-07"])),
            {"A": "XSHE"},
        )
    with pytest.raises(CrackdownError, match="exchanges"):
        gr.gap_returns_by_exchange(pd.DataFrame({"A": [1.0]}, index=pd.DatetimeIndex(["2019-09-30"])), {})


def test_drop_equals_the_plain_daily_rule() -> None:
    rng = np.random.default_rng(4)
    prices = pd.DataFrame(np.exp(rng.normal(0, 0.02, (60, 3)).cumsum(axis=0)) * 10, columns=["A", "B", "C"])
    prices.iloc[rng.integers(0, 60, 15), rng.integers(0, 3, 15)] = np.nan
    plain = prices / prices.shift(1) - 1  # NaN whenever either close is missing
    got = gr.gap_returns(prices, attribute="drop")
    pd.testing.assert_frame_equal(got.returns, plain)
    assert (got.spans.to_numpy() == plain.notna().to_numpy()).all()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.floats(min_value=0.5, max_value=2.0, allow_nan=False)),
        min_size=2,
        max_size=40,
    )
)
def test_no_move_is_lost_across_gaps(levels: list[float | None]) -> None:
    prices = pd.DataFrame({"A": [np.nan if v is None else v for v in levels]})
    valid = prices["A"].dropna()
    g = gr.gap_returns(prices)
    r = g.returns["A"].dropna()
    if len(valid) < 2:
        assert r.empty
        return
    assert np.prod(1 + r.to_numpy()) == pytest.approx(valid.iloc[-1] / valid.iloc[0], rel=1e-9)
    last, first = valid.index[-1], valid.index[0]
    assert g.spans["A"].sum() == last - first  # every session between the first and last close counted once


# --- error texts and span edges that mutation testing found unchecked (MUTATION.md) ---------------------------
def test_error_texts_name_the_parameter_and_the_bad_value() -> None:
    one = _frame({"A": [1.0, 2.0]})
    with pytest.raises(CrackdownError, match=r"^kind: expected one of simple, log, got 'pct'$"):
        gr.gap_returns(one, kind="pct")
    with pytest.raises(CrackdownError, match=r"^attribute: expected one of resumption, drop, got 'fill'$"):
        gr.gap_returns(one, attribute="fill")
    with pytest.raises(CrackdownError, match=r"^kind: expected one of simple, log, got 'pct'$"):
        gr.benchmark_over_spans(np.array([1.0, 2.0]), np.array([[0], [1]]), kind="pct")
    with pytest.raises(CrackdownError, match=r"^kind: expected one of simple, log, got 'pct'$"):
        gr.compound_over_spans(np.array([0.0, 0.01]), np.array([[0], [1]]), kind="pct")
    with pytest.raises(CrackdownError, match=r"^max_span: need at least 1 session, got 0$"):
        gr.gap_returns(one, max_span=0)
    # the first non-positive price, named with its column and session (a positive price below 1 is fine)
    with pytest.raises(CrackdownError, match=r"^prices: non-positive price -1.0 for 'A' on 1$"):
        gr.gap_returns(_frame({"A": [0.9, -1.0], "B": [3.0, 2.0]}))
    with pytest.raises(CrackdownError, match=r"^prices: empty price frame$"):
        gr.gap_returns_by_exchange(pd.DataFrame({"A": []}, index=pd.DatetimeIndex([])), {"A": "XNYS"})
    off = pd.DataFrame({"A": [1.0, 2.0, 2.1]}, index=pd.DatetimeIndex(["2019-09-30", "2019-10-07", "2019-10-08"]))
    with pytest.raises(CrackdownError, match=r"^prices: 'A' has a price on 2019-10-07, not a XSHE session$"):
        gr.gap_returns_by_exchange(off, {"A": "XSHE"})


def test_max_span_of_one_session_and_by_exchange() -> None:
    g = gr.gap_returns(_frame({"A": [10.0, 11.0, np.nan, 12.1]}), max_span=1)  # 1 is the smallest allowed span
    assert g.spans["A"].tolist() == [0, 1, 0, 0]
    index = pd.DatetimeIndex(["2019-10-08", "2019-10-09", "2019-10-10", "2019-10-11"])  # Shenzhen sessions
    prices = pd.DataFrame({"A": [10.0, np.nan, np.nan, 9.0]}, index=index)
    assert gr.gap_returns_by_exchange(prices, {"A": "XSHE"}).spans["A"].tolist() == [0, 0, 0, 3]
    capped = gr.gap_returns_by_exchange(prices, {"A": "XSHE"}, max_span=2)  # 3 sessions > 2: dropped
    assert capped.spans["A"].tolist() == [0, 0, 0, 0] and capped.returns["A"].isna().all()


def test_spans_reaching_before_the_first_session_have_no_benchmark_return() -> None:
    bench = np.array([100.0, 110.0])
    got = gr.benchmark_over_spans(bench, np.array([[0], [1]]))
    assert np.isnan(got[0, 0]) and got[1, 0] == pytest.approx(0.10)
    assert np.isnan(gr.benchmark_over_spans(bench, np.array([[0], [3]]))[1, 0])  # would start at row -2
    assert gr.benchmark_over_spans(bench, np.array([[0], [1]]), kind="log")[1, 0] == pytest.approx(np.log(1.1))
    daily = np.array([0.01, 0.02])
    compounded = gr.compound_over_spans(daily, np.array([[1], [2]]))  # span 2 at row 1: rows 0 and 1
    assert compounded[1, 0] == pytest.approx(1.01 * 1.02 - 1) and compounded[0, 0] == pytest.approx(0.01)
    assert np.isnan(gr.compound_over_spans(daily, np.array([[0], [3]]))[1, 0])  # needs a return before row 0


def test_benchmarks_given_per_security_columns() -> None:
    bench = np.array([[100.0, 10.0], [110.0, 9.0]])  # (T, N): one benchmark per security
    got = gr.benchmark_over_spans(bench, np.array([[0, 0], [1, 1]]))
    assert got[1].tolist() == pytest.approx([0.10, -0.10])
    daily = np.array([[0.01, 0.03], [0.02, -0.01]])
    out = gr.compound_over_spans(daily, np.array([[1, 1], [2, 1]]))
    assert out[1].tolist() == pytest.approx([1.01 * 1.02 - 1, -0.01])


def test_expected_over_spans_only_where_a_span_exists() -> None:
    e = gr.expected_over_spans(np.array([0.001]), np.array([1.2]), np.array([[0.02], [0.03]]), np.array([[1], [0]]))
    assert e[0, 0] == pytest.approx(0.001 + 1.2 * 0.02)  # one session: alpha once
    assert np.isnan(e[1, 0])  # no span, no expected return, even with a benchmark value

"""The reaction's long-short statistics on a hand-built table of pair CARs (values worked out by hand below), and
the cases without both legs; written for the survivors of mutation testing (MUTATION.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crackdown import reaction as rx

LONG, SHORT = "targeted_platform", "aligned_ai"

# event, group, car. A cell counts when it holds at least min_n = 2 CARs (a missing CAR does not count):
#   e1: targeted 0.01, 0.03; aligned 0.00 and a missing CAR -> one CAR, the event has no short leg
#   e2: targeted -0.02, -0.04 (mean -0.03); aligned 0.01, 0.03 (mean 0.02)  -> difference -0.05
#   e3: targeted 0.02, 0.00, 0.01 (mean 0.01); aligned -0.01, 0.01 (mean 0)  -> difference  0.01
#   e4: targeted -0.01, -0.03 (mean -0.02); aligned 0.02, 0.00 (mean 0.01)   -> difference -0.03
#   hard_tech pairs in every event never enter a targeted-minus-aligned statistic
ROWS = [
    ("e1", LONG, 0.01), ("e1", LONG, 0.03), ("e1", SHORT, 0.00), ("e1", SHORT, np.nan), ("e1", "hard_tech", 0.5),
    ("e2", LONG, -0.02), ("e2", LONG, -0.04), ("e2", SHORT, 0.01), ("e2", SHORT, 0.03), ("e2", "hard_tech", 0.5),
    ("e3", LONG, 0.02), ("e3", LONG, 0.00), ("e3", LONG, 0.01), ("e3", SHORT, -0.01), ("e3", SHORT, 0.01),
    ("e4", LONG, -0.01), ("e4", LONG, -0.03), ("e4", SHORT, 0.02), ("e4", SHORT, 0.00), ("e4", "hard_tech", -0.5),
    ("e4", "hard_tech", 0.7),
]
STATISTIC = (-0.05 + 0.01 - 0.03) / 3


def _reaction(rows=ROWS, min_n: int = 2) -> rx.Reaction:
    """A Reaction holding only the pair CARs (the statistics below read nothing else); ``eligible`` marks the
    pairs of cells with at least ``min_n`` CARs, as run_reaction does."""
    cars = pd.DataFrame(rows, columns=["event_id", "group", "car"])
    cars["symbol"] = [f"s{i}" for i in range(len(cars))]
    counted = cars.groupby(["event_id", "group"])["car"].transform("count")
    cars["eligible"] = cars["car"].notna() & (counted >= min_n)
    return rx.Reaction(result=None, fit=None, cars=cars, members=pd.DataFrame(), events=pd.DataFrame(),
                       window=(0, 0), min_n=min_n)


def test_long_short_statistic_counts_only_cells_with_min_n_cars() -> None:
    assert rx.long_short_statistic(_reaction()) == pytest.approx(STATISTIC, abs=1e-12)
    # with min_n = 1, e1 counts too: 0.02 - 0.00
    assert rx.long_short_statistic(_reaction(min_n=1)) == pytest.approx((0.02 - 0.07) / 4, abs=1e-12)


def test_long_short_statistic_without_an_event_holding_both_legs_is_nan() -> None:
    no_short = [row for row in ROWS if row[1] != SHORT]
    assert np.isnan(rx.long_short_statistic(_reaction(no_short)))
    assert np.isnan(rx.long_short_statistic(_reaction(), long="no_such_group"))


def test_leave_one_out_by_hand() -> None:
    loo = rx.leave_one_out(_reaction())
    # differences -0.05 (e2), 0.01 (e3), -0.03 (e4), sum -0.07; without one: (-0.07 - difference) / 2
    assert list(loo.index) == ["e2", "e4", "e3"]  # most negative first
    assert loo["difference"].to_numpy() == pytest.approx([-0.05, -0.03, 0.01], abs=1e-12)
    assert loo["without_it"].to_numpy() == pytest.approx([-0.01, -0.02, -0.04], abs=1e-12)


def test_leave_one_out_without_one_leg_is_empty() -> None:
    for legs in ({"long": "no_such_group"}, {"short": "no_such_group"}):
        loo = rx.leave_one_out(_reaction(), **legs)
        assert loo.empty and list(loo.columns) == ["difference", "without_it"]


def test_headline_without_a_test_keeps_its_label_and_rules() -> None:
    head = rx.headline(None, (0, 1), "china_market")
    assert head == {
        "label": "Targeted platforms minus aligned AI firms, CAR (0,1) over crackdown events, China market benchmarks",
        "statistic": "long-short CAR (targeted minus aligned AI)", "estimate": None, "p_value": None, "n": 0,
        "thesis_sign": -1,  # the thesis: targeted platforms fell more than aligned AI firms
        "p_value_rule": rx.P_VALUE_RULE, "benchmark_rule": "china_market"}
    assert "benchmark_rule" not in rx.headline({}, (0, 1))


def test_long_short_pooled_without_an_event_holding_both_legs() -> None:
    import test_reaction as tr  # the synthetic market of the reaction tests

    returns = tr._returns()
    members = rx.group_members(tr.GROUPS, tr.SECURITIES, rx.price_coverage(returns), benchmarks=["ETF"])
    events = rx.crackdown_events(start="2021-01-01", end="2022-12-31", events=tr.EVENTS, firms=tr.FIRMS)
    reaction = rx.run_reaction(returns, tr.SECURITIES, rx.merge_same_day0(events, members["exchange"]), members,
                               window=(0, 0), min_n=2)
    got = rx.long_short_pooled(reaction, long="no_such_group")
    assert set(got) == {"car", "se", "t", "p", "n_events"} and got["n_events"] == 0
    assert all(np.isnan(got[k]) for k in ("car", "se", "t", "p"))

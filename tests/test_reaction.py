"""crackdown.reaction on hand-built events, firms and synthetic returns laid on the real exchange calendars.

Reference numbers are recomputed here with numpy (per-pair OLS with np.polyfit, CARs by hand), never through
the engine's helpers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crackdown import eventstudy as es
from crackdown import placebo as pb
from crackdown import reaction as rx
from crackdown import words
from crackdown.calendars import event_day0, sessions
from crackdown.errors import CrackdownError
from crackdown.text import fmt_p, pct

SHOCK = -0.05  # abnormal return put on every targeted security at day 0 of every event

FIRMS = pd.DataFrame({
    "firm_id": ["plat_a", "plat_b", "plat_c", "edu_a", "ai_a", "ai_b", "chip_a", "phone_a"],
    "sector_group": ["consumer_platform", "consumer_platform", "fintech", "education", "ai_vision_speech",
                     "ai_vision_speech", "hard_tech", "telecom_equipment"],
})
GROUPS = pd.Series(["targeted_platform"] * 4 + ["aligned_ai"] * 2 + ["hard_tech", "other"],
                   index=pd.Index(FIRMS["firm_id"], name="firm_id"), name="group")

SECURITIES = pd.DataFrame([
    # symbol, firm_id, name, exchange, benchmark_symbol
    ("PA", "plat_a", "Plat A ADS", "XNYS", "IDX_GSPC"),
    ("PA.HK", "plat_a", "Plat A HK", "XHKG", "IDX_HSI"),
    ("PB", "plat_b", "Plat B ADS", "XNAS", "IDX_GSPC"),
    ("PC", "plat_c", "Plat C ADS", "XNYS", "IDX_GSPC"),
    ("ED", "edu_a", "Edu A ADS", "XNYS", "IDX_GSPC"),
    ("AI1.SZ", "ai_a", "AI A", "XSHE", "000300.SS"),
    ("AI2.SS", "ai_b", "AI B", "XSHG", "000300.SS"),
    ("CH.HK", "chip_a", "Chip A", "XHKG", "IDX_HSI"),
    ("ETF", None, "China ETF", "XNYS", "IDX_GSPC"),
    ("IDX_GSPC", None, "S&P 500", "XNYS", None),
    ("IDX_HSI", None, "Hang Seng", "XHKG", None),
    ("000300.SS", None, "CSI 300", "XSHG", None),
], columns=["symbol", "firm_id", "name", "exchange", "benchmark_symbol"])

EVENTS = pd.DataFrame([
    # event_id, date, precision, type, firm_ids, sectors
    ("plat_a_probe", "2021-04-12", "day", "probe", "plat_a", "consumer_platform"),
    ("plat_a_fine_sat", "2021-04-10", "day", "fine", "plat_a", "consumer_platform"),  # Saturday: day 0 Mon 12th
    ("edu_rules", "2021-07-26", "day", "rule", "edu_a", "education"),
    ("sector_rule", "2021-09-15", "day", "rule", "", "fintech"),
    ("month_only", "2021-05-01", "month", "fine", "plat_b", "consumer_platform"),
    ("ai_policy", "2021-06-01", "day", "policy", "ai_a", "ai_vision_speech"),
    ("ai_rule", "2021-06-08", "day", "rule", "ai_a", "ai_vision_speech"),
    ("chip_fine", "2021-10-12", "day", "fine", "chip_a", "hard_tech"),
    ("too_late", "2023-06-01", "day", "fine", "plat_a", "consumer_platform"),
    ("ai_sanction", "2021-03-10", "day", "sanction", "ai_a;chip_a", "ai_vision_speech"),
    ("ai_b_sanction_early", "2019-07-01", "day", "sanction", "ai_b", "ai_vision_speech"),
], columns=["event_id", "date", "date_precision", "type", "firm_ids", "sectors"]).assign(
    date=lambda d: pd.to_datetime(d["date"]), time_beijing="")

START, END = "2019-06-01", "2022-06-30"


def _own_sessions(symbol: str) -> pd.DatetimeIndex:
    mic = SECURITIES.set_index("symbol").loc[symbol, "exchange"]
    return sessions(mic, START, END)


def _returns(seed: int = 3, shock: float = SHOCK, event_ids=("plat_a_probe", "edu_rules", "sector_rule")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    bench = {b: pd.Series(rng.normal(0.0003, 0.01, len(_own_sessions(b))), _own_sessions(b))
             for b in ("IDX_GSPC", "IDX_HSI", "000300.SS")}
    out = dict(bench)
    sec = SECURITIES.set_index("symbol")
    targeted = set(SECURITIES.loc[SECURITIES["firm_id"].map(GROUPS).eq("targeted_platform"), "symbol"])
    dates = EVENTS.set_index("event_id").loc[list(event_ids), "date"]
    for i, symbol in enumerate(s for s in sec.index if s not in bench):
        own = _own_sessions(symbol)
        b = sec.loc[symbol, "benchmark_symbol"]
        r = 0.0002 * i + (0.7 + 0.1 * i) * bench[b].reindex(own).fillna(0.0) + rng.normal(0, 0.015, len(own))
        r = pd.Series(r, own)
        if symbol in targeted:
            r.loc[event_day0(sec.loc[symbol, "exchange"], dates)] += shock
        out[symbol] = r
    frame = pd.DataFrame(out).sort_index()
    frame.loc[:"2020-11-30", "AI2.SS"] = np.nan  # AI B listed late: too few estimation days for early events
    frame.loc[:"2020-12-31", "PA.HK"] = np.nan  # plat_a's HK line is the shorter one
    return frame


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    return _returns()


@pytest.fixture(scope="module")
def members(returns: pd.DataFrame) -> pd.DataFrame:
    return rx.group_members(GROUPS, SECURITIES, rx.price_coverage(returns), benchmarks=["ETF"])


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return rx.crackdown_events(start="2021-01-01", end="2022-12-31", events=EVENTS, firms=FIRMS)


@pytest.fixture(scope="module")
def reaction(returns, members, events) -> rx.Reaction:
    merged = rx.merge_same_day0(events, members["exchange"])
    return rx.run_reaction(returns, SECURITIES, merged, members, window=(0, 0), min_n=2)


# --- events --------------------------------------------------------------------------------------------------
def test_crackdown_events_keep_punitive_day_precise_events_aimed_at_targeted_firms_or_sectors(events) -> None:
    assert list(events["event_id"]) == ["plat_a_fine_sat", "plat_a_probe", "edu_rules", "sector_rule"]
    assert events.set_index("event_id").loc["sector_rule", "targets"] == ""
    assert events.set_index("event_id").loc["edu_rules", "targets"] == "edu_a"


def test_crackdown_events_types_and_errors() -> None:
    only_rules = rx.crackdown_events(["rule"], "2021-01-01", "2022-12-31", events=EVENTS, firms=FIRMS)
    assert set(only_rules["type"]) == {"rule"}
    with pytest.raises(CrackdownError, match="event_types"):
        rx.crackdown_events(["fien"], events=EVENTS, firms=FIRMS)
    with pytest.raises(CrackdownError, match="empty"):
        rx.crackdown_events(["merger_block"], events=EVENTS, firms=FIRMS)
    with pytest.raises(CrackdownError, match="start"):
        rx.crackdown_events(start="2022-01-01", end="2021-01-01", events=EVENTS, firms=FIRMS)


def test_merge_same_day0_joins_events_whose_windows_coincide(events) -> None:
    merged = rx.merge_same_day0(events, ["XNYS", "XSHE", "XHKG"])
    assert len(merged) == len(events) - 1
    row = merged.set_index("event_id").loc["plat_a_fine_sat"]
    assert row["merged_ids"] == "plat_a_fine_sat;plat_a_probe"
    assert row["type"] == "fine;probe"
    assert merged.set_index("event_id").loc["edu_rules", "merged_ids"] == "edu_rules"


# --- securities ----------------------------------------------------------------------------------------------
def test_choose_listings_takes_the_longest_coverage_and_respects_the_market(returns) -> None:
    cov = rx.price_coverage(returns)
    chosen = rx.choose_listings(["plat_a", "ai_a"], SECURITIES, cov).set_index("firm_id")["symbol"]
    assert chosen.to_dict() == {"plat_a": "PA", "ai_a": "AI1.SZ"}
    hk = rx.choose_listings(["plat_a", "ai_a"], SECURITIES, cov, market="HK")
    assert list(hk["symbol"]) == ["PA.HK"]
    with pytest.raises(CrackdownError, match="market"):
        rx.choose_listings(["plat_a"], SECURITIES, cov, market="EU")


def test_group_members_map_firm_groups_and_benchmarks(members, returns) -> None:
    by_group = members.groupby("group", observed=True)["symbol"].apply(sorted).to_dict()
    assert by_group == {"targeted_platform": ["ED", "PA", "PB", "PC"], "aligned_ai": ["AI1.SZ", "AI2.SS"],
                        "hard_tech": ["CH.HK"], "benchmark": ["ETF"]}
    with pytest.raises(CrackdownError, match="benchmarks"):
        rx.group_members(GROUPS, SECURITIES, rx.price_coverage(returns), benchmarks=["ETX"])


def test_study_securities_gives_indices_the_world_benchmark() -> None:
    sec = rx.study_securities(SECURITIES, ["IDX_HSI", "PA"]).set_index("symbol")["benchmark_symbol"]
    assert sec["IDX_HSI"] == "IDX_GSPC" and sec["PA"] == "IDX_GSPC" and pd.isna(sec["000300.SS"])


# --- the study -----------------------------------------------------------------------------------------------
def _manual_car(returns: pd.DataFrame, symbol: str, bench: str, mic: str, date, window=(0, 0),
                est=(-250, -11)) -> float:
    """Market-model CAR by hand: OLS by np.polyfit on the own-session estimation window."""
    own = sessions(mic, START, END)
    r = returns[symbol].reindex(own)
    m = returns[bench].reindex(own)
    pos = own.get_loc(event_day0(mic, [date])[0])
    e = slice(pos + est[0], pos + est[1] + 1)
    ok = r.iloc[e].notna() & m.iloc[e].notna()
    beta, alpha = np.polyfit(m.iloc[e][ok], r.iloc[e][ok], 1)
    w = slice(pos + window[0], pos + window[1] + 1)
    return float((r.iloc[w] - alpha - beta * m.iloc[w]).sum())


def test_pair_cars_match_a_hand_computed_market_model(reaction, returns) -> None:
    cars = reaction.cars.set_index(["event_id", "symbol"])["car"]
    edu = EVENTS.set_index("event_id").loc["edu_rules", "date"]
    assert cars[("edu_rules", "ED")] == pytest.approx(_manual_car(returns, "ED", "IDX_GSPC", "XNYS", edu), abs=1e-10)
    assert cars[("edu_rules", "AI1.SZ")] == pytest.approx(
        _manual_car(returns, "AI1.SZ", "000300.SS", "XSHE", edu), abs=1e-10)


def test_min_n_rule_blanks_thin_cells_and_counts_are_honest(reaction) -> None:
    n = rx.n_by_event(reaction)
    # AI2.SS has no estimation window before March 2021: only one aligned security for the April event
    assert n.loc["plat_a_fine_sat", "aligned_ai"] == 1
    assert n.loc["edu_rules", "aligned_ai"] == 2
    assert (n["hard_tech"] == 1).all() and (n["benchmark"] == 1).all()
    table = rx.event_table(reaction)
    assert np.isnan(table.loc["plat_a_fine_sat", ("caar", "aligned_ai")])
    assert np.isnan(table.loc["plat_a_fine_sat", ("long_short", "car")])
    assert not np.isnan(table.loc["edu_rules", ("caar", "aligned_ai")])
    assert table[("caar", "hard_tech")].isna().all()
    counts = rx.n_by_group(reaction)
    assert counts["aligned_ai"] == {"securities": 2, "pairs": 4, "events": 2}
    assert counts["hard_tech"]["pairs"] == 0


def test_pooled_tests_and_long_short_find_the_planted_shock(reaction) -> None:
    pooled = rx.pooled_tests(reaction)
    assert list(pooled.index) == ["targeted_platform", "aligned_ai"]  # hard_tech/benchmark: below min_n
    assert pooled.loc["targeted_platform", "caar"] == pytest.approx(SHOCK, abs=0.02)
    assert pooled.loc["targeted_platform", "p_cs"] < 0.01
    assert abs(pooled.loc["aligned_ai", "caar"]) < 0.03
    ls = rx.long_short_pooled(reaction)
    assert ls["n_events"] == 2
    assert ls["car"] == pytest.approx(SHOCK, abs=0.025) and ls["t"] < 0
    # the long-short CAR is the mean over events of (mean targeted CAR - mean aligned CAR), by hand
    c = reaction.cars[reaction.cars["eligible"]]
    legs = c.pivot_table(index="event_id", columns="group", values="car", aggfunc="mean", observed=True)
    by_hand = (legs["targeted_platform"] - legs["aligned_ai"]).dropna().mean()
    assert ls["car"] == pytest.approx(by_hand, abs=1e-12)
    assert rx.long_short_statistic(reaction) == pytest.approx(by_hand, abs=1e-12)


def test_leave_one_out_drops_each_event_in_turn(reaction) -> None:
    loo = rx.leave_one_out(reaction)
    assert len(loo) == 2 and loo["difference"].is_monotonic_increasing
    # with two events, leaving one out leaves the other's difference
    assert loo["without_it"].iloc[0] == pytest.approx(loo["difference"].iloc[1], abs=1e-12)
    assert loo["difference"].mean() == pytest.approx(rx.long_short_statistic(reaction), abs=1e-12)


def test_caar_path_is_the_mean_running_car_with_a_band(returns, members, events) -> None:
    r = rx.run_reaction(returns, SECURITIES, events, members, window=(-1, 1))
    path = rx.caar_path(r, (-2, 3)).set_index(["group", "rel_day"])
    ar = es.abnormal_returns(r.fit, (-2, 3))
    target = ar[ar["symbol"].isin(["PA", "PB", "PC", "ED"])]
    running = target[target["rel_day"] <= 1].groupby(["event_id", "symbol"])["ar"].sum()
    row = path.loc[("targeted_platform", 1)]
    assert row["caar"] == pytest.approx(running.mean(), abs=1e-12)
    assert row["n"] == len(running)
    assert row["lo"] < row["caar"] < row["hi"]
    assert row["hi"] - row["caar"] == pytest.approx(1.959964 * running.std(ddof=1) / np.sqrt(len(running)), rel=1e-5)


def test_car_matrix_and_overlaps(reaction) -> None:
    m = rx.car_matrix(reaction)
    assert list(m.columns) == list(reaction.events["event_id"])
    assert m.index[0] in {"ED", "PA", "PB", "PC"} and m.index[-1] == "ETF"
    assert rx.overlapping_events(reaction).empty  # day-0 windows months apart
    close = pd.DataFrame({"event_id": ["x", "y", "z"], "date": pd.to_datetime(["2021-07-05", "2021-07-06",
                                                                                 "2021-09-01"]),
                          "time_beijing": "", "type": "rule", "targets": ""})
    r = rx.run_reaction(_returns(), SECURITIES, close, rx.group_members(
        GROUPS, SECURITIES, rx.price_coverage(_returns()), benchmarks=["ETF"]), window=(-1, 1))
    assert rx.overlapping_events(r).set_index("event_id")["overlaps_with"].to_dict() == {"x": "y", "y": "x"}


def test_run_reaction_rejects_bad_min_n(returns, members, events) -> None:
    with pytest.raises(CrackdownError, match="min_n"):
        rx.run_reaction(returns, SECURITIES, events, members, min_n=0)


# --- placebo -------------------------------------------------------------------------------------------------
def test_placebo_is_seeded_avoids_events_and_rejects_a_planted_shock(reaction) -> None:
    a = rx.placebo_long_short(reaction, n=40, seed=5)
    b = rx.placebo_long_short(reaction, n=40, seed=5)
    np.testing.assert_array_equal(a["placebo"], b["placebo"])
    k = a["n_placebo"]
    assert k == np.isfinite(a["placebo"]).sum() >= 10  # draws before AI B's prices lack an aligned leg
    assert a["actual"] == pytest.approx(rx.long_short_pooled(reaction)["car"], abs=1e-12)
    assert a["p_two_sided"] == pytest.approx(1 / (k + 1))  # no random date shows a -5% long-short move
    assert np.nanmax(np.abs(a["placebo"])) < abs(a["actual"])
    with pytest.raises(CrackdownError, match="n_placebo"):
        rx.placebo_long_short(reaction, n=0)
    with pytest.raises(CrackdownError, match="exclude_days"):  # negative: real event dates could be drawn
        rx.placebo_long_short(reaction, n=5, exclude_days=-1)


def test_each_placebo_draw_is_its_own_event_study(reaction) -> None:
    """Each draw's statistic equals the engine run on that draw's dates alone (one pseudo-event per real event,
    the real events' securities), with the long-short written out here: the per-date CAR table the placebo
    reuses across draws changes no number."""
    n, seed = 6, 9
    out = rx.placebo_long_short(reaction, n=n, seed=seed, pool="uniform")
    ids = reaction.events["event_id"].to_numpy()
    cands = rx._placebo_dates(reaction, None, 10, 365)
    draws, _ = pb.draw_pool("uniform", cands, n, pd.Series(pd.to_datetime(reaction.events["date"]).to_numpy(),
                                                             index=ids), seed)
    legs = reaction.cars[reaction.cars["group"].isin([rx.LONG, rx.SHORT])]
    group = reaction.members.set_index("symbol")["group"].astype(str)
    f = reaction.result.fit
    for i in range(n):
        pseudo = pd.DataFrame({"event_id": ids, "date": draws[i]})
        mapped = es.make_pairs(f.panel, pseudo, legs[["event_id", "symbol"]])
        mapped = mapped[mapped["pos0"] >= 0].reset_index(drop=True)
        cars = es.car(es.fit(f.panel, mapped, f.model, f.estimation, f.min_obs, errors="drop"), reaction.window)
        cars = cars[cars["car"].notna()].assign(group=lambda c: c["symbol"].map(group))
        cells = cars.groupby(["event_id", "group"])["car"].agg(["mean", "size"])
        means = cells[cells["size"] >= reaction.min_n]["mean"].unstack("group")
        if rx.LONG not in means or rx.SHORT not in means:
            assert np.isnan(out["placebo"][i])
            continue
        diff = (means[rx.LONG] - means[rx.SHORT]).dropna()
        expected = diff.mean() if len(diff) else np.nan
        np.testing.assert_allclose(out["placebo"][i], expected, rtol=0, atol=1e-12)
    assert np.isfinite(out["placebo"]).sum() >= 3  # the check above compared real numbers


def test_placebo_without_an_effect_is_not_significant(members, events) -> None:
    flat = _returns(seed=11, shock=0.0)
    r = rx.run_reaction(flat, SECURITIES, events, members, window=(0, 0))
    out = rx.placebo_long_short(r, n=60, seed=1)
    assert out["p_two_sided"] > 0.05


# --- reverse -------------------------------------------------------------------------------------------------
def test_reverse_study_uses_only_the_named_firms_with_prices(returns, members) -> None:
    aligned = members[members["group"] == "aligned_ai"]
    rows = rx.adverse_events(aligned["firm_id"], start="2019-01-01", end="2023-12-31", events=EVENTS)
    assert sorted(zip(rows["event_id"], rows["firm_id"], strict=True)) == [
        ("ai_b_sanction_early", "ai_b"), ("ai_sanction", "ai_a")]
    out = rx.run_reverse(returns, SECURITIES, rows, aligned, window=(0, 0))
    assert list(out["pairs"]["symbol"]) == ["AI1.SZ"]  # AI B had no prices in 2019: dropped and listed
    assert list(out["dropped"]["symbol"]) == ["AI2.SS"]
    date = EVENTS.set_index("event_id").loc["ai_sanction", "date"]
    assert out["tests"]["caar"] == pytest.approx(_manual_car(returns, "AI1.SZ", "000300.SS", "XSHE", date), abs=1e-10)
    assert out["tests"]["n"] == 1


def test_placebo_dates_keep_away_from_real_and_avoided_events(reaction) -> None:
    avoid = ["2021-06-01"]
    cands = pd.DatetimeIndex(rx._placebo_dates(reaction, avoid, exclude_days=10, span_days=365))
    union = sessions("XNYS", START, END).union(sessions("XHKG", START, END)).union(sessions("XSHG", START, END))
    pos = union.get_indexer(cands)
    for day in [*reaction.result.fit.pairs["day0"].unique(), pd.Timestamp("2021-06-01")]:
        assert (np.abs(pos - union.searchsorted(day)) > 10).all()
    first = pd.to_datetime(reaction.events["date"]).min()
    assert cands.min() >= first - pd.Timedelta(days=365)


def test_reverse_study_without_priced_adverse_events_is_empty_not_an_error(returns, members) -> None:
    aligned = members[members["group"] == "aligned_ai"]
    rows = rx.adverse_events(["ai_b"], start="2019-01-01", end="2019-12-31", events=EVENTS)
    out = rx.run_reverse(returns, SECURITIES, rows, aligned, window=(0, 0))
    assert out["pairs"].empty and out["tests"]["n"] == 0 and np.isnan(out["tests"]["caar"])
    assert list(out["dropped"]["symbol"]) == ["AI2.SS"]
    none = rx.run_reverse(returns, SECURITIES, rows.iloc[:0], aligned)
    assert none["pairs"].empty and none["dropped"].empty


# --- results and narrative -----------------------------------------------------------------------------------
def test_text_formatting_of_percentages_and_p_values() -> None:
    assert pct(-0.0123) == "-1.2%" and pct(0.5) == "50.0%"
    assert pct(None) == "n/a" and pct(np.nan) == "n/a"
    assert fmt_p(0.0004) == "< 0.001" and fmt_p(0.001) == "= 0.001" and fmt_p(0.04213) == "= 0.042"
    assert fmt_p(None) == "n/a" and fmt_p(np.nan) == "n/a"


def test_group_record_of_a_group_missing_from_the_pooled_table_is_empty(reaction) -> None:
    pooled = rx.pooled_tests(reaction)
    assert "hard_tech" not in pooled.index  # below min_n in every event
    assert rx.group_record(pooled, "hard_tech") == {"car": None, "n": 0}
    tg = rx.group_record(pooled, "targeted_platform")
    assert tg["car"] == pooled.loc["targeted_platform", "caar"] and tg["n"] == pooled.loc["targeted_platform", "n"]
    assert isinstance(tg["n"], int) and tg["p_kp"] == pooled.loc["targeted_platform", "p_kp"]


def _inf(estimate: float, p: float, n: int):
    from crackdown.inference import Inference

    return Inference(estimate, 0.01, estimate / 0.01, p, n)


def test_headline_quotes_the_most_conservative_defensible_test() -> None:
    # events (n 8) and calendar time (n 40) are defensible; clusters has only 5 (< 6); pairs never count
    tests = {"pairs": _inf(-0.03, 0.001, 300), "events": _inf(-0.028, 0.20, 8), "clusters": _inf(-0.02, 0.6, 5),
             "calendar_time": _inf(-0.004, 0.10, 40)}
    h = rx.headline(tests, (-1, 1))
    assert h["p_value"] == 0.20 and h["estimate"] == -0.028 and h["n"] == 8
    assert "events as observations" in h["statistic"] and "(-1,1)" in h["label"]
    assert "events" in h["p_value_rule"]
    # calendar time chosen: its mean daily AR is quoted on the CAR scale (times 3 window days)
    cal = rx.headline({**tests, "calendar_time": _inf(-0.004, 0.35, 40)}, (-1, 1))
    assert cal["p_value"] == 0.35 and cal["estimate"] == pytest.approx(-0.012) and cal["n"] == 40
    # none defensible: the largest p is quoted and called indicative
    few = rx.headline({"events": _inf(-0.01, 0.3, 2), "clusters": _inf(-0.01, 0.4, 2)}, (0, 0))
    assert few["p_value"] == 0.4 and "indicative" in few["p_value_rule"]
    assert rx.headline(None, (-1, 1))["p_value"] is None


@pytest.fixture(scope="module")
def closing(reaction, returns, members):
    pooled = rx.pooled_tests(reaction)
    ls = rx.long_short_pooled(reaction)
    placebo = rx.placebo_long_short(reaction, n=20, seed=2)
    aligned = members[members["group"] == "aligned_ai"]
    rows = rx.adverse_events(aligned["firm_id"], start="2019-01-01", end="2023-12-31", events=EVENTS)
    reverse = rx.run_reverse(returns, SECURITIES, rows, aligned, window=(0, 0))
    record = rx.results_record(reaction, pooled, ls, placebo, reverse, 5, {"seed": 2})
    return {"pooled": pooled, "ls": ls, "placebo": placebo, "reverse": reverse, "record": record}


def test_results_record_holds_the_estimates_counts_and_groups(reaction, members, closing) -> None:
    rec, ls, placebo = closing["record"], closing["ls"], closing["placebo"]
    assert rec["long_short_car"] == ls["car"] and rec["n_events_long_short"] == ls["n_events"] == 2
    inf = rec["inference"]
    assert set(inf["long_short"]) == {"pairs", "events", "clusters", "calendar_time"}
    assert inf["long_short"]["calendar_time"] is None  # window (0,0) x 2 events: 2 days, fewer than 3
    for name in ("pairs", "events", "clusters"):
        assert set(inf["long_short"][name]) == {"estimate", "se", "t", "p_value", "n"}
    # two events with both legs, by hand: the events test is the t over the per-event differences
    c = reaction.cars[reaction.cars["eligible"]]
    per = c.pivot_table(index="event_id", columns="group", values="car", aggfunc="mean", observed=True)
    d = (per["targeted_platform"] - per["aligned_ai"]).dropna()
    assert inf["long_short"]["events"]["n"] == 2
    assert inf["long_short"]["events"]["estimate"] == pytest.approx(d.mean())
    assert inf["long_short"]["events"]["se"] == pytest.approx(d.std(ddof=1) / np.sqrt(2))
    # no test reaches its minimum n here, so the headline quotes the largest p of the three, flagged
    three = {k: inf["long_short"][k] for k in ("events", "clusters", "calendar_time") if inf["long_short"][k]}
    assert rec["headline"]["p_value"] == max(v["p_value"] for v in three.values())
    assert "indicative" in rec["headline"]["p_value_rule"] and inf["headline"]["test"] in three
    assert rec["placebo_p_mc_se"] == pytest.approx(
        np.sqrt(placebo["p_two_sided"] * (1 - placebo["p_two_sided"]) / placebo["n_placebo"]))
    assert rec["day0_rules"] == {"n_events": len(reaction.events), "n_date_fallback": len(reaction.events),
                                 "n_timed": 0}
    assert rec["returns_rule"]["gaps"] == "drop" and rec["returns_rule"]["n_pairs_spanning"] == 0
    # BHAR long-short by events: per-event difference of the legs' mean BHARs, by hand
    bh = c.pivot_table(index="event_id", columns="group", values="bhar", aggfunc="mean", observed=True)
    d_bhar = (bh["targeted_platform"] - bh["aligned_ai"]).dropna()
    assert rec["long_short_bhar_inference"]["events"]["estimate"] == pytest.approx(d_bhar.mean())
    assert rec["long_short_bhar_inference"]["events"]["n"] == 2
    assert "calendar_time" not in rec["long_short_bhar_inference"]
    assert rec["bhar_by_group"]["targeted_platform"] == pytest.approx(
        c.loc[c["group"] == "targeted_platform", "bhar"].mean())
    assert rec["placebo_p"] == placebo["p_two_sided"] and rec["placebo_n"] == placebo["n_placebo"]
    assert rec["n_events"] == len(reaction.events) and rec["event_ids"] == list(reaction.events["event_id"])
    assert rec["n_events_before_merge"] == 5 and rec["n_overlapping_events"] == 0
    assert list(rec["caar_by_group"]) == list(rx.GROUPS)
    assert rec["caar_by_group"]["benchmark"] == {"car": None, "n": 0}
    assert rec["n_by_group"]["targeted_platform"]["pairs"] == rec["caar_by_group"]["targeted_platform"]["n"]
    # leave-one-out: the most negative event by hand, and the other event's difference without it
    c = reaction.cars[reaction.cars["eligible"]]
    legs = c.pivot_table(index="event_id", columns="group", values="car", aggfunc="mean", observed=True)
    diff = (legs["targeted_platform"] - legs["aligned_ai"]).dropna()
    loo = rec["long_short_leave_one_out"]
    assert loo["most_negative_event"] == diff.idxmin()
    assert loo["without_most_negative"] == pytest.approx(diff.max()) and loo["min"] <= loo["max"]
    rev = rec["reverse_caar"]
    assert rev["n"] == 1 and rev["n_events"] == 1 and [p["symbol"] for p in rev["pairs"]] == ["AI1.SZ"]
    assert len(rec["members"]) == len(members) and all(isinstance(m["group"], str) for m in rec["members"])
    assert rec["parameters"] == {"seed": 2}
    assert f"long-short {ls['car']:.1%}" in words.reaction.answer(_written(rec), {})


def test_results_record_without_a_long_short_estimate(reaction, closing) -> None:
    ls = {"car": np.nan, "se": np.nan, "t": np.nan, "p": np.nan, "n_events": 0}
    rec = rx.results_record(reaction, closing["pooled"], ls, closing["placebo"], closing["reverse"], 5, {})
    assert rec["long_short_leave_one_out"] is None and rec["headline"]["p_value"] is None
    assert words.reaction.answer(_written(rec), {}).startswith("No crackdown event")


def _written(record: dict, **parameters) -> dict:
    """04's record as written to JSON, with the parameters its words read (window (0, 0), 2021-2022)."""
    return words.as_written("04_market_reaction", {**record, "parameters": {
        "window": [0, 0], "start": "2021-01-01", "end": "2022-12-31", **parameters}})


def test_narrative_states_the_sign_the_estimate_has(reaction, closing) -> None:
    rec = closing["record"]
    text = words.reaction.narrative(_written(rec), {})
    assert rec["long_short_car"] < 0
    assert "below the aligned AI firms" in text and "the sign the thesis predicts" in text
    assert f"**{rec['n_events']} crackdown events**" in text and "between 2021-01-01 and 2022-12-31" in text
    assert "hard-tech firms n/a" in text  # a group without a pooled CAAR
    assert "Caveats: the aligned AI group is small (2 securities with a usable CAR: AI1.SZ, AI2.SS)" in text
    worst = rx.summary_table(rx.event_table(reaction)).sort_values("CAR targeted %").iloc[0]
    assert f"The largest targeted-group drops came on {worst['date']} ({worst.name}: " in text
    labelled = words.reaction.narrative(_written(rec), {worst.name: "Regulator fines a platform"})
    assert f"came on {worst['date']} (Regulator fines a platform: " in labelled
    flipped = words.reaction.narrative(_written({**rec, "long_short_car": 0.02}), {})
    assert "above the aligned AI firms" in flipped and "the opposite of what the thesis predicts" in flipped
    none = words.reaction.narrative(_written({**rec, "long_short_car": np.nan}), {})
    assert "long-short portfolio" not in none and "Reverse:" in none


def test_coverage_note_counts_thin_cells_and_dropped_pairs(reaction) -> None:
    note = words.reaction.coverage(words.as_written("04_market_reaction", {"coverage": rx.coverage_facts(reaction)}), {})
    n = reaction.cars.groupby(["event_id", "group"], observed=False)["valid"].sum().unstack()
    thin_hard_tech = int((n.reindex(reaction.events["event_id"])["hard_tech"].fillna(0) < reaction.min_n).sum())
    assert f"`min_n` = {reaction.min_n}" in note
    assert f"hard tech in {thin_hard_tech} of {len(reaction.events)} events" in note
    assert f"{len(reaction.result.dropped)} (event, security) pairs" in note


# --- benchmark rules (issue 15) ------------------------------------------------------------------------------
def test_rule_securities_gives_firm_securities_the_china_market_of_their_exchange() -> None:
    sec = pd.DataFrame({"symbol": ["BABA", "0700.HK", "002415.SZ", "KWEB"],
                        "firm_id": ["alibaba", "tencent", "hikvision", None],
                        "exchange": ["XNYS", "XHKG", "XSHE", "XNYS"],
                        "benchmark_symbol": ["IDX_GSPC", "IDX_HSI", "000300.SS", "IDX_GSPC"]})
    china = rx.rule_securities(sec, "china_market", {"XNYS": "MCHI", "XHKG": "IDX_HSI", "XSHE": "000300.SS"})
    assert china["benchmark_symbol"].tolist() == ["MCHI", "IDX_HSI", "000300.SS", "IDX_GSPC"]
    assert rx.rule_securities(sec, "local_market")["benchmark_symbol"].tolist() == sec["benchmark_symbol"].tolist()
    with pytest.raises(CrackdownError, match="china_market: no China benchmark for exchange 'XSHE'"):
        rx.rule_securities(sec, "china_market", {"XNYS": "MCHI", "XHKG": "IDX_HSI"})
    with pytest.raises(CrackdownError, match="benchmark_rule"):
        rx.rule_securities(sec, "world")


def test_within_market_long_short_is_pooled_by_hand() -> None:
    from scipy import stats

    from crackdown import inference

    cars = pd.DataFrame({
        "event_id": ["E1"] * 6 + ["E2"] * 3,
        "stratum": ["US", "US", "US", "HK", "HK", "HK", "US", "HK", "HK"],
        "group": ["L", "L", "S", "L", "S", "S", "L", "L", "S"],
        "car": [0.1, 0.3, -0.1, 0.0, 0.2, 0.4, 0.9, 0.5, 0.1]})
    within, _ = inference.within_strata_inputs(cars, None, ("L", "S"))
    cell = within.set_index(["event_id", "stratum"])["car"]
    assert cell.to_dict() == pytest.approx({("E1", "HK"): -0.3, ("E1", "US"): 0.3, ("E2", "HK"): 0.4})
    ev = inference.events_test(within, inference.WITHIN)  # E1 averages its markets: 0.0; E2: 0.4
    ref = stats.ttest_1samp([0.0, 0.4], 0.0)
    assert (ev.estimate, ev.t, ev.p_value, ev.n) == pytest.approx((0.2, ref.statistic, ref.pvalue, 2))
    daily = pd.DataFrame({"date": pd.to_datetime(["2021-01-04"] * 4), "stratum": ["US", "US", "HK", "HK"],
                          "group": ["L", "S", "L", "S"], "ar": [0.02, 0.01, -0.03, 0.01], "event_id": "E1"})
    _, d = inference.within_strata_inputs(cars, daily, ("L", "S"))
    assert d.sort_values("stratum")["ar"].tolist() == pytest.approx([-0.04, 0.01])
    with pytest.raises(CrackdownError, match="needs \\(long, short\\)"):
        inference.within_strata_inputs(cars, None, "L")


def test_economy_wide_events_are_the_rules_that_name_no_firm() -> None:
    events = pd.DataFrame({
        "event_id": ["law_all", "rule_named", "policy_sector", "fine_all", "late_law", "month_rule"],
        "date": pd.to_datetime(["2021-06-10", "2021-07-06", "2021-08-17", "2021-04-10", "2023-06-01",
                                "2021-09-01"]),
        "date_precision": ["day", "day", "day", "day", "day", "month"],
        "type": ["law", "rule", "policy", "fine", "law", "rule"],
        "firm_ids": ["", "didi;kanzhun", "", "", "", ""],
        "sectors": ["", "", "consumer_platform", "", "", ""]})
    out = rx.economy_wide_events("2020-11-01", "2022-12-31", events=events)
    # named firms, enforcement types, dates outside the span and month precision are left out; sectors do not matter
    assert out["event_id"].tolist() == ["law_all", "policy_sector"]
    assert out["targets"].eq("").all()
    with pytest.raises(CrackdownError, match="economy_wide_types"):
        rx.economy_wide_events("2020-11-01", "2022-12-31", types=["review"], events=events)


def test_by_benchmark_record_quotes_the_most_conservative_test_per_rule() -> None:
    from crackdown import inference

    tests = {"pairs": inference.Inference(-0.02, 0.005, -4.0, 0.0001, 300),
             "events": inference.Inference(-0.02, 0.01, -2.0, 0.06, 20),
             "clusters": inference.Inference(-0.018, 0.012, -1.5, 0.15, 12),
             "calendar_time": inference.Inference(-0.004, 0.003, -1.33, 0.19, 60)}
    study = {"alike": True, "markets": ["all"], "benchmarks_by_exchange": {"XNYS": "MCHI"}, "tests": tests,
             "headline": rx.headline_choice(tests), "n_pairs": {"targeted_platform": 200, "aligned_ai": 100}}
    record = rx.by_benchmark_record({"china_market": study}, (-1, 1))["china_market"]
    assert record["headline"]["test"] == "calendar_time"  # the largest p among events, clusters, calendar time
    assert record["headline"]["car_scale_estimate"] == pytest.approx(-0.004 * 3)
    assert record["inference"]["pairs"]["p_value"] == 0.0001
    head = rx.headline(tests, (-1, 1), "china_market")
    assert head["benchmark_rule"] == "china_market" and head["p_value"] == 0.19
    assert "China market benchmarks" in head["label"]

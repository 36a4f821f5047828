"""The alignment index: indicator mapping and as-of cutoff, scores, groups and the Dirichlet weight sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crackdown import alignment as al
from crackdown import words
from crackdown.errors import CrackdownError


def facts(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """A hand-built long alignment table: (firm_id, indicator, value, as_of)."""
    return pd.DataFrame(rows, columns=["firm_id", "indicator", "value", "as_of"])


# Four firms: "full" has every indicator at its maximum, "none" has only "not aligned" facts, "half" is mixed,
# "thin" has a single fact.
TINY = facts(
    ("full", "govt_revenue_share", "1.0", "2020-12-31"),
    ("full", "state_shareholder", "true", "2019-01-01"),
    ("full", "ai_platform_member", "true", "2018-09"),
    ("full", "golden_share", "true", "2021-04-30"),
    ("full", "sdn_list", "true", "2020-01-01"),
    ("none", "govt_revenue_share", "0.0", "2020-12-31"),
    ("none", "state_shareholder", "false", "2020-12-31"),
    ("none", "ai_platform_member", "false", "2019-08-29"),
    ("none", "golden_share", "false", "2021-01-01"),
    ("none", "us_entity_list", "false", "2021-01-01"),
    ("half", "smart_city_revenue_share", "0.4", "2020-06-30"),
    ("half", "state_shareholder_stake", "0.12", "2019-12-31"),
    ("half", "ai_platform_member", "false", "2019-08-29"),
    ("thin", "ns_cmic_list", "true", "2021-06-03"),
)
FIRMS = pd.DataFrame({
    "firm_id": ["full", "none", "half", "thin", "plat", "hw"],
    "sector_group": ["ai_vision_speech", "ai_vision_speech", "ai_vision_speech", "hard_tech", "fintech",
                     "telecom_equipment"],
})


def tiny_scores(**kwargs: object) -> pd.DataFrame:
    return al.alignment_scores(alignment=TINY, **kwargs)


# --- indicator mapping ---------------------------------------------------------------------------------------
def test_indicator_mapping_of_hand_built_facts() -> None:
    m = al.indicator_matrix(alignment=TINY)
    assert list(m.columns) == list(al.INDICATORS)
    assert m.loc["full"].eq(1.0).all()
    assert m.loc["none"].eq(0.0).all()
    assert m.loc["half", "govt_revenue_share"] == pytest.approx(0.4)  # smart-city share stands in for govt share
    assert m.loc["half", "state_shareholder"] == 1.0  # a stake above 0 counts as a state shareholder
    assert m.loc["thin", "us_sanctioned"] == 1.0  # any US list counts
    assert m.loc["thin"].isna().sum() == 4  # no fact recorded -> NaN, never 0


def test_revenue_share_is_the_largest_of_the_three_cuts() -> None:
    table = facts(("a", "govt_revenue_share", "0.2", "2020-01-01"),
                  ("a", "smart_city_revenue_share", "0.5", "2020-01-01"),
                  ("a", "public_security_revenue_share", "0.3", "2020-01-01"))
    assert al.indicator_matrix(alignment=table).loc["a", "govt_revenue_share"] == pytest.approx(0.5)


def test_latest_fact_on_or_before_as_of_wins() -> None:
    table = facts(("a", "us_entity_list", "true", "2019-10-09"), ("a", "us_entity_list", "false", "2021-06-01"),
                  ("a", "govt_revenue_share", "0.9", "2019-12-31"), ("a", "govt_revenue_share", "0.6", "2020-06-30"))
    assert al.indicator_matrix("2020-12-31", alignment=table).loc["a", "us_sanctioned"] == 1.0
    assert al.indicator_matrix("2021-12-31", alignment=table).loc["a", "us_sanctioned"] == 0.0
    assert al.indicator_matrix("2020-01-31", alignment=table).loc["a", "govt_revenue_share"] == pytest.approx(0.9)
    assert al.indicator_matrix("2020-12-31", alignment=table).loc["a", "govt_revenue_share"] == pytest.approx(0.6)


def test_later_facts_do_not_leak_and_a_month_fact_counts_from_the_month_end() -> None:
    table = facts(("a", "golden_share", "true", "2021-12"), ("a", "ai_platform_member", "true", "2022-09-01"))
    before = al.indicator_matrix("2021-12-15", alignment=table).loc["a"]
    after = al.indicator_matrix("2021-12-31", alignment=table).loc["a"]
    assert np.isnan(before["golden_share"]) and after["golden_share"] == 1.0
    assert np.isnan(after["ai_platform_member"])


def test_universe_includes_firms_without_facts() -> None:
    m = al.indicator_matrix(alignment=TINY, firms=FIRMS)
    assert set(m.index) == set(FIRMS["firm_id"])
    assert m.loc["plat"].isna().all()


def test_indicator_coverage_counts_facts() -> None:
    cov = al.indicator_coverage(al.indicator_matrix(alignment=TINY))
    assert cov.loc["us_sanctioned"].tolist() == [3, 2, 1, pytest.approx(2 / 3)]
    assert cov.loc["golden_share", "firms_with_fact"] == 2
    assert (cov["above_zero"] + cov["at_zero"] == cov["firms_with_fact"]).all()


def with_status(table: pd.DataFrame, *not_found: tuple[str, str, str], value: str = "") -> pd.DataFrame:
    """``table`` with a ``status`` column (all found) plus not_found rows (firm_id, indicator, as_of)."""
    extra = pd.DataFrame(not_found, columns=["firm_id", "indicator", "as_of"]).assign(value=value, status="not_found")
    return pd.concat([table.assign(status="found"), extra], ignore_index=True)


def test_not_found_rows_are_unknown_never_false() -> None:
    """A not_found row leaves the indicator NaN exactly as no row does, and never overrides a found fact, even
    when it carries a stray value (the file schema forbids one; the index must not depend on that)."""
    searched = with_status(TINY, ("plat", "golden_share", "2020-01-01"), ("thin", "state_shareholder", "2020-01-01"),
                           ("full", "golden_share", "2021-06-30"), value="false")  # later than full's true share
    pd.testing.assert_frame_equal(al.indicator_matrix(alignment=searched, firms=FIRMS),
                                  al.indicator_matrix(alignment=TINY, firms=FIRMS))
    pd.testing.assert_frame_equal(al.alignment_scores(alignment=searched, firms=FIRMS, missing="drop"),
                                  al.alignment_scores(alignment=TINY, firms=FIRMS, missing="drop"))


def test_panel_coverage_counts_not_found_apart_from_no_row() -> None:
    searched = with_status(TINY, ("plat", "golden_share", "2020-01-01"), ("hw", "golden_share", "2026-11-28"))
    cov = al.panel_coverage(alignment=searched, firms=FIRMS)
    # golden_share: full true (2021-04-30), none false (2021-01-01), plat and hw searched, half and thin no row
    assert cov.loc["golden_share"].tolist() == [1, 1, 2, 2]
    assert cov.sum(axis=1).eq(len(FIRMS)).all()


# --- scores --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("missing", al.MISSING_POLICIES)
def test_scores_lie_in_unit_interval_and_ranks_follow_scores(missing: str) -> None:
    s = al.alignment_scores(missing=missing, alignment=TINY, firms=FIRMS, weights={"golden_share": 2.0,
                                                                                    "us_sanctioned": 1.0})
    assert s["score"].between(0, 1).all()
    assert (s.sort_values("score", ascending=False)["rank"].diff().dropna() >= 0).all()
    assert s.loc["full", "rank"] == 1
    assert (s["aligned"] == (s["score"] >= 0.5)).all()


def test_equal_weights_give_the_plain_mean() -> None:
    m = al.indicator_matrix(alignment=TINY)
    equal = {k: 1.0 for k in al.INDICATORS}
    zero = tiny_scores(weights=equal, missing="zero")["score"]
    drop = tiny_scores(weights=equal, missing="drop")["score"]
    pd.testing.assert_series_equal(zero.sort_index(), m.fillna(0).mean(axis=1).sort_index(), check_names=False)
    pd.testing.assert_series_equal(drop.sort_index(), m.mean(axis=1).sort_index(), check_names=False)


def test_default_weights_leave_us_sanctions_out() -> None:
    m = al.indicator_matrix(alignment=TINY).drop(columns="us_sanctioned")
    default = tiny_scores(missing="zero")["score"]
    pd.testing.assert_series_equal(default.sort_index(), m.fillna(0).mean(axis=1).sort_index(), check_names=False)
    assert al.check_weights(None)["us_sanctioned"] == 0.0
    assert al.check_weights(None).drop("us_sanctioned").tolist() == pytest.approx([0.25] * 4)


def test_mean_policy_imputes_the_indicator_mean() -> None:
    m = al.indicator_matrix(alignment=TINY)
    s = tiny_scores(missing="mean", weights={"golden_share": 1.0})["score"]
    assert s["thin"] == pytest.approx(m["golden_share"].mean())


def test_drop_policy_leaves_out_firms_with_no_weighted_fact() -> None:
    s = tiny_scores(missing="drop", weights={"golden_share": 1.0})
    assert set(s.index) == {"full", "none"}


def test_scores_change_when_the_weights_do() -> None:
    a = tiny_scores(weights={"govt_revenue_share": 1.0})["score"]
    b = tiny_scores(weights={"us_sanctioned": 1.0})["score"]
    assert a["half"] == pytest.approx(0.4) and b["half"] == 0.0
    assert b["thin"] == 1.0 and a["thin"] == 0.0


def test_weights_are_normalised() -> None:
    small = tiny_scores(weights={"govt_revenue_share": 1.0, "state_shareholder": 3.0})["score"]
    large = tiny_scores(weights={"govt_revenue_share": 10.0, "state_shareholder": 30.0})["score"]
    pd.testing.assert_series_equal(small, large)
    assert small["half"] == pytest.approx(0.25 * 0.4 + 0.75 * 1.0)


def test_threshold_sets_aligned() -> None:
    s = tiny_scores(threshold=0.3)
    assert s.loc[s["score"] >= 0.3].index.equals(s.index[s["aligned"]])
    assert tiny_scores(threshold=1.0)["aligned"].sum() == 1


def test_n_indicators_counts_recorded_facts() -> None:
    n = tiny_scores()["n_indicators"]
    assert n.to_dict() == {"full": 5, "none": 5, "half": 3, "thin": 1}


@pytest.mark.parametrize(("kwargs", "parameter"), [
    ({"weights": {"golden_shares": 1.0}}, "weights"),
    ({"weights": {"golden_share": -1.0}}, "weights"),
    ({"weights": {"golden_share": 0.0}}, "weights"),
    ({"weights": {}}, "weights"),
    ({"weights": {"golden_share": float("nan")}}, "weights"),
    ({"missing": "impute"}, "missing"),
    ({"threshold": 1.5}, "threshold"),
    ({"threshold": -0.1}, "threshold"),
    ({"as_of": "not a date"}, "as_of"),
])
def test_score_parameter_errors_name_the_parameter(kwargs: dict, parameter: str) -> None:
    with pytest.raises(CrackdownError, match=rf"^{parameter}:"):
        tiny_scores(**kwargs)


# --- groups --------------------------------------------------------------------------------------------------
def test_groups_by_sector_and_by_score() -> None:
    by_sector = al.firm_groups(firms=FIRMS)
    assert by_sector.to_dict() == {"full": "aligned_ai", "none": "aligned_ai", "half": "aligned_ai",
                                   "thin": "hard_tech", "plat": "targeted_platform", "hw": "other"}
    scores = al.alignment_scores(alignment=TINY, firms=FIRMS)
    by_score = al.firm_groups(scores, threshold=0.5, rule="score", firms=FIRMS)
    assert by_score["full"] == "aligned_ai" and by_score["none"] == "other"
    assert by_score["plat"] == "targeted_platform"


def test_group_errors_name_the_parameter() -> None:
    with pytest.raises(CrackdownError, match="^rule:"):
        al.firm_groups(firms=FIRMS, rule="sectors")
    with pytest.raises(CrackdownError, match="^threshold:"):
        al.firm_groups(firms=FIRMS, threshold=2)


# --- weight sensitivity --------------------------------------------------------------------------------------
def test_a_firm_with_every_indicator_at_one_ranks_first_in_every_draw() -> None:
    result = al.weight_sensitivity(300, seed=3, alignment=TINY, firms=FIRMS)
    full = result.draws[result.draws["firm_id"] == "full"]
    assert len(full) == 300 and (full["rank"] == 1).all()
    assert result.summary.loc["full", "classification"] == "aligned under almost any weighting"
    assert result.summary.loc["none", "classification"] == "never aligned"


def test_draws_agree_with_alignment_scores_for_the_same_weights() -> None:
    result = al.weight_sensitivity(5, seed=1, missing="drop", alignment=TINY)
    for draw, weights in result.weights.iterrows():
        expected = al.alignment_scores(weights.to_dict(), missing="drop", alignment=TINY)
        got = result.draws[result.draws["draw"] == draw].set_index("firm_id")
        np.testing.assert_allclose(got["score"], expected["score"].reindex(got.index))
        np.testing.assert_array_equal(got["rank"], expected["rank"].reindex(got.index))


def test_weights_are_dirichlet_draws_and_a_seed_is_deterministic() -> None:
    a = al.weight_sensitivity(50, seed=7, alignment=TINY)
    b = al.weight_sensitivity(50, seed=7, alignment=TINY)
    c = al.weight_sensitivity(50, seed=8, alignment=TINY)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert not a.weights.equals(c.weights)
    np.testing.assert_allclose(a.weights.sum(axis=1), 1.0)
    assert (a.weights > 0).all().all()


def test_indicators_left_out_of_the_draws_get_weight_zero() -> None:
    result = al.weight_sensitivity(40, seed=2, indicators=["golden_share", "us_sanctioned"], alignment=TINY)
    assert (result.weights[["govt_revenue_share", "state_shareholder", "ai_platform_member"]] == 0).all().all()
    np.testing.assert_allclose(result.weights.sum(axis=1), 1.0)
    half = result.draws.loc[result.draws["firm_id"] == "half", "score"]
    assert (half == 0).all()  # "half" has neither a golden share nor a US listing
    with pytest.raises(CrackdownError, match="^indicators:"):
        al.weight_sensitivity(10, indicators=["golden_shares"], alignment=TINY)
    with pytest.raises(CrackdownError, match="^indicators:"):
        al.weight_sensitivity(10, indicators=[], alignment=TINY)


def test_summary_matches_the_draws() -> None:
    result = al.weight_sensitivity(200, seed=0, alignment=TINY, firms=FIRMS)
    half = result.draws.loc[result.draws["firm_id"] == "half"]
    row = result.summary.loc["half"]
    assert row["share_aligned"] == pytest.approx((half["score"] >= 0.5).mean())
    assert row["rank_p05"] <= row["rank_p25"] <= row["median_rank"] <= row["rank_p75"] <= row["rank_p95"]
    assert row["rank_p95"] == pytest.approx(half["rank"].quantile(0.95))
    assert 0 < row["share_aligned"] < 1  # 0.4 revenue share and a state shareholder: depends on the weights


def test_classification_boundaries() -> None:
    share = pd.Series([0.9, 0.89, 0.11, 0.1, 0.0, 1.0])
    assert al.classify(share).tolist() == [
        "aligned under almost any weighting", "depends on weights", "depends on weights", "never aligned",
        "never aligned", "aligned under almost any weighting"]


@pytest.mark.parametrize(("kwargs", "parameter"), [
    ({"n_draws": 0}, "n_draws"), ({"n_draws": 2.5}, "n_draws"), ({"seed": -1}, "seed"),
    ({"concentration": 0}, "concentration"), ({"missing": "none"}, "missing"), ({"threshold": 3}, "threshold"),
])
def test_sensitivity_parameter_errors_name_the_parameter(kwargs: dict, parameter: str) -> None:
    with pytest.raises(CrackdownError, match=rf"^{parameter}:"):
        al.weight_sensitivity(alignment=TINY, **kwargs)


# --- shipped data --------------------------------------------------------------------------------------------
def test_shipped_matrix_is_backed_by_facts_dated_before_the_cutoff() -> None:
    """Every observed cell comes from a row of data/alignment.csv for that firm dated on or before 2021-12-31."""
    from crackdown import paths

    raw = pd.read_csv(paths.data_dir() / "alignment.csv")
    raw = raw[raw["status"] == "found"]  # a not_found row is unknown: it never makes an indicator observed
    day = pd.to_datetime(raw["as_of"], format="mixed")
    raw["date"] = day.where(raw["as_of"].str.len() > 7, day + pd.offsets.MonthEnd(0))
    observed = al.indicator_matrix("2021-12-31").stack().dropna()
    assert observed.between(0, 1).all() and len(observed) > 0
    for firm, indicator in observed.index:
        rows = raw[(raw["firm_id"] == firm) & raw["indicator"].isin(al.SOURCES[indicator])]
        assert (rows["date"] <= "2021-12-31").any(), (firm, indicator)


def test_shipped_facts_count_from_their_date_on() -> None:
    """At each cutoff an indicator is observed for a firm exactly when data/alignment.csv has a row behind it dated
    on or before the cutoff (month-only dates count from the month's end); which firms that is, is data."""
    from crackdown import paths

    raw = pd.read_csv(paths.data_dir() / "alignment.csv")
    raw = raw[raw["status"] == "found"]  # a not_found row is unknown: it never makes an indicator observed
    day = pd.to_datetime(raw["as_of"], format="mixed")
    raw["date"] = day.where(raw["as_of"].str.len() > 7, day + pd.offsets.MonthEnd(0))
    for cutoff in ("2021-12-31", "2023-12-31"):
        observed = al.indicator_matrix(cutoff).notna()
        for indicator in al.INDICATORS:
            dated = raw[raw["indicator"].isin(al.SOURCES[indicator]) & (raw["date"] <= cutoff)]["firm_id"]
            assert set(observed.index[observed[indicator]]) == set(dated) & set(observed.index), (cutoff, indicator)


def test_shipped_scores_are_the_weighted_means_of_the_matrix() -> None:
    """The default scores on the shipped data are the equal-weight mean of the indicators other than US sanctions,
    a missing fact counting as 0 (``zero``) or left out (``drop``), recomputed here from the indicator matrix."""
    matrix = al.indicator_matrix("2021-12-31").drop(columns="us_sanctioned")
    zero = al.alignment_scores()
    np.testing.assert_allclose(zero["score"], matrix.fillna(0.0).mean(axis=1).loc[zero.index], rtol=0, atol=1e-12)
    drop = al.alignment_scores(missing="drop")
    by_hand = matrix.mean(axis=1, skipna=True).dropna()
    assert set(drop.index) == set(by_hand.index)
    np.testing.assert_allclose(drop["score"], by_hand.loc[drop.index], rtol=0, atol=1e-12)
    ranks = zero["score"].rank(ascending=False, method="min")
    assert (zero["rank"] == ranks).all() and (zero["aligned"] == (zero["score"] >= 0.5)).all()


# --- notebook 03's results record and narrative ---------------------------------------------------------------
def words_of(scores, summary, matrix, parameters, *, alignment=TINY, names=None) -> str:
    """Notebook 03's narrative from its record as written to JSON."""
    record = al.results_record(scores, summary, matrix, parameters, alignment=alignment, firms=FIRMS)
    return words.alignment.narrative(words.as_written("03_alignment_index", record), names or {})


def record_inputs(weights: dict | None = None, threshold: float = 0.5) -> tuple:
    """(scores, sensitivity summary, matrix, parameters) on the hand-built tables, as notebook 03 passes them."""
    weights = weights or dict.fromkeys(al.INDICATORS, 1.0)
    parameters = {"weights": weights, "missing": "zero", "threshold": threshold, "as_of": "2021-12-31",
                  "n_draws": 60, "seed": 4}
    scores = al.alignment_scores(weights, "zero", threshold, alignment=TINY, firms=FIRMS)
    summary = al.weight_sensitivity(60, seed=4, threshold=threshold, alignment=TINY, firms=FIRMS).summary
    return scores, summary, al.indicator_matrix(alignment=TINY, firms=FIRMS), parameters


def test_results_record_counts_follow_the_facts() -> None:
    scores, summary, matrix, parameters = record_inputs()
    record = al.results_record(scores, summary, matrix, parameters, alignment=TINY, firms=FIRMS)
    # "full" has every indicator at 1; every other firm has at most one positive indicator out of five.
    assert record["aligned_firms"] == ["full"]
    assert record["n_firms"] == len(FIRMS)
    assert record["n_firms_with_facts"] == 4  # plat and hw have no fact
    assert record["n_firms_at_most_one_fact"] == 3  # thin, plat, hw
    assert record["best_targeted_platform"] == "plat"  # the only fintech firm
    assert record["aligned_by_sector"] == {"ai_vision_speech": 1}
    assert record["aligned_without_sanctions"] == ["full"]
    assert sum(record["weights_normalised"].values()) == pytest.approx(1.0)
    assert set(record["robustly_aligned"]).isdisjoint(record["depends_on_weights"])
    assert record["parameters"] == parameters
    # scored above 0: full, half (state stake, revenue share), thin (on a US list, weighted 1 here)
    assert record["top_firms"] == ["full", "half", "thin"]
    assert record["n_firms_three_or_more_facts"] == 3  # full and none (five facts each), half (three)
    answer = words.alignment.answer(words.as_written("03_alignment_index", record), {"full": "Full Co"})
    assert answer.startswith(f"1 of {len(FIRMS)} firms aligned (score >= 0.5), led by Full Co")


def test_results_record_shows_the_sensitivity_to_counting_sanctions() -> None:
    # default weights: sanctions weigh 0; counting them like the others (1/5 each) puts "thin" (on a US list,
    # one more fact) and "full" above the threshold exactly when their mean over five indicators is >= 0.5
    scores, summary, matrix, parameters = record_inputs(dict(al.DEFAULT_WEIGHTS))
    record = al.results_record(scores, summary, matrix, parameters, alignment=TINY, firms=FIRMS)
    by_hand = matrix.fillna(0.0).mean(axis=1)
    assert set(record["aligned_with_sanctions"]) == set(by_hand.index[by_hand >= 0.5])
    assert "Counting US sanctions as alignment" in words_of(scores, summary, matrix, parameters)


def test_results_record_without_sanctions_is_none_when_only_sanctions_weigh() -> None:
    scores, summary, matrix, parameters = record_inputs({"us_sanctioned": 1.0})
    record = al.results_record(scores, summary, matrix, parameters, alignment=TINY, firms=FIRMS)
    assert record["aligned_without_sanctions"] is None
    assert set(record["aligned_firms"]) == {"full", "thin"}  # the two firms on a US list
    assert "Without the sanctions marker" not in words_of(scores, summary, matrix, parameters)


def test_narrative_states_the_aligned_firms_and_thin_data() -> None:
    scores, summary, matrix, parameters = record_inputs()
    text = words_of(scores, summary, matrix, parameters)
    assert f"**1 of {len(FIRMS)} firms** score at least 0.5: full." in text
    assert "is plat, with 0.00" in text
    assert "(the same firms)" in text
    assert f"Of {len(FIRMS)} firms, 2 have no alignment fact recorded by 2021-12-31" in text
    assert text.count("**") % 2 == 0
    assert "and 0 firm-indicator pairs that were searched and **not found**" in text
    named = words_of(scores, summary, matrix, parameters, names={"full": "Full Co", "plat": "Plat Inc"})
    assert "score at least 0.5: Full Co." in named and "is Plat Inc, with 0.00" in named


def test_narrative_and_record_count_the_not_found_searches() -> None:
    searched = with_status(TINY, ("plat", "golden_share", "2020-01-01"), ("hw", "state_shareholder", "2020-01-01"))
    scores, summary, matrix, parameters = record_inputs()
    text = words_of(scores, summary, matrix, parameters, alignment=searched)
    assert "and 2 firm-indicator pairs that were searched and **not found**" in text
    record = al.results_record(scores, summary, matrix, parameters, alignment=searched, firms=FIRMS)
    assert record["panel_coverage"]["golden_share"] == {"found_true": 1, "found_false": 1, "not_found": 1, "no_row": 3}

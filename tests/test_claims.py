"""The claims register: every claim is evaluated from the data, and verdicts follow the data when a row changes."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from crackdown import claims, words
from crackdown.data import clear_cache, write_manifest
from crackdown.errors import CrackdownError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return claims.evaluate_all(claims.make_context())


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    clear_cache()
    return target


def _edit(data_dir: Path, table: str, key: str, row_id: str, column: str, value: str) -> None:
    frame = _read(data_dir / f"{table}.csv")
    assert (frame[key] == row_id).sum() >= 1, f"fixture row {row_id} missing from {table}.csv"
    frame.loc[frame[key] == row_id, column] = value
    frame.to_csv(data_dir / f"{table}.csv", index=False)
    clear_cache()


def _verdict(data_dir: Path, claim_id: str, **context) -> claims.Evaluation:
    row = claims.load_claims(data_dir).set_index("claim_id").loc[claim_id]
    return claims.evaluate(row, claims.make_context(data_dir, **context))


# --- the register as shipped --------------------------------------------------------------------------------


def test_every_claim_in_the_csv_is_evaluated_with_a_known_verdict(table: pd.DataFrame) -> None:
    listed = _read(DATA / "claims.csv")["claim_id"]
    assert list(table["claim_id"]) == list(listed)
    assert set(table["verdict"]) <= set(claims.VERDICTS)
    assert sum(claims.verdict_counts(table).values()) == len(listed)


def test_claims_csv_passes_its_schema_and_names_the_article() -> None:
    assert claims.check_claims(DATA) == []
    raw = _read(DATA / "claims.csv")
    assert raw["sources"].str.contains(claims.ARTICLE_URL, regex=False).all()
    assert "verdict" not in raw.columns, "verdicts are computed, never stored in the register"
    assert set(raw["evaluator"]) == set(claims.REGISTRY), "every registered evaluator is used exactly by the register"


def test_evidence_rows_point_at_existing_data_rows(table: pd.DataFrame) -> None:
    keys = {"events": "event_id", "ipos": "ipo_id", "penalties": "penalty_id", "securities": "symbol"}
    known = {t: set(_read(DATA / f"{t}.csv")[k]) for t, k in keys.items()}
    alignment = _read(DATA / "alignment.csv")
    known["alignment"] = set(alignment["firm_id"] + "/" + alignment["indicator"] + "/" + alignment["as_of"])
    for claim_id, rows in zip(table["claim_id"], table["rows"], strict=True):
        for ref in rows:
            kind, _, ident = ref.partition(":")
            assert ident in known[kind], f"{claim_id}: {ref} is not a row of data/{kind}.csv"


def test_testable_claims_show_their_evidence(table: pd.DataFrame) -> None:
    tested = table[table["verdict"] != claims.NOT_TESTABLE]
    assert all(table.loc[table["verdict"] == claims.NOT_TESTABLE, "computation"]), "a not-testable claim without why"
    assert all(v for v in tested["values"]), "a tested claim without evidence values"
    assert all(c for c in tested["computation"])


def test_alibaba_fine_is_the_largest_penalty_in_the_data(table: pd.DataFrame) -> None:
    pen = _read(DATA / "penalties.csv")
    amounts = pd.to_numeric(pen["amount"], errors="coerce")
    top = pen.loc[amounts.idxmax()]
    verdict = table.set_index("claim_id").loc["alibaba_record_fine", "verdict"]
    assert (top["firm_id"] == "alibaba") == (verdict == claims.SUPPORTED)


# --- verdicts are computed, not stored ----------------------------------------------------------------------


def test_shrinking_alibaba_fine_turns_the_record_claim_around(data_copy: Path) -> None:
    before = _verdict(data_copy, "alibaba_record_fine")
    record = before.values["next_largest_m"] is None or before.values["amount_m"] > before.values["next_largest_m"]
    assert (before.verdict == claims.SUPPORTED) == record
    _edit(data_copy, "penalties", "penalty_id", "alibaba_abuse_dominance_2021", "amount", "1000")
    result = _verdict(data_copy, "alibaba_record_fine")
    assert result.verdict == claims.CONTRADICTED
    assert result.values["next_largest_m"] > result.values["amount_m"] == 1000


def test_an_earlier_ant_suspension_is_no_longer_last_minute(data_copy: Path) -> None:
    before = _verdict(data_copy, "ant_ipo_halted_last_moment")
    assert (before.verdict == claims.SUPPORTED) == (before.values["legs_halted_in_time"] == before.values["legs"])
    _edit(data_copy, "ipos", "ipo_id", "ant_group_star_2020", "outcome_date", "2020-10-01")
    _edit(data_copy, "ipos", "ipo_id", "ant_group_hkex_2020", "outcome_date", "2020-10-01")
    result = _verdict(data_copy, "ant_ipo_halted_last_moment")
    assert result.verdict == claims.CONTRADICTED
    assert result.values["days_before_listing"] == 35


def test_a_megvii_listing_would_make_the_ipo_forecast_hold(data_copy: Path) -> None:
    before = _verdict(data_copy, "ai_unicorns_proceed_with_ipos")
    by_count = {2: claims.SUPPORTED, 1: claims.PARTLY, 0: claims.CONTRADICTED}
    assert before.verdict == by_count[before.values["proceeding"]]
    _edit(data_copy, "ipos", "ipo_id", "megvii_star_2021", "listing_date", "2022-06-01")
    assert _verdict(data_copy, "ai_unicorns_proceed_with_ipos").verdict == claims.SUPPORTED


def test_thresholds_come_from_the_register(data_copy: Path) -> None:
    frame = _read(data_copy / "claims.csv")
    frame.loc[frame["claim_id"] == "didi_app_pulled_after_us_ipo", "parameters"] = "max_days=2"
    frame.to_csv(data_copy / "claims.csv", index=False)
    result = _verdict(data_copy, "didi_app_pulled_after_us_ipo")
    v = result.values
    n_ok = int(v["days_between"] is not None and v["days_between"] <= 2) + int(v["cac_review_by_then"])
    assert result.verdict == {2: claims.SUPPORTED, 1: claims.PARTLY, 0: claims.CONTRADICTED}[n_ok]
    assert "<= 2" in result.computation


# --- what happened since the article ------------------------------------------------------------------------


def test_ipo_forecast_aged_between_the_article_and_as_of() -> None:
    ctx = claims.make_context()
    aged = claims.aged_claims(ctx).set_index("claim_id")
    row = claims.load_claims().set_index("claim_id").loc["ai_unicorns_proceed_with_ipos"]
    then = claims.evaluate(row, replace(ctx, as_of=ctx.article_date)).verdict
    now = claims.evaluate(row, ctx).verdict
    assert ("ai_unicorns_proceed_with_ipos" in aged.index) == (then != now)
    if then != now:
        assert aged.loc["ai_unicorns_proceed_with_ipos", ["verdict_at_article", "verdict_as_of"]].tolist() == [then, now]
    rank = {claims.SUPPORTED: 2, claims.PARTLY: 1, claims.CONTRADICTED: 0}
    for _, r in aged.iterrows():
        change = rank.get(r["verdict_as_of"], 9) - rank.get(r["verdict_at_article"], 9)
        expected = "changed" if abs(change) > 2 else "badly" if change < 0 else "well" if change > 0 else "changed"
        assert r["aged"] == expected


def test_ai_ipo_fates_follow_ipos_csv() -> None:
    fates = claims.ai_ipo_fates(claims.make_context()).set_index("ipo_id")
    ipos = _read(DATA / "ipos.csv").set_index("ipo_id")
    listed = fates.index[fates["at_as_of"] == "listed"]
    assert (ipos.loc[listed, "listing_date"] <= "2023-12-31").all()
    failed = ipos.loc[fates.index, "outcome"].isin(claims.IPO_FAILURES) & (
        ipos.loc[fates.index, "outcome_date"].str.slice(0, 10) <= "2021-11-01")
    assert ((fates["at_article"] == "failed") == (failed & (fates["at_article"] != "listed"))).all()
    aged = fates["at_article"].isin(["pending", "not_filed"]) & fates["at_as_of"].isin(["failed", "stalled"])
    assert (fates["aged_badly"] == aged).all()


def test_ipo_status_by_date() -> None:
    ctx = claims.make_context()
    ipo = pd.Series({"listing_date": pd.NaT, "outcome": "stalled", "outcome_date": pd.NaT,
                     "filing_date": pd.Timestamp("2021-03-12"), "approval_date": pd.Timestamp("2021-09-09")})
    assert claims.ipo_status(ctx, ipo, pd.Timestamp("2021-01-01")) == "not_filed"
    assert claims.ipo_status(ctx, ipo, pd.Timestamp("2021-11-01")) == "pending"
    assert claims.ipo_status(ctx, ipo, pd.Timestamp("2022-09-10"), max_pending_days=365) == "stalled"
    listed = ipo.copy()
    listed["listing_date"] = pd.Timestamp("2022-01-05")
    assert claims.ipo_status(ctx, listed, pd.Timestamp("2022-01-05")) == "listed"


def test_enforcement_actions_count_one_per_firm_and_day() -> None:
    acts = claims.enforcement_actions(claims.make_context(), "2021-04-01", "2021-04-30")
    day = acts[(acts["firm_id"] == "alibaba") & (acts["date"] == "2021-04-10")]
    assert len(day) == 1
    assert {"events:alibaba_antitrust_fine_2021", "penalties:alibaba_abuse_dominance_2021"} <= set(day["row"].iloc[0])
    assert not acts.duplicated(["firm_id", "date"]).any()
    assert acts["date"].between("2021-04-01", "2021-04-30").all()


def test_swapping_the_market_legs_flips_the_long_short() -> None:
    ctx = claims.make_context()
    normal = claims.market_test(ctx)["long_short"].set_index("event_id").loc["all", "car"]
    swapped = claims.market_test(claims.make_context(chips=ctx.platforms, platforms=ctx.chips))
    assert swapped["long_short"].set_index("event_id").loc["all", "car"] == pytest.approx(-normal)


# --- the register's own checks --------------------------------------------------------------------------------


def test_unknown_evaluator_is_reported_at_file_line_column(data_copy: Path) -> None:
    frame = _read(data_copy / "claims.csv")
    frame.loc[2, "evaluator"] = "no_such_function"
    frame.to_csv(data_copy / "claims.csv", index=False)
    problems = [str(v) for v in claims.check_claims(data_copy)]
    assert problems and problems[0].startswith("data/claims.csv:4:evaluator: unknown evaluator")
    with pytest.raises(CrackdownError, match=r"data/claims\.csv:4:evaluator"):
        claims.evaluate_all(data_dir=data_copy)


def test_unknown_parameter_key_is_reported(data_copy: Path) -> None:
    frame = _read(data_copy / "claims.csv")
    frame.loc[0, "parameters"] = "max_dayz=3"
    frame.to_csv(data_copy / "claims.csv", index=False)
    assert [str(v) for v in claims.check_claims(data_copy)][0].startswith("data/claims.csv:2:parameters:")


def test_bad_kind_is_rejected(data_copy: Path) -> None:
    frame = _read(data_copy / "claims.csv")
    frame.loc[0, "kind"] = "opinion"
    frame.to_csv(data_copy / "claims.csv", index=False)
    assert [str(v) for v in claims.check_claims(data_copy)][0].startswith("data/claims.csv:2:kind: must be one of")


def test_parse_parameters() -> None:
    assert claims.parse_parameters("max_days=3;firms=a|b;alpha=0.5;name=x") == {
        "max_days": 3, "firms": ("a", "b"), "alpha": 0.5, "name": "x"}
    assert claims.parse_parameters("") == {}
    with pytest.raises(CrackdownError, match="key=value"):
        claims.parse_parameters("max_days")


def test_context_rejects_bad_parameters(data_copy: Path) -> None:
    with pytest.raises(CrackdownError, match="as_of"):
        claims.make_context(as_of="2020-01-01")
    with pytest.raises(CrackdownError, match="crackdown_events: unknown event id 'ant_ipo_suspendd_2020'"):
        claims.make_context(crackdown_events=["ant_ipo_suspendd_2020"])
    with pytest.raises(CrackdownError, match="crackdown_events: megvii_hk_ipo_lapsed_2020 is dated to the month"):
        claims.make_context(crackdown_events=["megvii_hk_ipo_lapsed_2020"])
    with pytest.raises(CrackdownError, match="chips: the selection is empty"):
        claims.make_context(chips=[])
    _edit(data_copy, "securities", "symbol", "9999.HK", "price_basis", "none")  # a listing without a price file
    write_manifest(data_copy)
    with pytest.raises(CrackdownError, match="platforms: 9999.HK has no price file"):
        claims.make_context(data_copy, platforms=["9999.HK"])
    with pytest.raises(CrackdownError, match="platforms: BABA also in chips"):
        claims.make_context(chips=["BABA", "0981.HK"])
    with pytest.raises(CrackdownError, match="estimation_window"):
        claims.make_context(estimation_window=(-250, 0))


# --- notebook 07's results record and narratives, on hand-built tables ----------------------------------------
MARKET_VALUES = {"chips_caar": 0.012, "chips_p": 0.2, "platforms_caar": -0.034, "platforms_p": 0.001,
                 "long_short_car": 0.046, "long_short_p": 0.004, "pairs": 40, "extra": "not reported"}
HAND = pd.DataFrame({
    "claim_id": ["ai_unicorns_untouched", "ai_unicorns_proceed_with_ipos", claims.MARKET_CLAIM, "other_one",
                 "other_two"],
    "theme": ["enforcement", "ipo_outcomes", "markets", "enforcement", "policy_and_rules"],
    "verdict": [claims.SUPPORTED, claims.CONTRADICTED, claims.SUPPORTED, claims.PARTLY, claims.NOT_TESTABLE],
    "values": [{"ai_actions_per_firm": 0.2, "platform_actions_per_firm": 3.5},
               {"sensetime_status": "listed", "megvii_status": "stalled"}, MARKET_VALUES, {}, {}],
})
AGED = pd.DataFrame({"claim_id": ["ai_unicorns_proceed_with_ipos", "other_one"], "aged": ["badly", "well"]})
FATES = pd.DataFrame({
    "ipo_id": ["st_hk", "mg_hk", "mg_star", "yt_star"],
    "at_article": ["pending", "failed", "pending", "not_filed"],
    "at_as_of": ["listed", "failed", "stalled", "failed"],
    "aged_badly": [False, False, True, True],
})
ARTICLE, UNTIL = pd.Timestamp("2021-11-01"), pd.Timestamp("2023-12-31")


def test_results_record_counts_and_market_keys() -> None:
    record = claims.results_record(HAND, AGED, FATES, ARTICLE, {"alpha": 0.05})
    assert record["counts"] == {claims.SUPPORTED: 2, claims.PARTLY: 1, claims.CONTRADICTED: 1,
                                claims.NOT_TESTABLE: 1}
    assert sum(record["counts"].values()) == record["n_claims"] == len(HAND)
    assert record["aged_badly"] == ["ai_unicorns_proceed_with_ipos"] and record["aged_well"] == ["other_one"]
    assert record["ai_ipos_stalled_or_failed_since"] == ["mg_star", "yt_star"]
    assert "extra" not in record["market"] and record["market"]["pairs"] == 40
    assert words.claims.answer(words.as_written("07_article_claims", record), {}) == (
        "2 of 5 claims supported, 1 partly, 1 contradicted, 1 not testable; aged badly since 2021-11-01: "
        "“ai_unicorns_proceed_with_ipos”")  # a claim without a label in names: its id, quoted like a label
    assert record["parameters"] == {"alpha": 0.05}


def _record(table: pd.DataFrame = HAND, **kwargs) -> dict:
    """07's record of the hand-built tables as written to JSON (8 events, event window (-1, 1))."""
    parameters = {"article_date": "2021-11-01", "as_of": "2023-12-31", "event_window": [-1, 1]}
    return words.as_written("07_article_claims", claims.results_record(table, AGED, FATES, ARTICLE, parameters,
                                                                       **kwargs))


def test_aged_lists_and_narrative() -> None:
    lists = claims.aged_lists(AGED, FATES)
    assert lists["failed_before"] == ["mg_hk"] and lists["listed_after"] == ["st_hk"]
    record = {**_record(), **claims.aged_record(AGED.iloc[:0], FATES)}
    text = words.claims.aged(record, {})
    assert text.startswith("Between 2021-11-01 and 2023-12-31, **0** claim(s) aged badly (none)")
    assert "listed after it: st_hk." in text
    assert "listed after it: SenseTime (HKEX, 2021)." in words.claims.aged(record, {"st_hk": "SenseTime (HKEX, 2021)"})


def test_verdict_and_contrast_narratives() -> None:
    text = words.claims.narrative(_record(), {}).split("\n\n")[0]
    assert text.startswith("Of the 4 claims the data can test, **2** hold as stated")  # 5 minus 1 not testable
    assert "only in part (“other_one”)" in text and "contradicted (“ai_unicorns_proceed_with_ipos”)" in text
    labelled = words.claims.narrative(_record(), {"other_one": "Another claim."}).split("\n\n")[0]
    assert "only in part (“Another claim.”)" in labelled
    contrast = words.claims.contrast(_record(), {})
    assert contrast.startswith("The article's central contrast is borne out")
    assert "chips minus platforms earned +4.60%" in contrast and "Megvii's is stalled" in contrast
    flipped = HAND.assign(verdict=HAND["verdict"].where(HAND["claim_id"] != claims.MARKET_CLAIM, claims.PARTLY))
    assert "holds only in part" in words.claims.contrast(_record(flipped), {})


def test_market_narrative_and_theme_tally() -> None:
    text = words.claims.market(_record(market_events=8, market_dropped=0), {})
    assert text.startswith("Over 8 crackdown events, chip firms' mean CAR[-1, 1] is **+1.20%**")
    assert "platforms' **-3.40%**" in text and text.endswith("**supported**.")
    assert "3 security-event pairs were left out" in words.claims.market(_record(market_events=8, market_dropped=3), {})
    assert claims.theme_tally(HAND[HAND["theme"] == "enforcement"]) in (
        "1 supported, 1 partly supported.", "1 partly supported, 1 supported.")

"""The claims register carried past 2023: the market claim's legs derived from the data (one listing per firm),
a second evaluation with the period extended (``evaluate_later``), its record and prose, and the contrast
sentence's wording read from the verdicts."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from crackdown import claims, words
from crackdown.errors import CrackdownError

S, P, C, NT = claims.SUPPORTED, claims.PARTLY, claims.CONTRADICTED, claims.NOT_TESTABLE



def test_market_legs_take_one_listing_per_firm(data: Path) -> None:
    # alibaba (consumer_platform) has BABA and 9988.HK, both priced 2021-03-25 to 2021-04-20: equal first and last
    # returns, so the tie goes to the symbol that sorts first; no hard_tech firm in the fixture
    legs = claims.market_legs(data)
    assert legs == {"chips": (), "platforms": ("9988.HK",)}


def test_given_legs_must_hold_one_listing_per_firm(data: Path) -> None:
    with pytest.raises(CrackdownError, match="platforms: BABA, 9988.HK are listings of the same firm"):
        claims.make_context(data, crackdown_events=["alibaba_fined_2021"], chips=["IDX_GSPC"],
                            platforms=["BABA", "9988.HK"])


def _table(verdicts: dict[str, str], kinds: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"claim_id": list(verdicts), "kind": [kinds[c] for c in verdicts], "theme": "markets",
                         "verdict": list(verdicts.values()), "values": [{"n": 1}] * len(verdicts),
                         "rows": [["events:x"]] * len(verdicts)})


KINDS = {"a": "forecast", "b": "forecast", "c": "fact", "d": "forecast"}


def test_evaluate_later_puts_both_verdicts_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    by_date = {"2023-12-31": _table({"a": P, "b": S, "c": C, "d": NT}, KINDS),
               "2026-11-30": _table({"a": C, "b": S, "c": S, "d": P}, KINDS)}
    home = sys.modules[claims.evaluate_later.__module__]
    monkeypatch.setattr(home, "evaluate_all", lambda ctx: by_date[str(ctx.as_of.date())])
    ctx = claims.Context(as_of=pd.Timestamp("2023-12-31"))
    both = claims.evaluate_later(ctx, "2026-11-30").set_index("claim_id")
    assert both["verdict"].to_dict() == {"a": P, "b": S, "c": C, "d": NT}
    assert both["verdict_later"].to_dict() == {"a": C, "b": S, "c": S, "d": P}
    assert both["change"].to_dict() == {"a": "worse", "b": "same", "c": "better", "d": "changed"}
    record = claims.later_record(both.reset_index(), pd.Timestamp("2026-11-30"))
    assert record["as_of_later"] == "2026-11-30"
    assert record["forecasts"] == {"a": {"as_of": P, "as_of_later": C}, "b": {"as_of": S, "as_of_later": S},
                                   "d": {"as_of": NT, "as_of_later": P}}
    assert record["counts_later"] == {S: 2, P: 1, C: 1, NT: 0}
    assert record["changed_later"] == ["a", "c", "d"]
    text = words.claims.later(words.as_written("07_article_claims", {**record, "parameters": {"as_of": "2023-12-31"}}),
                              {})
    assert "3 forecast(s)" in text and f"“a”: {P} -> {C}" in text and "3 claim(s) change verdict" in text
    with pytest.raises(CrackdownError, match="as_of_later"):
        claims.evaluate_later(ctx, "2022-01-01")


def test_register_view_shows_the_later_verdict() -> None:
    table = _table({"a": P, "b": S}, KINDS).assign(claim="x", claimant="y", evaluator="f")
    later = pd.DataFrame({"claim_id": ["b", "a"], "verdict_later": [C, S]})
    view = claims.register_view(table, later=later).set_index("claim_id")
    assert view["verdict_later"].to_dict() == {"a": S, "b": C}
    assert list(view.columns[:6]) == ["theme", "claim", "who", "kind", "verdict", "verdict_later"]
    assert "verdict_later" not in claims.register_view(table).columns


def _contrast(spared: str, market: str, ipo: str) -> str:
    table = pd.DataFrame({
        "claim_id": ["ai_unicorns_untouched", "ai_unicorns_proceed_with_ipos", claims.MARKET_CLAIM],
        "verdict": [spared, ipo, market],
        "values": [{"ai_actions_per_firm": 0.5, "platform_actions_per_firm": 1.0},
                   {"sensetime_status": "listed", "megvii_status": "stalled"}, {"long_short_car": -0.01}]})
    verdicts = dict(zip(table["claim_id"], table["verdict"], strict=True))
    record = {"verdicts": verdicts, "market_verdict": market, "market": {"long_short_car": -0.01},
              "parameters": {"as_of": "2023-12-31"},
              "contrast_values": {c: table.set_index("claim_id").loc[c, "values"]
                                  for c in ("ai_unicorns_untouched", "ai_unicorns_proceed_with_ipos")}}
    return words.claims.contrast(record, {})


@pytest.mark.parametrize(("spared", "market", "ipo", "contrast", "fared"), [
    (S, S, C, "is borne out", "fared worse"),
    (C, C, P, "is not borne out", "fared better"),
    (S, C, P, "holds only in part", "fared between the two"),
    (P, P, P, "holds only in part", "fared as well as"),
    (P, C, NT, "holds only in part", "Its IPO forecast: by"),
])
def test_contrast_wording_follows_the_verdicts(spared: str, market: str, ipo: str, contrast: str,
                                               fared: str) -> None:
    text = _contrast(spared, market, ipo)
    assert f"central contrast {contrast}:" in text and fared in text


def test_evidence_text_reads_as_words_with_firms_named() -> None:
    values = {"halted_on": "2020-11-03", "shelved": True, "in_time": False, "actions": {"alpha": 11, "beta": 3},
              "window": [-1, 1], "listed": ["alpha", "gamma"], "share": 0.123456, "days": 2, "cause": "us_sanctions"}
    names = {"alpha": "Alpha Ltd", "beta": "Beta Inc"}
    assert claims.evidence_text(values, names) == (
        "halted on: 2020-11-03; shelved: yes; in time: no; actions: Alpha Ltd 11, Beta Inc 3; window: -1/1; "
        "listed: Alpha Ltd, gamma; share: 0.1235; days: 2; cause: US sanctions")
    assert claims.evidence_text({"ipos_stopped_by_beijing": 1, "body": "cac"}) == "IPOs stopped by Beijing: 1; body: CAC"
    assert claims.evidence_text({"next_firm": "alpha"}) == "next firm: alpha"  # without names, ids as written

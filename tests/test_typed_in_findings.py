"""Sentences that state a fact about the data must read it from the data (issue 19, part 4).

Each test below feeds the text function inputs under which a once typed-in sentence would be false and asserts
that the sentence is not there (they all failed when written, against the typed-in text they replaced).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from claim_world import write_world

from crackdown import claims, summary, words
from crackdown import reaction as rx
from crackdown.data import clear_cache

ROOT = Path(__file__).resolve().parents[1]


def test_contrast_narrative_reads_the_ipo_verdict() -> None:
    """07's contrast paragraph says "Its IPO forecast fared worse" whatever the IPO claim's verdict."""
    table = pd.DataFrame({
        "claim_id": ["ai_unicorns_untouched", "ai_unicorns_proceed_with_ipos", claims.MARKET_CLAIM],
        "verdict": [claims.PARTLY, claims.SUPPORTED, claims.CONTRADICTED],  # the forecast fared best
        "values": [{"ai_actions_per_firm": 0.5, "platform_actions_per_firm": 1.0},
                   {"sensetime_status": "listed", "megvii_status": "listed"},
                   {"long_short_car": -0.01}],
    })
    def contrast(t: pd.DataFrame) -> str:
        by_id = t.set_index("claim_id")
        record = {"verdicts": by_id["verdict"].to_dict(), "market_verdict": by_id.loc[claims.MARKET_CLAIM, "verdict"],
                  "market": by_id.loc[claims.MARKET_CLAIM, "values"], "parameters": {"as_of": "2023-12-31"},
                  "contrast_values": by_id["values"].to_dict()}
        return words.claims.contrast(record, {})

    assert "fared worse" not in contrast(table)
    both_contradicted = table.assign(verdict=[claims.CONTRADICTED, claims.SUPPORTED, claims.CONTRADICTED])
    assert "holds only in part" not in contrast(both_contradicted)


def test_robustness_answer_reads_the_sign_of_the_curve() -> None:
    """08's answer says "The negative long-short reaction" whatever the median's sign."""
    record = {"share_thesis_sign": 0.2, "n_specs": 40, "median_estimate": 0.015, "share_significant_thesis": 0.0,
              "permutation_p": 0.9, "verdict": "does not survive"}
    assert "negative long-short reaction" not in words.robustness.answer(record, {})


@pytest.fixture(scope="module")
def us_only_reaction():
    """The reaction tests' synthetic market restricted to US listings, with every event timed."""
    import test_reaction as tr

    returns = tr._returns()
    members = rx.group_members(tr.GROUPS, tr.SECURITIES, rx.price_coverage(returns), benchmarks=["ETF"])
    members = members[members["exchange"].isin(["XNYS", "XNAS"])]
    events = rx.crackdown_events(start="2021-01-01", end="2022-12-31", events=tr.EVENTS.assign(time_beijing="10:00"),
                                 firms=tr.FIRMS)
    r = rx.run_reaction(returns, tr.SECURITIES, events, members, window=(0, 0), min_n=1)
    ls = {"car": np.nan, "se": np.nan, "t": np.nan, "p": np.nan, "n_events": 0}
    placebo = {"p_two_sided": np.nan, "n_placebo": 0, "actual": np.nan, "placebo": np.array([])}
    reverse = rx._empty_reverse(pd.DataFrame(columns=["event_id", "symbol", "reason"]))
    record = rx.results_record(r, rx.pooled_tests(r), ls, placebo, reverse, len(events),
                               {"window": [0, 0], "start": "2021-01-01", "end": "2022-12-31"})
    text = words.reaction.narrative(words.as_written("04_market_reaction", record), {})
    return r, text


def test_market_caveat_names_only_the_benchmarks_used(us_only_reaction) -> None:
    """04's narrative names the S&P 500, Hang Seng and CSI 300 whatever the studied securities' benchmarks."""
    r, text = us_only_reaction
    used = set(r.result.fit.panel.benchmarks)
    assert used == {"IDX_GSPC"}  # the fixture: US listings only
    assert "CSI 300" not in text and "Hang Seng" not in text


def test_market_caveat_reads_the_announcement_times(us_only_reaction) -> None:
    """04's narrative says "most events have no announcement time" whatever events.csv records."""
    _, text = us_only_reaction
    assert "no announcement time" not in text


def test_easing_caveat_reads_its_period(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary's caveats say "windows that reach past early 2022" whatever the easing events' dates."""
    write_world(tmp_path, events=[{"event_id": "easing_2019", "date": "2019-03-01", "type": "easing",
                                   "actor": "State Council"}])
    monkeypatch.setenv("CRACKDOWN_ROOT", str(tmp_path))
    clear_cache()
    try:
        text = " ".join(words.summary.caveats({"caveat_facts": summary.caveat_facts({})}, {}))
    finally:
        clear_cache()
    assert "2019-03-01" in text
    assert "early 2022" not in text


def test_enforcement_narrative_reads_which_firms_tie_at_the_lowest_score() -> None:
    """Notebook 06's narrative (crackdown.words.enforcement) says "the index records few indicators for most
    consumer platforms" whatever firms share the lowest score."""
    import test_outcomes as to

    table, tests, against = to._enforcement_inputs()
    table = table.assign(sector_group="ai_vision_speech")  # no consumer platform among the firms
    text = to.enforcement_words(table, tests, against)
    assert "consumer platforms" not in text


def _securities() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "securities.csv", dtype=str, keep_default_na=False).set_index("symbol")


def _parameters(notebook: str) -> dict[str, object]:
    """The literal values of a notebook's parameters cell."""
    nb = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    scope: dict[str, object] = {}
    exec("".join(cell["source"]), {}, scope)  # noqa: S102 - the project's own committed parameters cell
    return scope


@pytest.mark.parametrize("where", ["claims defaults", "07 parameters"])
def test_market_claim_legs_hold_one_listing_per_firm(where: str) -> None:
    """The market claim's chip and platform legs are typed-in symbol lists that count SMIC (0981.HK, 688981.SS)
    and Alibaba (BABA, 9988.HK) twice; legs derived from firms.csv/securities.csv keep one listing per firm."""
    if where == "claims defaults":
        legs = claims.market_legs()  # the defaults: derived from the data
    else:
        p = _parameters("07_article_claims")
        legs = {"chips": p["chips"], "platforms": p["platforms"]}
    firm = _securities()["firm_id"]
    for name, symbols in legs.items():
        firms = firm.reindex(list(symbols))
        assert not firms.duplicated().any(), f"{where} {name}: {firms[firms.duplicated(keep=False)].to_dict()}"


# Sentences in the notebooks' markdown and code that state listing dates, periods, benchmark names or firms as
# typed text (each should be computed, or left to the tables the notebook shows).
NOTEBOOK_PHRASES = {
    "01_data_coverage": ["Hong Kong, A-share and ETF files hold adjusted prices only", "DiDi's NYSE shares"],
    "02_timeline": ["from 2017 to 2023"],
    "03_alignment_index": ["Alibaba's 2022"],
    "04_market_reaction": ["only from 30 December 2021", "only from May 2022", "Megvii and YITU never listed",
                           "against the CSI 300", "China ETFs and the Hang Seng index",
                           "SenseTime's December 2021 sanction", "CloudWalk's 2020-2021 listings",
                           "more than ten sessions"],
    "05_ipo_outcomes": ["(Megvii tried twice)", "(SenseTime, CloudWalk)", "2019-2023)"],
    "08_robustness": ["between 2019 and mid-2023", "more than 10 sessions"],
}


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_PHRASES))
def test_notebook_text_states_no_typed_in_fact(notebook: str) -> None:
    nb = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())
    text = re.sub(r"\s+", " ", " ".join("".join(c["source"]) for c in nb["cells"]))
    found = [p for p in NOTEBOOK_PHRASES[notebook] if p in text]
    assert not found, f"{notebook}: typed-in {found}"

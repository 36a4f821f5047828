"""Reader tables (crackdown.display): labels and units, percentages and p-values against hand values, no row
numbers, firm names for ids, lists in full, a fixed table id, and a loud error for a column without a label."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from crackdown import display, summary
from crackdown.display import COLUMNS, Column, reader_frame, reader_table
from crackdown.errors import CrackdownError

ROOT = Path(__file__).resolve().parents[1]
NAMES = {"acme": "Acme Holdings", "bolt": "Bolt & Sons"}


def _soup(frame: pd.DataFrame, **kw) -> BeautifulSoup:
    return BeautifulSoup(reader_table(frame, names=NAMES, **kw).data, "html.parser")


def test_labels_carry_the_unit_and_percentages_are_scaled_by_hand():
    frame = pd.DataFrame({"caar": [-0.0123, 0.5, np.nan], "missing_share": [0.0, 0.125, 1.0],
                          "t_cs": [-5.678, 0.1, 2.0], "p_bmp": [0.0004, 0.0449, 1.0]})
    shown = reader_frame(frame, names=NAMES)
    assert list(shown.columns) == ["CAAR (%)", "sessions missing (%)", "t (cross-sectional)", "p (BMP)"]
    assert shown["CAAR (%)"].tolist() == ["-1.23", "50.00", "–"]
    assert shown["sessions missing (%)"].tolist() == ["0.0", "12.5", "100.0"]
    assert shown["t (cross-sectional)"].tolist() == ["-5.68", "0.10", "2.00"]
    assert shown["p (BMP)"].tolist() == ["< 0.001", "0.045", "1.000"]


def test_counts_dates_flags_and_codes():
    frame = pd.DataFrame({"sessions": [1263, 5.0], "date": pd.to_datetime(["2021-07-02", None]),
                          "aligned": [True, "unknown"], "group": ["targeted_platform", "aligned_ai"], "type": ["ipo_filing", "summons;rule"]})
    shown = reader_frame(frame, names=NAMES)
    assert shown["sessions"].tolist() == ["1,263", "5"]
    assert shown["date"].tolist() == ["2021-07-02", "–"]
    assert shown["aligned"].tolist() == ["yes", "unknown"]
    assert reader_frame(pd.DataFrame({"listed": [False, None]}), names=NAMES)["listed"].tolist() == ["no", "–"]
    assert shown["firm group"].tolist() == ["targeted platform", "aligned AI"]
    assert shown["event type"].tolist() == ["IPO filing", "summons, rule"]
    assert display.label_words("ai_vision_speech") == "AI vision speech"
    assert display.label_words("us_action") == "US action"
    assert display.label_words("long_short") == "long-short"


def test_firm_ids_become_names_in_single_and_list_cells():
    frame = pd.DataFrame({"firm_id": ["acme", "bolt"], "firm_ids": [["acme", "bolt"], "bolt; acme"]})
    shown = reader_frame(frame, names=NAMES)
    assert shown["firm"].tolist() == ["Acme Holdings", "Bolt & Sons"]
    assert shown["firms named"].tolist() == ["Acme Holdings, Bolt & Sons", "Bolt & Sons, Acme Holdings"]


def test_default_firm_names_are_those_of_data_firms_csv():
    with (ROOT / "data" / "firms.csv").open(encoding="utf-8") as f:
        expected = {row["firm_id"]: row["name"] for row in csv.DictReader(f)}
    assert display.firm_names() == expected


def test_lists_are_shown_in_full():
    ids = [f"event_{i:02d}" for i in range(40)]
    shown = reader_frame(pd.DataFrame({"merged_ids": [ids, []]}), names=NAMES)
    assert shown.iloc[0, 0] == ", ".join(ids)
    assert shown.iloc[1, 0] == "–"


def test_a_named_index_becomes_a_column_and_no_row_numbers_are_shown():
    frame = pd.DataFrame({"score": [0.66075, 0.25]}, index=pd.Index(["acme", "bolt"], name="firm_id"))
    soup = _soup(frame)
    assert [th.get_text() for th in soup.select("thead th")] == ["firm", "alignment score (0 to 1)"]
    assert soup.select("tbody th") == []  # no index cells, no row numbers
    assert [[td.get_text() for td in tr.find_all("td")] for tr in soup.select("tbody tr")] == [
        ["Acme Holdings", "0.661"], ["Bolt & Sons", "0.250"]]


def test_an_unnamed_range_index_is_dropped():
    shown = reader_frame(pd.DataFrame({"symbol": ["A", "B"]}, index=[5, 6]), names=NAMES)
    assert shown.columns.tolist() == ["symbol"] and shown.index.tolist() == [0, 1]


def test_an_unnamed_index_of_labels_is_refused_not_dropped():
    with pytest.raises(CrackdownError, match="index has no name"):
        reader_frame(pd.DataFrame({"n": [1]}, index=["as_listed"]), names=NAMES)


def test_a_column_without_a_label_fails_naming_it():
    with pytest.raises(CrackdownError, match="'kp_tt'"):
        reader_frame(pd.DataFrame({"caar": [0.1], "kp_tt": [1.0]}), names=NAMES)
    with pytest.raises(CrackdownError, match="'idx'"):
        reader_frame(pd.DataFrame({"n": [1]}, index=pd.Index([1], name="idx")), names=NAMES)


def test_caller_labels_data_valued_columns():
    frame = pd.DataFrame({"app_removal": [2], 2021: [0.5]})
    shown = reader_frame(frame, {"app_removal": Column("app removal", "int"), 2021: Column("2021 (%)", "pct", 0)},
                         names=NAMES)
    assert shown.to_dict("records") == [{"app removal": "2", "2021 (%)": "50"}]


def test_two_columns_with_one_label_are_refused():
    with pytest.raises(CrackdownError, match="'firm group'"):
        reader_frame(pd.DataFrame({"group": ["a"], "g2": ["b"]}, ), {"g2": Column("firm group")}, names=NAMES)


def test_table_id_is_fixed_and_given_ids_are_used():
    frame = pd.DataFrame({"n": [1, 2]})
    first, again = reader_table(frame, names=NAMES).data, reader_table(frame.copy(), names=NAMES).data
    assert first == again
    other = reader_table(pd.DataFrame({"n": [1, 3]}), names=NAMES).data
    assert BeautifulSoup(first, "html.parser").table["id"] != BeautifulSoup(other, "html.parser").table["id"]
    assert BeautifulSoup(reader_table(frame, uuid="pooled", names=NAMES).data, "html.parser").table["id"] == "T_pooled"


def test_cell_text_is_escaped():
    soup = _soup(pd.DataFrame({"claim": ["a <b> & c"]}))
    assert soup.select_one("tbody td").get_text() == "a <b> & c"
    assert soup.select_one("tbody td").find("b") is None


def test_shade_needs_a_shown_column():
    frame = pd.DataFrame({"caar": [0.1, -0.2]})
    html = reader_table(frame, shade={"CAAR (%)": frame["caar"]}, names=NAMES).data
    assert "background-color" in html
    with pytest.raises(CrackdownError, match="'nope'"):
        reader_table(frame, shade={"nope": frame["caar"]}, names=NAMES)


def test_vocabulary_is_consistent():
    for raw, column in COLUMNS.items():
        if column.kind == "pct":
            assert "(%" in column.label or "percentage points" in column.label, raw
        if column.kind == "p":
            assert column.label.startswith("p"), raw
        assert column.label == column.label.strip() and "_" not in column.label, raw
    with pytest.raises(CrackdownError, match="kind"):
        Column("x", "percent")


@pytest.mark.parametrize(("estimate", "unit", "expected"), [
    (-0.018468, "%", "-1.8%"), (0.0951, "%", "9.5%"), (-0.55, "percentage points", "-55.0 percentage points"), (0.1997, "rho", "rho +0.20"),
    (None, "%", "–"), (float("nan"), "rho", "–")])
def test_headline_value(estimate, unit, expected):
    assert display.headline_value(estimate, unit) == expected


# ------------------------------------------------------------------ labels of firms, events and claims for readers
def test_shorten_keeps_what_fits_drops_a_trailing_note_then_cuts_at_a_word():
    assert display.shorten("Ping An Insurance (Group)", 25) == "Ping An Insurance (Group)"  # fits: as is
    assert display.shorten("Ping An Insurance (Group)", 20) == "Ping An Insurance"  # the note dropped
    assert display.shorten("Semiconductor Manufacturing International Corporation", 28) == "Semiconductor Manufacturing…"
    assert display.shorten("Regulator fines ten firms, each CNY0.5m", 27) == "Regulator fines ten firms…"  # comma dropped
    assert display.shorten("  two   spaces  ", 20) == "two spaces"
    assert display.shorten("Averyveryveryverylongword here", 10) == "Averyvery…"  # one word longer than the limit
    for text, limit in (("Semiconductor Manufacturing International Corporation", 28), ("a b c d e f g h", 6)):
        assert len(display.shorten(text, limit)) <= limit
    with pytest.raises(CrackdownError, match="max_chars"):
        display.shorten("text", 1)


def test_event_labels_are_the_description_up_to_the_first_semicolon_shortened():
    events = pd.DataFrame({"event_id": ["fine_a", "probe_b", "bare_c"],
                           "description": ["Regulator fines Acme CNY1m; Acme appeals the next day.",
                                           "Regulator opens an anti-monopoly investigation into the practices of Bolt",
                                           np.nan]})
    labels = display.event_label_series(events, max_chars=40)
    assert labels.to_dict() == {"fine_a": "Regulator fines Acme CNY1m",
                                "probe_b": "Regulator opens an anti-monopoly…",
                                "bare_c": "bare_c"}  # no description: the id stays
    with pytest.raises(CrackdownError, match="description"):
        display.event_label_series(events.drop(columns="description"))


def test_claim_labels_are_the_claim_text_shortened():
    claims = pd.DataFrame({"claim_id": ["short", "long"],
                           "claim": ["Acme listed.", "Bolt put its own listing plans on hold to meet the new rules."]})
    assert display.claim_label_series(claims, max_chars=30).to_dict() == {
        "short": "Acme listed.", "long": "Bolt put its own listing…"}
    with pytest.raises(CrackdownError, match="claim_id"):
        display.claim_label_series(claims.drop(columns="claim_id"))


def test_short_names_are_firm_names_shortened_for_figures():
    names = {"acme": "Acme Holdings (Cayman)", "bolt": "Bolt & Sons International Trading Company"}
    assert display.short_names(["acme", "bolt", "nobody"], 20, names) == ["Acme Holdings", "Bolt & Sons…", "nobody"]


def test_event_and_claim_columns_show_the_labels_of_the_data(tmp_path: Path, monkeypatch):
    from claim_world import write_world

    from crackdown.data import clear_cache

    write_world(tmp_path, events=[{"event_id": "acme_fine", "date": "2021-04-10", "type": "fine",
                                   "firm_ids": "", "description": "Regulator fines Acme; Acme pays."},
                                  {"event_id": "acme_probe", "date": "2021-05-10", "type": "probe",
                                   "firm_ids": "", "description": "Regulator opens a probe, its second"}])
    (tmp_path / "data" / "claims.csv").write_text((ROOT / "data" / "claims.csv").read_text(encoding="utf-8")
                                                 .splitlines()[0] + "\n", encoding="utf-8")  # the header alone
    monkeypatch.setenv("CRACKDOWN_ROOT", str(tmp_path))
    clear_cache()
    try:
        shown = reader_frame(pd.DataFrame({"event_id": ["acme_fine", "unknown"],
                                           "event": ["acme_fine", "unknown"],
                                           "what": ["acme_fine; acme_probe", ""]}),
                             {"what": Column("what happened", "events")}, names=NAMES)
        claims = display.claim_labels()
    finally:
        clear_cache()
    assert shown.to_dict("list") == {"event id (data row)": ["acme_fine", "unknown"],
                                     "event": ["Regulator fines Acme", "unknown"],
                                     "what happened": ["Regulator fines Acme; Regulator opens a probe, its second", "–"]}
    assert claims == {}


def test_every_line_of_evidence_has_a_headline_unit() -> None:
    """00's table writes each line's headline in its unit: a line added to summary.EVIDENCE without one would
    fail the summary page with a bare KeyError."""
    assert set(display.HEADLINE_UNITS) == set(summary.EVIDENCE)

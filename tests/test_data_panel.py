"""The alignment panel rules of `crackdown data check` (completeness, statuses, not_found rows, source hosts,
penalty-event links) on the small valid fixture, and the panel coverage function on hand-built tables."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from crackdown.data import check_all, write_manifest
from crackdown.data.panel import PANEL_STATES, markdown_table, panel_counts, panel_status
from crackdown.data.schemas import CORE_INDICATORS


def errors(data_dir: Path) -> list[str]:
    return [str(v) for v in check_all(data_dir) if v.severity == "error"]


def edit_rows(data_dir: Path, table: str, change) -> None:
    """Rewrite ``table``.csv through ``change(rows) -> rows`` (rows as dicts) and re-bless the manifest."""
    path = data_dir / f"{table}.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    header = list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(change(rows))
    path.write_text(out.getvalue(), encoding="utf-8")
    write_manifest(data_dir)


def set_cell(data_dir: Path, table: str, line: int, **cells: str) -> None:
    """Set cells of the row on CSV ``line`` (header = line 1)."""
    def change(rows: list[dict]) -> list[dict]:
        rows[line - 2].update(cells)
        return rows
    edit_rows(data_dir, table, change)


def alignment_line(data_dir: Path, firm: str, indicator: str) -> int:
    rows = list(csv.DictReader(io.StringIO((data_dir / "alignment.csv").read_text(encoding="utf-8"))))
    return next(i for i, r in enumerate(rows, start=2) if r["firm_id"] == firm and r["indicator"] == indicator)


def test_fixture_panel_is_complete(data: Path) -> None:
    assert errors(data) == []


def test_missing_firm_indicator_pair_is_reported_once_per_indicator(data: Path) -> None:
    edit_rows(data, "alignment", lambda rows: [r for r in rows if not (
        r["indicator"] == "golden_share" and r["firm_id"] in ("meituan", "alibaba"))])
    assert errors(data) == ["data/alignment.csv:0:indicator: panel incomplete: 2 firm(s) have no row (found or "
                            "not_found) for core indicator golden_share: alibaba, meituan"]


def test_a_row_for_a_non_core_indicator_does_not_complete_the_panel(data: Path) -> None:
    def change(rows: list[dict]) -> list[dict]:
        for r in rows:
            if r["firm_id"] == "meituan" and r["indicator"] == "state_shareholder":
                r.update(indicator="sdn_list")
        return rows
    edit_rows(data, "alignment", change)
    assert [e.split(":")[3].strip() for e in errors(data)] == ["panel incomplete"]


def test_status_must_be_in_the_vocabulary(data: Path) -> None:
    line = alignment_line(data, "meituan", "golden_share")
    set_cell(data, "alignment", line, status="unknown")
    assert [e.split(" (")[0] for e in errors(data)] == [f"data/alignment.csv:{line}:status: must be one of found, not_found"]


@pytest.mark.parametrize(("status", "value"), [("not_found", "true"), ("found", "")])
def test_value_must_agree_with_status(data: Path, status: str, value: str) -> None:
    line = alignment_line(data, "meituan", "golden_share")
    set_cell(data, "alignment", line, status=status, value=value)
    assert [e.split(" (")[0] for e in errors(data)] == [
        f"data/alignment.csv:{line}:value: a found row needs a value and a not_found row must leave value empty"]


def test_not_found_row_must_say_what_was_looked_for(data: Path) -> None:
    line = alignment_line(data, "meituan", "golden_share")
    set_cell(data, "alignment", line, notes="")
    assert [e.split(" (")[0] for e in errors(data)] == [
        f"data/alignment.csv:{line}:notes: a not_found row must say in notes what was looked for"]


def test_not_found_row_must_name_where_it_looked(data: Path) -> None:
    line = alignment_line(data, "meituan", "golden_share")
    set_cell(data, "alignment", line, sources="")
    assert [e.split(" (")[0] for e in errors(data)] == [f"data/alignment.csv:{line}:sources: must not be empty"]


def test_found_false_row_is_accepted(data: Path) -> None:
    line = alignment_line(data, "meituan", "golden_share")
    set_cell(data, "alignment", line, status="found", value="false", notes="")
    assert errors(data) == []


@pytest.mark.parametrize(("url", "reason"), [
    ("https://testing.dev.theedgesingapore.com/news/a", "a staging or test server"),
    ("https://staging.globalventuring.com/megvii", "a staging or test server"),
    ("https://web-qa.staging.markets.com/vc/news/x", "a staging or test server"),
    ("https://dev-v4.freemalaysiatoday.com/category/business/2022/03/11/x", "a staging or test server"),
    ("https://test-news.aibase.com/ja/news/24211", "a staging or test server"),
    ("https://www-reuters-com.libproxy.example.edu/article", "a proxy host"),
    ("http://nproxy.example.org/x", "a proxy host"),
    ("https://d33gy59ovltp76.cloudfront.net/news/x", "a mirror host"),
    ("https://en.wikipedia-on-ipfs.org/wiki/Hikvision", "a mirror host"),
    ("http://3.124.21.42/?p=91428", "a bare IP address (mirror of unclear origin)"),
])
def test_blocked_source_hosts_are_rejected_in_every_table(data: Path, url: str, reason: str) -> None:
    host = url.split("/")[2]
    set_cell(data, "events", 3, sources=f"https://www.scmp.com/a ; {url}")
    set_cell(data, "alignment", 2, sources=url)
    assert sorted(errors(data)) == sorted([
        f"data/events.csv:3:sources: source host {host!r} is {reason}; cite the original outlet or an archive link",
        f"data/alignment.csv:2:sources: source host {host!r} is {reason}; cite the original outlet or an archive link",
    ])


@pytest.mark.parametrize("url", ["https://www.devdiscourse.com/article/x", "https://www.besthub.dev/articles/x",
                                 "https://web.archive.org/web/2021/https://example.org/a",
                                 "https://www.reuters.com/business/x"])
def test_ordinary_and_archive_hosts_pass(data: Path, url: str) -> None:
    set_cell(data, "events", 3, sources=url)
    assert errors(data) == []


def test_penalty_needs_a_known_event(data: Path) -> None:
    set_cell(data, "penalties", 2, event_id="alibaba_fined_2099")
    assert [e.split(" (")[0] for e in errors(data)] == ["data/penalties.csv:2:event_id: unknown event_id"]


def test_penalty_firm_must_be_named_by_its_event(data: Path) -> None:
    set_cell(data, "penalties", 3, event_id="alibaba_fined_2021")
    assert errors(data) == [
        "data/penalties.csv:3:event_id: firm 'meituan' is not among the firm_ids of event 'alibaba_fined_2021'"]


# --- panel coverage on hand-built tables ----------------------------------------------------------------------
def long(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    """(firm_id, indicator, status, value, as_of)."""
    return pd.DataFrame(rows, columns=["firm_id", "indicator", "status", "value", "as_of"])


PANEL = long(
    ("a", "golden_share", "found", "true", "2021-04-30"),
    ("b", "golden_share", "found", "false", "2021-01-01"),
    ("c", "golden_share", "not_found", "", "2026-11-28"),
    ("a", "govt_revenue_share", "found", "0.0", "2020-12-31"),
    ("b", "govt_revenue_share", "found", "0.3", "2020-12-31"),
    ("b", "govt_revenue_share", "not_found", "", "2026-11-28"),  # a later fruitless search does not undo a fact
    ("c", "us_entity_list", "found", "true", "2019-10-09"),
    ("c", "us_entity_list", "found", "false", "2018-01-01"),
    ("a", "ns_cmic_list", "found", "true", "2021-12"),  # month only: counts from 2021-12-31
)


def test_panel_status_tells_found_false_from_not_found_and_no_row() -> None:
    status = panel_status(PANEL, ["a", "b", "c", "d"], ("golden_share", "govt_revenue_share", "us_entity_list"))
    assert status.loc[:, "golden_share"].tolist() == ["found_true", "found_false", "not_found", "no_row"]
    assert status.loc[:, "govt_revenue_share"].tolist() == ["found_false", "found_true", "no_row", "no_row"]
    assert status.loc[:, "us_entity_list"].tolist() == ["no_row", "no_row", "found_true", "no_row"]  # latest wins


def test_panel_status_as_of_ignores_later_facts_but_keeps_searches() -> None:
    status = panel_status(PANEL, ["a", "b", "c"], ("golden_share", "us_entity_list", "ns_cmic_list"), as_of="2021-12-15")
    assert status.loc["a", "golden_share"] == "found_true"
    assert status.loc["c", "golden_share"] == "not_found"  # the search is dated later but still says "unknown"
    assert status.loc["c", "us_entity_list"] == "found_true"
    assert status.loc["a", "ns_cmic_list"] == "no_row"  # month fact effective 2021-12-31, after as_of
    early = panel_status(PANEL, ["c"], ("us_entity_list",), as_of="2018-06-30")
    assert early.loc["c", "us_entity_list"] == "found_false"


def test_panel_counts_add_up_to_the_firms_and_print_as_markdown() -> None:
    counts = panel_counts(panel_status(PANEL, ["a", "b", "c", "d"]))
    assert list(counts.index) == list(CORE_INDICATORS) and list(counts.columns) == list(PANEL_STATES)
    assert counts.sum(axis=1).eq(4).all()
    assert counts.loc["golden_share"].tolist() == [1, 1, 1, 1]
    assert counts.loc["state_shareholder"].tolist() == [0, 0, 0, 4]
    table = markdown_table(counts).splitlines()
    assert table[0] == "| indicator | found_true | found_false | not_found | no_row |"
    assert table[2 + list(CORE_INDICATORS).index("golden_share")] == "| golden_share | 1 | 1 | 1 | 1 |"


def test_readme_block_is_replaced_between_the_markers() -> None:
    from crackdown.data.panel import README_END, README_START, readme_with_table

    text = f"intro\n{README_START}\nold table\n{README_END}\noutro\n"
    assert readme_with_table(text, "| new |") == f"intro\n{README_START}\n| new |\n{README_END}\noutro\n"
    with pytest.raises(ValueError, match="panel-table"):
        readme_with_table("no markers", "| new |")

"""`crackdown data check` rules: each deliberately broken fixture is rejected at the exact file:line:column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crackdown.data import check_all, check_manifest, load_events, write_manifest
from crackdown.data.schemas import TABLES, read_table
from crackdown.errors import CrackdownError

FIXTURES = Path(__file__).parent / "fixtures"



def errors(data_dir: Path) -> list[str]:
    return [str(v) for v in check_all(data_dir) if v.severity == "error"]


def overlay(data_dir: Path, case: str) -> None:
    """Lay the files of broken/<case> over the data folder and re-bless the manifest."""
    source = FIXTURES / "broken" / case
    for path in source.rglob("*.csv"):
        shutil.copy(path, data_dir / path.relative_to(source))
    write_manifest(data_dir)


def test_valid_fixture_has_no_errors(data: Path) -> None:
    assert errors(data) == []


@pytest.mark.parametrize(("case", "prefix"), [
    ("duplicate_id", "data/firms.csv:6:firm_id: duplicate value 'alibaba' (first on line 2)"),
    ("unknown_firm", "data/events.csv:5:firm_ids: unknown firm_id"),
    ("impossible_date", "data/events.csv:5:date: must be a valid ISO date"),
    ("negative_amount", "data/penalties.csv:3:amount: must be a non-negative number"),
    ("missing_source", "data/ipos.csv:3:sources: "),
    ("unknown_event_type", "data/events.csv:6:type: must be one of"),
    ("prices_out_of_order", "data/prices/BABA.csv:9:date: out of order"),
])
def test_broken_fixture_is_rejected_at_file_line_column(data: Path, case: str, prefix: str) -> None:
    overlay(data, case)
    found = errors(data)
    assert len(found) == 1, found
    assert found[0].startswith(prefix), found[0]


def test_unknown_firm_message_suggests_close_match(data: Path) -> None:
    overlay(data, "unknown_firm")
    assert "did you mean alibaba" in errors(data)[0]


def test_loader_refuses_invalid_data_naming_the_culprit(data: Path) -> None:
    overlay(data, "impossible_date")
    with pytest.raises(CrackdownError, match=r"data/events\.csv:5:date:"):
        load_events(data_dir=data)


def test_manifest_notices_a_changed_file(data: Path) -> None:
    assert check_manifest(data) == []
    price = data / "prices" / "BABA.csv"
    price.write_text(price.read_text().replace("225.300003", "225.300004", 1))
    listed = [line.split("  ", 1)[1] for line in (data / "MANIFEST.sha256").read_text().splitlines()]
    line = listed.index("prices/BABA.csv") + 1
    problems = [str(v) for v in check_manifest(data)]
    assert problems == [(f"data/MANIFEST.sha256:{line}:sha256: prices/BABA.csv has changed since the manifest "
                         "was written; run `crackdown data manifest --update` if the change is deliberate")]
    assert any(p.startswith("data/MANIFEST.sha256:") for p in errors(data))
    write_manifest(data)
    assert check_manifest(data) == []


def test_manifest_notices_added_and_removed_files(data: Path) -> None:
    shutil.copy(data / "prices" / "BABA.csv", data / "prices" / "COPY.csv")
    (data / "prices" / "IDX_HSI.csv").unlink()
    found = [str(v) for v in check_manifest(data)]
    assert any(p.startswith("data/prices/COPY.csv:0:-: not listed in MANIFEST.sha256") for p in found)
    assert any(":path: prices/IDX_HSI.csv is listed but missing" in p for p in found)


def test_price_file_without_security_row_and_security_without_file(data: Path) -> None:
    shutil.copy(data / "prices" / "BABA.csv", data / "prices" / "XYZ.csv")
    (data / "prices" / "IDX_HSI.csv").unlink()
    write_manifest(data)
    found = errors(data)
    assert any(p.startswith("data/prices/XYZ.csv:0:-: symbol XYZ has no row in securities.csv") for p in found)
    # IDX_HSI is on line 5 of securities.csv
    assert any(p.startswith("data/securities.csv:5:price_basis: no price file prices/IDX_HSI.csv") for p in found)


def test_non_session_date_is_a_warning_not_an_error(data: Path) -> None:
    price = data / "prices" / "BABA.csv"
    lines = price.read_text().splitlines()
    saturday = "2021-04-03" + lines[6][10:]  # a copy of line 7 (2021-04-01) as the new line 8
    lines.insert(7, saturday)
    price.write_text("\n".join(lines) + "\n")
    write_manifest(data)
    found = check_all(data)
    assert [str(v) for v in found if v.severity == "error"] == []
    assert "data/prices/BABA.csv:8:date: warning: not a XNYS trading session (2021-04-03)" in map(str, found)


def test_benchmark_must_be_a_known_symbol(data: Path) -> None:
    path = data / "securities.csv"
    path.write_text(path.read_text().replace(",raw_and_adjusted,IDX_GSPC,", ",raw_and_adjusted,IDX_SPX,"))
    write_manifest(data)
    found = errors(data)
    assert len(found) == 1 and found[0].startswith("data/securities.csv:2:benchmark_symbol: unknown symbol")


@pytest.mark.parametrize("sources", ["see notes", ";", "https://example.org/a ; www.example.org/b"])
def test_sources_must_be_urls(data: Path, sources: str) -> None:
    path = data / "alignment.csv"
    path.write_text(path.read_text().replace("https://sewkis.com/?p=11762", sources))
    write_manifest(data)
    assert [e.split(" (")[0] for e in errors(data)] == [
        "data/alignment.csv:4:sources: every ';'-separated source must be a full http(s) URL"]


def test_alignment_share_outside_unit_interval(data: Path) -> None:
    path = data / "alignment.csv"
    path.write_text(path.read_text().replace(",0.48,share,", ",48,share,"))
    write_manifest(data)
    assert [e.split(" (")[0] for e in errors(data)] == [
        "data/alignment.csv:5:value: value must match unit"]


def test_ragged_row_and_missing_column(data: Path) -> None:
    path = data / "firms.csv"
    lines = path.read_text().splitlines()
    lines[2] += ",extra"
    path.write_text("\n".join(lines) + "\n")
    frame, problems = read_table(path, "data/firms.csv")
    assert [str(p) for p in problems] == ["data/firms.csv:3:-: expected 10 fields, found 11"]
    assert list(frame.index) == [2, 4, 5]
    path.write_text(path.read_text().replace("hq_city,", "city,", 1))
    write_manifest(data)
    found = errors(data)
    assert "data/firms.csv:1:hq_city: missing column" in found
    assert "data/firms.csv:1:city: unexpected column" in found


def test_multiline_quoted_cell_keeps_line_numbers(data: Path) -> None:
    path = data / "firms.csv"
    text = path.read_text().replace("IPO halted in 2020; still", '"IPO halted in 2020;\nstill', 1)
    text = text.replace("at the end of 2023.", 'at the end of 2023."', 1)
    path.write_text(text.replace("meituan,Meituan", "Meituan!,Meituan"))
    frame, _ = read_table(path, "data/firms.csv")
    assert list(frame.index) == [2, 3, 5, 6]
    write_manifest(data)
    assert [e.split(" (")[0] for e in errors(data) if e.startswith("data/firms.csv")] == [
        "data/firms.csv:5:firm_id: must be a snake_case id"]


def test_every_table_spec_matches_the_agreed_columns() -> None:
    assert TABLES["events"].column_names == [
        "event_id", "date", "time", "tz", "time_source", "type", "actor", "firm_ids", "sectors", "amount", "currency",
        "description", "sources", "confidence", "notes"]
    for name, spec in TABLES.items():
        header = (FIXTURES / "valid" / "data" / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == spec.column_names

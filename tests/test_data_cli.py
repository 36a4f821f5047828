"""`crackdown data ...` exit codes and output, through crackdown.cli.main."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crackdown import cli
from crackdown.data import clear_cache, write_manifest
from crackdown.errors import CrackdownError

FIXTURES = Path(__file__).parent / "fixtures"


def test_check_passes_on_valid_data(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["data", "check", "--data-dir", str(data)]) == 0
    assert "0 error(s)" in capsys.readouterr().err


def test_check_fails_and_prints_file_line_column(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FIXTURES / "broken" / "impossible_date" / "events.csv", data / "events.csv")
    assert cli.main(["data", "check", "--data-dir", str(data)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("data/events.csv:5:date: must be a valid ISO date") for line in out)
    assert any(line.startswith("data/MANIFEST.sha256:") and "events.csv has changed" in line for line in out)


def test_manifest_verify_and_update(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["data", "manifest", "--data-dir", str(data)]) == 0
    firms = data / "firms.csv"
    firms.write_text(firms.read_text(encoding="utf-8").replace("Hangzhou", "Hangzhou ", 1), encoding="utf-8")
    assert cli.main(["data", "manifest", "--data-dir", str(data)]) == 1
    assert "firms.csv has changed" in capsys.readouterr().out
    assert cli.main(["data", "manifest", "--update", "--data-dir", str(data)]) == 0
    assert cli.main(["data", "manifest", "--data-dir", str(data)]) == 0


def test_refresh_failure_exits_2_and_changes_nothing(data: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    def offline(ticker, start, end):
        raise CrackdownError(f"download of {ticker} failed: offline")

    monkeypatch.setattr("crackdown.data.refresh.yfinance_download", offline)
    before = (data / "prices" / "BABA.csv").read_bytes()
    assert cli.main(["data", "refresh", "--symbols", "BABA", "--data-dir", str(data)]) == 2
    assert "download of BABA failed: offline" in capsys.readouterr().err
    assert (data / "prices" / "BABA.csv").read_bytes() == before


def test_unknown_refresh_symbol_exits_2(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["data", "refresh", "--symbols", "BABX", "--data-dir", str(data)]) == 2
    assert "did you mean BABA" in capsys.readouterr().err


def test_check_help_explains_line_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["data", "check", "--help"])
    assert "header is line 1" in " ".join(capsys.readouterr().out.split())


def test_check_reports_a_broken_claims_register(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """claims.csv is validated by `data check` too (against the evaluators registered in crackdown.claims)."""
    target = tmp_path / "data"
    shutil.copytree(Path(__file__).parents[1] / "data", target)
    lines = (target / "claims.csv").read_text().splitlines(keepends=True)
    lines[2] = "BAD ID" + lines[2][lines[2].index(","):]
    (target / "claims.csv").write_text("".join(lines))
    write_manifest(target)
    clear_cache()
    assert cli.main(["data", "check", "--data-dir", str(target)]) == 1
    assert "data/claims.csv:3:claim_id: must be a snake_case id" in capsys.readouterr().out

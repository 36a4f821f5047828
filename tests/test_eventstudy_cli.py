"""``crackdown event-study`` on the real price snapshot."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest

from crackdown.cli import main


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["event-study", *argv])
    return code, out.getvalue(), err.getvalue()


def test_tutoring_rules_crash_on_the_us_session() -> None:
    code, out, _ = _run(
        "--date",
        "2021-07-23",
        "--symbols",
        "TAL",
        "EDU",
        "GOTU",
        "--window",
        "0",
        "0",
        "--model",
        "raw",
        "--format",
        "json",
    )
    assert code == 0
    rows = {r["symbol"]: r for r in json.loads(out)["pairs"]}
    assert set(rows) == {"TAL", "EDU", "GOTU"}
    for row in rows.values():
        assert row["day0"] == "2021-07-23" and row["exchange"] in ("XNYS", "XNAS")
        assert row["ar[0]"] < -0.3  # each lost far more than 30% that day


def test_after_us_close_event_maps_to_next_hk_session() -> None:
    code, out, _ = _run(
        "--date",
        "2021-07-23T21:00",
        "--symbols",
        "TAL",
        "9988.HK",
        "--model",
        "market",
        "--groups",
        "edu=TAL",
        "hk=9988.HK",
        "--format",
        "json",
    )
    assert code == 0
    payload = json.loads(out)
    day0 = {r["symbol"]: r["day0"] for r in payload["pairs"]}
    assert day0 == {"TAL": "2021-07-23", "9988.HK": "2021-07-26"}
    assert {g["group"] for g in payload["groups"]} == {"edu", "hk"}


def test_table_and_csv_formats() -> None:
    code, out, _ = _run("--date", "2021-04-10", "--symbols", "BABA", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("event_id,symbol,exchange,day0")
    assert "2021-04-12" in out  # Saturday fine -> Monday session
    code, out, _ = _run("--date", "2021-04-10", "--symbols", "BABA")
    assert code == 0 and "BABA" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--date", "2021-07-23", "--symbols", "TALL"], "symbols"),
        (["--date", "23/07/2021", "--symbols", "TAL"], "--date"),
        (["--date", "2021-07-23", "--symbols", "TAL", "--groups", "edu"], "--groups"),
        (["--date", "2021-07-23", "--symbols", "TAL", "--window", "-20", "0"], "estimation"),
        (["--date", "2021-07-23", "--symbols", "TAL", "--min-obs", "400"], "min_obs"),
        (["--event", "no_such_event_2021", "--symbols", "TAL"], "--event: unknown event"),
    ],
)
def test_user_errors_exit_2_naming_the_parameter(argv: list[str], needle: str) -> None:
    code, _, err = _run(*argv)
    assert code == 2 and needle in err

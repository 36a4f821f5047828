"""The bad-input catalogue: every way a user can get an input wrong fails clearly and harms nothing.

Each case is a row: what to run, and the text that must name the culprit (parameter, file, row, column). Every
case asserts a non-zero exit, that message, no partial HTML, and that earlier outputs are intact. Cases run in
scratch copies of the project whose ``outputs/`` hold "earlier good outputs" (sentinel files).

Speed: cases that fail before any kernel starts (CLI misuse, wrong types, unknown names, corrupt data seen by
``data check``) run in-process. Cases that fail inside a notebook are grouped into *waves*: one ``crackdown run``
per wave runs every notebook, each with its own bad parameters, so a wave costs one run of the whole report's
first cells. The README's "Troubleshooting" section lists this catalogue.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, TEST_NOTEBOOKS, Completed, run_crackdown

from crackdown import cli, notebooks

REPORT_NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
MARKER = "PWNED"  # payloads below create this file in the working folder if their text ever runs as code
PAYLOAD = "'__import__(\"pathlib\").Path(\"PWNED\").touch()'"


# ---------------------------------------------------------------------------------------------------------------
# Scratch projects with earlier outputs


def _make_project(root: Path, notebook_dir: Path = ROOT / "notebooks") -> Path:
    """A project copy whose outputs/ hold an earlier good output for every notebook (sentinel files)."""
    (root / "notebooks").mkdir(parents=True)
    for nb in notebook_dir.glob("*.ipynb"):
        shutil.copy(nb, root / "notebooks" / nb.name)
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "profiles", root / "profiles")
    out = root / "outputs"
    for nb in notebook_dir.glob("*.ipynb"):
        for sub, suffix in (("html", "html"), ("notebooks", "ipynb"), ("results", "json")):
            (out / sub).mkdir(parents=True, exist_ok=True)
            (out / sub / f"{nb.stem}.{suffix}").write_text(f"earlier good {sub} of {nb.stem}\n")
    (out / "html" / "index.html").write_text("earlier index\n")
    return root


def _snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under outputs/ (the lock file aside)."""
    out = root / "outputs"
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            digest.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return digest.hexdigest()


def _assert_failed_cleanly(root: Path, before: dict[str, str], failed: list[str]) -> None:
    """Earlier outputs of the ``failed`` notebooks are intact and no HTML page but the index was written."""
    after = _snapshot(root)
    for name in failed:
        for rel in (f"html/{name}.html", f"notebooks/{name}.ipynb", f"results/{name}.json"):
            assert after.get(rel) == before[rel], f"{rel} was replaced or removed by a failed run"
    new_html = {k for k in after if k.startswith("html/")} - {k for k in before if k.startswith("html/")}
    assert not new_html, f"a failed run left partial HTML: {sorted(new_html)}"
    staging = root / "outputs" / ".staging"
    leftovers = [p for p in staging.rglob("*")] if staging.exists() else []
    assert not leftovers, f"staging files left behind: {leftovers[:5]}"


# ---------------------------------------------------------------------------------------------------------------
# The catalogue


@dataclass(frozen=True)
class Case:
    """One bad input: the command's arguments and the texts its error output must contain."""

    id: str
    argv: tuple[str, ...]
    expect: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)  # extra files written into the scratch project


# CLI misuse: fails while parsing or checking arguments, before any notebook or data is touched.
CLI_CASES = [
    Case("no-command", (), ("required", "COMMAND")),
    Case("unknown-command", ("frobnicate",), ("invalid choice", "'frobnicate'")),
    Case("jobs-zero", ("run", "--jobs", "0"), ("--jobs", "at least 1", "0")),
    Case("jobs-not-int", ("run", "--jobs", "two"), ("--jobs", "'two'")),
    Case("timeout-negative", ("run", "--timeout", "-5"), ("--timeout", "positive", "-5")),
    Case("unknown-profile", ("run", "--profile", "fast"), ("--profile", "'fast'", "ci", "full")),
    Case("parameter-missing-value", ("run", "-p", "start"), ("-p", "expected 2 arguments")),
    Case("unknown-notebook", ("run", "nosuch"), ("unknown notebook 'nosuch'",)),
    Case("misspelt-notebook", ("run", "01_data_coverag"), ("unknown notebook '01_data_coverag'", "01_data_coverage")),
    Case("unknown-parameter", ("run", "01_data_coverage", "-p", "strat", "2020-01-01"),
         ("unknown parameter 'strat'", "valid parameters: start, end, symbols")),
    Case("params-file-missing", ("run", "-f", "nosuch.yaml"), ("-f", "nosuch.yaml", "does not exist")),
    Case("params-file-not-yaml", ("run", "-f", "bad.yaml"), ("bad.yaml", "not valid YAML"),
         files={"bad.yaml": "start: [2020\n"}),
    Case("params-file-not-mapping", ("run", "-f", "list.yaml"), ("list.yaml", "expected a mapping"),
         files={"list.yaml": "- start\n- end\n"}),
    Case("params-file-unknown-parameter", ("run", "01_data_coverage", "-f", "p.yaml"), ("-f", "unknown parameter 'begin'"),
         files={"p.yaml": "begin: '2020-01-01'\n"}),
    Case("profile-file-unknown-parameter", ("run", "01_data_coverage", "--profile", "ci"),
         ("profiles/ci/01_data_coverage.yaml", "unknown parameter 'window'"),
         files={"profiles/ci/01_data_coverage.yaml": "window: 3\n"}),
    Case("profile-file-not-yaml", ("run", "01_data_coverage", "--profile", "ci"),
         ("profiles/ci/01_data_coverage.yaml", "not valid YAML"), files={"profiles/ci/01_data_coverage.yaml": "a: [\n"}),
    Case("data-no-subcommand", ("data",), ("required", "SUBCOMMAND")),
    Case("refresh-no-symbols", ("data", "refresh"), ("--symbols", "required")),
    Case("refresh-unknown-symbol", ("data", "refresh", "--symbols", "BABAA"), ("'BABAA'", "BABA")),
    Case("event-study-no-symbols", ("event-study", "--event", "ant_ipo_suspended_2020"), ("--symbols", "required")),
    Case("event-study-unknown-event", ("event-study", "--event", "ant_ipo_halted", "--symbols", "BABA"),
         ("event", "'ant_ipo_halted'", "ant_ipo_suspended_2020")),
    Case("event-study-unknown-symbol", ("event-study", "--event", "ant_ipo_suspended_2020", "--symbols", "BABAA"),
         ("symbols", "'BABAA'", "BABA")),
    Case("event-study-impossible-date", ("event-study", "--date", "2021-02-30", "--symbols", "BABA"),
         ("--date", "'2021-02-30'")),
    Case("event-study-reversed-window", ("event-study", "--event", "ant_ipo_suspended_2020", "--symbols", "BABA",
                                         "--window", "5", "-5"), ("window", "5", "-5")),
    Case("event-study-overlapping-windows", ("event-study", "--event", "ant_ipo_suspended_2020", "--symbols", "BABA",
                                             "--window", "-5", "5", "--estimation", "-10", "0"),
         ("estimation", "overlaps the event window")),
    Case("event-study-date-outside-calendar", ("event-study", "--date", "2030-01-04", "--symbols", "BABA"),
         ("2030-01-04", "outside")),

    # no code from parameter values: every YAML tag papermill's translator would write unescaped, at any depth,
    # from every source; each payload would create PWNED if it reached a notebook
    Case("cli-nested-set", ("run", "01_data_coverage", "-p", "symbols", f"[!!set {{{PAYLOAD}: null}}]"),
         ("parameter 'symbols'", "symbols[0]", "!!set")),
    Case("cli-nested-binary", ("run", "03_alignment_index", "-p", "weights", "{govt_revenue_share: !!binary aGk=}"),
         ("parameter 'weights'", "!!binary")),
    Case("cli-python-tag", ("run", "01_data_coverage", "-p", "start", f"!!python/object/apply:os.system [{PAYLOAD}]"),
         ("parameter 'start'", "!!python/object/apply:os.system")),
    Case("cli-alias-loop", ("run", "01_data_coverage", "-p", "symbols", "&a [BABA, *a]"),
         ("parameter 'symbols'", "contains itself")),
    Case("params-file-nested-omap", ("run", "-f", "omap.yaml"), ("-f", "parameter 'symbols'", "!!omap"),
         files={"omap.yaml": f"01_data_coverage:\n  symbols: [!!omap [{{{PAYLOAD}: 1}}]]\n"}),
    Case("params-file-nested-pairs", ("run", "03_alignment_index", "-f", "pairs.yaml"), ("-f", "'weights'", "!!pairs"),
         files={"pairs.yaml": f"weights: {{govt_revenue_share: !!pairs [{{{PAYLOAD}: 1}}]}}\n"}),
    Case("params-file-nested-timestamp", ("run", "01_data_coverage", "-f", "ts.yaml"), ("-f", "'symbols'", "!!timestamp"),
         files={"ts.yaml": "symbols: [!!timestamp 2021-01-01]\n"}),
    Case("params-file-int-key", ("run", "03_alignment_index", "-f", "key.yaml"), ("-f", "'weights'", "key 1", "text keys"),
         files={"key.yaml": "weights: {1: 1.0}\n"}),
    Case("profile-file-nested-set", ("run", "01_data_coverage", "--profile", "ci"),
         ("profiles/ci/01_data_coverage.yaml", "parameter 'symbols'", "!!set"),
         files={"profiles/ci/01_data_coverage.yaml": f"symbols: [!!set {{{PAYLOAD}: null}}]\n"}),
    Case("params-file-folder", ("run", "-f", "profiles"), ("-f", "profiles", "folder")),
    Case("params-file-not-utf8", ("run", "-f", "latin1.yaml"), ("latin1.yaml", "not UTF-8"),
         files={"latin1.yaml": b"start: '2020-01-01' # caf\xe9\n"}),
    # NaN and infinities, at the top and nested
    Case("fractional-window-parameter", ("run", "04_market_reaction", "-p", "window", "[0.5, 1]"),
         ("parameter 'window'", "window[0] must be int", "0.5")),
    Case("fractional-grid-window-parameter", ("run", "08_robustness", "-p", "windows", "[[0, 1], [0.5, 2]]"),
         ("parameter 'windows'", "windows[1][0] must be int")),
    Case("window-of-three-parameter", ("run", "08_robustness", "-p", "estimations", "[[-250, -11, 3]]"),
         ("parameter 'estimations'", "must hold 2 values")),
    Case("nan-parameter", ("run", "00_summary", "-p", "alpha", ".nan"), ("parameter 'alpha'", "not a finite number")),
    Case("infinite-parameter", ("run", "03_alignment_index", "-p", "threshold", ".inf"),
         ("parameter 'threshold'", "not a finite number")),
    Case("nested-nan-parameter", ("run", "03_alignment_index", "-p", "weights", "{govt_revenue_share: .nan}"),
         ("parameter 'weights'", "govt_revenue_share", "not a finite number")),
    Case("timeout-infinite", ("run", "--timeout", "inf"), ("--timeout", "not a finite number")),
    Case("timeout-nan", ("run", "--timeout", "nan"), ("--timeout", "not a finite number")),
    Case("timeout-fractional", ("run", "--timeout", "2.5"), ("--timeout", "whole seconds", "2.5")),
    # the sweep checks what notebooks/08_robustness.ipynb checks, before loading anything
    Case("sweep-alpha-nan", ("sweep", "--serial", "--alpha", "nan"), ("--alpha", "not a finite number")),
    Case("sweep-alpha-out-of-range", ("sweep", "--serial", "--alpha", "0.9"), ("--alpha", "0.9 is outside")),
    Case("sweep-min-events-zero", ("sweep", "--serial", "--min-events", "0"), ("--min-events", "0 is outside")),
    Case("sweep-placebo-negative", ("sweep", "--serial", "--placebo", "-1"), ("--placebo", "-1 is outside")),
    Case("sweep-threshold-nan", ("sweep", "--serial", "--thresholds", "0.2,nan"), ("threshold[1]", "not a finite number")),
    Case("sweep-threshold-infinite", ("sweep", "--serial", "--thresholds", "inf"), ("threshold[0]", "not a finite number")),
    Case("sweep-absurd-window", ("sweep", "--serial", "--windows=0:100000000"), ("window[0]", "beyond the data")),
    Case("sweep-bad-scheduler", ("sweep", "--scheduler", "tcp://host:port"), ("--scheduler", "'tcp://host:port'")),
    Case("sweep-scheduler-no-host", ("sweep", "--scheduler", "tcp://:8786"), ("--scheduler", "'tcp://:8786'")),
    Case("sweep-grid-not-mapping", ("sweep", "--serial", "--grid", "g.yaml"), ("--grid", "must hold a mapping"),
         files={"g.yaml": "- window\n"}),
    Case("sweep-grid-axis-not-list", ("sweep", "--serial", "--grid", "g.yaml"), ("--grid", "axis 'model'", "must be a list"),
         files={"g.yaml": "model: market\n"}),
    Case("sweep-grid-fractional-window", ("sweep", "--serial", "--grid", "g.yaml"), ("window[0]", "two integers"),
         files={"g.yaml": "window: [[0.5, 1]]\n"}),
    Case("sweep-grid-window-shape", ("sweep", "--serial", "--grid", "g.yaml"), ("estimation[0]", "two integers"),
         files={"g.yaml": "estimation: [[-250, -11, 3]]\n"}),
    Case("sweep-grid-set", ("sweep", "--serial", "--grid", "g.yaml"), ("--grid", "!!set"),
         files={"g.yaml": f"model: [!!set {{{PAYLOAD}: null}}]\n"}),
    Case("sweep-grid-folder", ("sweep", "--serial", "--grid", "profiles"), ("profiles", "folder")),
    Case("sweep-grid-not-utf8", ("sweep", "--serial", "--grid", "g.yaml"), ("g.yaml", "not UTF-8"),
         files={"g.yaml": b"model: [caf\xe9]\n"}),
    # the event-study command
    Case("event-study-absurd-window", ("event-study", "--event", "ant_ipo_suspended_2020", "--symbols", "BABA",
                                       "--window", "-100000000", "5"), ("--window", "beyond the data")),
    Case("event-study-own-benchmark", ("event-study", "--event", "ant_ipo_suspended_2020", "--symbols", "BABA",
                                       "--benchmark", "BABA"), ("--benchmark", "BABA", "its own benchmark")),
    Case("event-study-repeated-group", ("event-study", "--event", "ant_ipo_suspended_2020", "--symbols", "BABA",
                                        "--groups", "a=JD", "a=PDD"), ("--groups", "'a'", "twice")),
    # data commands
    Case("refresh-bad-date", ("data", "refresh", "--symbols", "BABA", "--start", "2021-13-01"), ("--start", "2021-13-01")),
    Case("refresh-reversed-range", ("data", "refresh", "--symbols", "BABA", "--start", "2022-01-01", "--end", "2021-01-01"),
         ("--start", "2022-01-01", "after --end 2021-01-01")),
    Case("manifest-missing-folder", ("data", "manifest", "--data-dir", "nosuch"), ("--data-dir", "nosuch", "does not exist")),
]

# A value of the wrong type for each type of default (read as YAML, as `-p` reads it).
WRONG_VALUE = {"str": "[1, 2]", "int": "three", "float": "high", "bool": "maybe", "list": "7", "dict": "[1]"}


def _wrong_type_cases() -> list[Case]:
    """Every parameter of every notebook, given a value of the wrong type."""
    cases = []
    for spec in notebooks.discover(ROOT / "notebooks").values():
        for p in spec.parameters.values():
            if p.type_name in WRONG_VALUE:
                cases.append(Case(f"{spec.name}-{p.name}-wrong-type", ("run", spec.name, "-p", p.name, WRONG_VALUE[p.type_name]),
                                  (f"parameter '{p.name}' of {spec.name} must be {p.type_name}",)))
    return cases


_DISCOVERED: dict[Path, dict[str, notebooks.NotebookSpec]] = {}
_discover = notebooks.discover


def _cached_discover(directory: Path | None = None) -> dict[str, notebooks.NotebookSpec]:
    """notebooks.discover, read once per folder (reading every notebook's parameters is the slow part)."""
    from crackdown import paths

    directory = directory or paths.notebooks_dir()
    if directory not in _DISCOVERED:
        _DISCOVERED[directory] = _discover(directory)
    return _DISCOVERED[directory]


def _in_process(root: Path, argv: tuple[str, ...], monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> Completed:
    """``crackdown ARGV`` in this process (no kernel may start: reaching the runner fails the test)."""
    import crackdown.runner

    def no_run(*args, **kwargs):
        raise AssertionError("the bad input was accepted and a run started")

    monkeypatch.setattr(crackdown.runner, "run_notebooks", no_run)
    monkeypatch.setattr(notebooks, "discover", _cached_discover)
    monkeypatch.setattr("crackdown.data.refresh.yfinance_download", no_run)
    monkeypatch.setenv("CRACKDOWN_ROOT", str(root))
    monkeypatch.chdir(root)
    capsys.readouterr()
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return Completed(int(code or 0), captured.out, captured.err)


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_project(tmp_path_factory.mktemp("bad_inputs") / "project")


@pytest.fixture
def project(shared_project: Path) -> Path:
    """The shared scratch project, with any files a case wrote removed or restored afterwards."""
    profiles = {p: p.read_bytes() for p in (shared_project / "profiles").rglob("*.yaml")}
    yield shared_project
    for path, data in profiles.items():
        path.write_bytes(data)


@pytest.mark.parametrize("case", CLI_CASES + _wrong_type_cases(), ids=lambda c: c.id)
def test_cli_misuse_fails_before_running_anything(case: Case, project: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    for rel, text in case.files.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_bytes(text if isinstance(text, bytes) else text.encode())
    before = _snapshot(project)
    data_before = _tree_hash(project / "data")
    result = _in_process(project, case.argv, monkeypatch, capsys)
    assert result.returncode != 0
    for text in case.expect:
        assert text in result.stderr, f"{text!r} not in: {result.stderr}"
    assert "Traceback" not in result.stderr
    assert _snapshot(project) == before, "outputs changed although nothing ran"
    assert _tree_hash(project / "data") == data_before, "data changed although nothing ran"
    assert not (project / MARKER).exists(), "a parameter value ran as code"


# ---------------------------------------------------------------------------------------------------------------
# Corrupt data: `crackdown data check` names file:line:column; the loaders refuse the same data.


def _set_cell(rel: str, line: int, column: str, value: str) -> Callable[[Path], None]:
    """A corruption: set one cell (CSV line number, header = line 1) of ``data/<rel>``."""
    def corrupt(data: Path) -> None:
        path = data / rel
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        rows[line - 1][rows[0].index(column)] = value
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
    return corrupt


def _append(rel: str, text: bytes) -> Callable[[Path], None]:
    def corrupt(data: Path) -> None:
        path = data / rel
        path.write_bytes(path.read_bytes() + text)
    return corrupt


def _lines(rel: str) -> int:
    return len((ROOT / "data" / rel).read_text(encoding="utf-8").splitlines())


@dataclass(frozen=True)
class DataCase:
    id: str
    corrupt: Callable[[Path], None]
    expect: str  # the FILE:LINE:COLUMN: prefix (and reason) `data check` must print


DATA_CASES = [
    DataCase("firms-unknown-sector", _set_cell("firms.csv", 3, "sector_group", "banking"), "firms.csv:3:sector_group:"),
    DataCase("firms-bad-bool", _set_cell("firms.csv", 4, "is_ai_firm", "maybe"), "firms.csv:4:is_ai_firm:"),
    DataCase("firms-ragged-row", _append("firms.csv", b"extra,row\n"), f"firms.csv:{_lines('firms.csv') + 1}:-: expected"),
    DataCase("firms-not-utf8", _append("firms.csv", "x,\xe9\n".encode("latin-1")), "firms.csv:0:-: not UTF-8"),
    DataCase("securities-unknown-basis", _set_cell("securities.csv", 3, "price_basis", "cooked"),
             "securities.csv:3:price_basis:"),
    DataCase("securities-unknown-firm", _set_cell("securities.csv", 2, "firm_id", "alibabba"),
             "securities.csv:2:firm_id: unknown firm_id"),
    DataCase("events-impossible-date", _set_cell("events.csv", 5, "date", "2021-02-30"), "events.csv:5:date:"),
    DataCase("events-empty-file", lambda d: (d / "events.csv").write_text(""), "events.csv:1:-: file has no header"),
    DataCase("ipos-unknown-outcome", _set_cell("ipos.csv", 3, "outcome", "cancelled"), "ipos.csv:3:outcome:"),
    DataCase("ipos-no-source", _set_cell("ipos.csv", 4, "sources", ""), "ipos.csv:4:sources: must not be empty"),
    DataCase("alignment-bad-confidence", _set_cell("alignment.csv", 2, "confidence", "certain"),
             "alignment.csv:2:confidence:"),
    DataCase("penalties-negative-amount", _set_cell("penalties.csv", 3, "amount", "-5"), "penalties.csv:3:amount:"),
    DataCase("penalties-renamed-column",
             lambda d: (d / "penalties.csv").write_text((d / "penalties.csv").read_text().replace("amount,", "amt,", 1)),
             "penalties.csv:1:amount: missing column"),
    DataCase("prices-negative-close", _set_cell("prices/BABA.csv", 10, "close", "-1"), "prices/BABA.csv:10:close:"),
    DataCase("prices-impossible-date", _set_cell("prices/BABA.csv", 10, "date", "2014-13-01"), "prices/BABA.csv:10:date:"),
    DataCase("prices-file-missing", lambda d: (d / "prices" / "BABA.csv").unlink(),
             "securities.csv:2:price_basis: no price file prices/BABA.csv"),
    DataCase("prices-changed-after-manifest", _append("prices/JD.csv", b"2030-01-02,1,1,1,1,1,1\n"),
             "MANIFEST.sha256:"),
    DataCase("prices-infinite-close", _set_cell("prices/BABA.csv", 10, "close", "inf"),
             "prices/BABA.csv:10:close: must be a finite number"),
    DataCase("prices-row-outside-calendar", _append("prices/JD.csv", b"2031-01-02,1,1,1,1,1,1\n"),
             f"prices/JD.csv:{_lines('prices/JD.csv') + 1}:date: 1 row(s) outside the"),
]


@pytest.fixture
def data_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "data", root / "data")
    (root / "outputs").mkdir()
    return root


@pytest.mark.parametrize("case", DATA_CASES, ids=lambda c: c.id)
def test_corrupt_data_is_reported_at_file_line_column(case: DataCase, data_project: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    case.corrupt(data_project / "data")
    result = _in_process(data_project, ("data", "check"), monkeypatch, capsys)
    assert result.returncode == 1
    assert f"data/{case.expect}" in result.stdout or case.expect in result.stdout, result.stdout[:2000]
    assert str(data_project) not in result.stdout, "the report shows an absolute path"


# ---------------------------------------------------------------------------------------------------------------
# Bad parameters that only the notebook can judge (unknown values, impossible ranges, empty selections):
# each notebook's cases are numbered; wave k runs every notebook with its k-th case, in one `crackdown run`.
# Keep at most three cases per notebook: every extra wave costs a run of the whole report's first cells.


@dataclass(frozen=True)
class NotebookCase:
    notebook: str
    id: str
    parameters: dict
    expect: tuple[str, ...]


NOTEBOOK_CASES = [
    NotebookCase("00_summary", "alpha-out-of-range", {"alpha": 0.5}, ("alpha: 0.5 is outside",)),
    NotebookCase("01_data_coverage", "dates-after-the-data", {"start": "2030-01-01", "end": "2031-12-31"},
                 ("start: 2030-01-01 is after the data end",)),
    NotebookCase("01_data_coverage", "unknown-symbol", {"symbols": ["BABA", "BABAA"]}, ("symbols", "'BABAA'")),
    NotebookCase("01_data_coverage", "start-after-end", {"start": "2022-01-01", "end": "2021-01-01"},
                 ("start: 2022-01-01 is after end 2021-01-01",)),
    NotebookCase("02_timeline", "unknown-event-type", {"event_types": ["crackdown"]}, ("event_types", "'crackdown'")),
    NotebookCase("02_timeline", "unknown-lane", {"firm_groups": ["banks"]}, ("firm_groups", "'banks'")),
    NotebookCase("02_timeline", "empty-selection", {"start": "2017-08-01", "end": "2017-08-31"},
                 ("the selection is empty",)),
    NotebookCase("02_timeline", "dates-before-the-data", {"start": "2017-01-01", "end": "2017-01-31"},
                 ("end", "before the data begin")),
    NotebookCase("03_alignment_index", "unknown-indicator", {"weights": {"govt_revenue_share": 1.0, "party_cell": 1.0}},
                 ("weights", "'party_cell'")),
    NotebookCase("03_alignment_index", "threshold-out-of-range", {"threshold": 1.5},
                 ("threshold: 1.5 is outside",)),
    NotebookCase("03_alignment_index", "all-weights-zero", {"weights": {"govt_revenue_share": 0.0}},
                 ("weights: every weight is zero",)),
    NotebookCase("04_market_reaction", "overlapping-windows", {"estimation": [-250, 0]},
                 ("estimation", "must end before the event window")),
    NotebookCase("04_market_reaction", "unknown-model", {"model": "garch"}, ("model", "'garch'", "market")),
    NotebookCase("04_market_reaction", "empty-benchmarks", {"benchmarks": []}, ("benchmarks: the selection is empty",)),
    NotebookCase("05_ipo_outcomes", "threshold-out-of-range", {"threshold": 2.0}, ("threshold: 2.0 is outside",)),
    NotebookCase("05_ipo_outcomes", "years-reversed", {"start_year": 2023, "end_year": 2019},
                 ("start_year: 2023 is after end_year 2019",)),
    NotebookCase("05_ipo_outcomes", "unknown-venue", {"venues": ["London Stock Exchange"]},
                 ("venues", "'London Stock Exchange'")),
    NotebookCase("06_enforcement", "dates-before-the-data", {"start": "2010-01-01", "end": "2012-12-31"},
                 ("end: 2012-12-31 is before the data begin",)),
    NotebookCase("06_enforcement", "unknown-event-type", {"event_types": ["parade"]}, ("event_types", "'parade'")),
    NotebookCase("06_enforcement", "too-few-permutations", {"n_permutations": 10}, ("n_permutations", "10")),
    NotebookCase("07_article_claims", "empty-event-selection", {"crackdown_events": []},
                 ("crackdown_events: the selection is empty",)),
    NotebookCase("07_article_claims", "overlapping-windows", {"estimation_window": [-250, 0]},
                 ("estimation_window", "not before event_window")),
    NotebookCase("07_article_claims", "unknown-event", {"crackdown_events": ["ant_ipo_halted"]},
                 ("crackdown_events", "'ant_ipo_halted'")),
    NotebookCase("08_robustness", "reversed-window", {"windows": [[0, 1], [1, 0]]}, ("window", "start 1 is after end 0")),
    NotebookCase("09_after_the_crackdown", "reversed-period", {"period": ["2026-01-01", "2023-01-01"]}, ("period",)),
    NotebookCase("09_after_the_crackdown", "reversed-baseline", {"baseline": ["2022-12-31", "2019-01-01"]},
                 ("baseline",)),
    NotebookCase("09_after_the_crackdown", "threshold-out-of-range", {"threshold": 1.5}, ("threshold",)),
    NotebookCase("09_after_the_crackdown", "unknown-rule", {"rule": "loyalty"}, ("rule", "'loyalty'")),
    NotebookCase("09_after_the_crackdown", "reversed-window", {"window": [1, 0]},
                 ("window", "first session 1 is after last session 0")),
    NotebookCase("09_after_the_crackdown", "min-n-zero", {"min_n": 0}, ("min_n",)),
    NotebookCase("08_robustness", "overlapping-windows", {"estimations": [[-10, 0]]},
                 ("estimation", "-10..0 must end before day 0")),
    NotebookCase("08_robustness", "unknown-firm-left-out", {"leave_out": ["alibabba"]}, ("leave_out", "'alibabba'", "alibaba")),
]
NOTEBOOK_CASES = [c for c in NOTEBOOK_CASES if c.notebook in REPORT_NOTEBOOKS]


def _waves() -> list[list[NotebookCase]]:
    waves: list[list[NotebookCase]] = []
    count: dict[str, int] = {}
    for case in NOTEBOOK_CASES:
        k = count[case.notebook] = count.get(case.notebook, -1) + 1
        if k == len(waves):
            waves.append([])
        waves[k].append(case)
    return waves


@dataclass
class WaveOutcome:
    result: Completed
    root: Path
    before: dict[str, str]


@pytest.fixture(scope="module")
def wave_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, WaveOutcome]:
    """Run every wave once; outcomes by ``notebook/case id``."""
    outcomes = {}
    for k, wave in enumerate(_waves()):
        root = _make_project(tmp_path_factory.mktemp(f"wave{k}") / "project")
        (root / "wave.yaml").write_text(yaml.safe_dump({c.notebook: c.parameters for c in wave}))
        before = _snapshot(root)
        result = run_crackdown(root, "run", *[c.notebook for c in wave], "-f", "wave.yaml", "--publish",
                               "--no-progress")
        for case in wave:
            outcomes[f"{case.notebook}/{case.id}"] = WaveOutcome(result, root, before)
    return outcomes


@pytest.mark.parametrize("case", NOTEBOOK_CASES, ids=lambda c: f"{c.notebook}/{c.id}")
def test_bad_notebook_parameter_stops_the_notebook(case: NotebookCase, wave_outcomes: dict[str, WaveOutcome]) -> None:
    outcome = wave_outcomes[f"{case.notebook}/{case.id}"]
    assert outcome.result.returncode == 1
    status = json.loads((outcome.root / "outputs" / "status" / f"{case.notebook}.json").read_text())
    assert status["status"] == "failed"
    line = next((ln for ln in outcome.result.stderr.splitlines() if ln.startswith(f"crackdown: error: {case.notebook}:")), "")
    assert "CrackdownError" in line or "ParameterError" in line, \
        f"{case.notebook} did not fail with a CrackdownError:\n{outcome.result.stderr}"
    for text in case.expect:
        assert text in status["error"], f"{text!r} not in {status['error']!r}"
    assert (outcome.root / "outputs" / "failed" / f"{case.notebook}.ipynb").exists()
    _assert_failed_cleanly(outcome.root, outcome.before, [case.notebook])


def test_every_notebook_has_bad_parameter_cases() -> None:
    """Each notebook of the report has at least one case above (add rows when a notebook lands)."""
    covered = {c.notebook for c in NOTEBOOK_CASES}
    missing = [n for n in REPORT_NOTEBOOKS if n not in covered]
    assert not missing, f"no bad-parameter cases for {missing}"


# ---------------------------------------------------------------------------------------------------------------
# Corrupt data and a missing price file seen by a notebook run; failures of the kernel itself.


@pytest.mark.parametrize("case", [c for c in DATA_CASES if c.id in {"events-impossible-date", "prices-file-missing"}],
                         ids=lambda c: c.id)
def test_notebook_run_on_corrupt_data_names_the_file(case: DataCase, tmp_path: Path) -> None:
    root = _make_project(tmp_path / "project")
    case.corrupt(root / "data")
    before = _snapshot(root)
    result = run_crackdown(root, "run", "01_data_coverage", "--profile", "ci", "--publish", "--no-progress")
    assert result.returncode == 1
    # the loaders name the file (and line and column where there is one); `data check` says more
    culprit = case.expect if case.id != "prices-file-missing" else "data/prices/BABA.csv"
    assert culprit in result.stderr, result.stderr
    assert str(root) not in result.stderr
    _assert_failed_cleanly(root, before, ["01_data_coverage"])


@pytest.fixture
def test_project(tmp_path: Path) -> Path:
    """A project with the runner's test notebooks (fails.ipynb: fail, kill the kernel or sleep on request)."""
    return _make_project(tmp_path / "project", TEST_NOTEBOOKS)


@pytest.mark.parametrize("args, expect", [
    (("-p", "kill_kernel", "true"), "fails: the kernel died"),
    (("-p", "sleep_s", "60", "--timeout", "3"), "fails: a cell exceeded the timeout"),
], ids=["kernel-killed", "cell-timeout"])
def test_kernel_death_and_timeout_fail_the_notebook_only(args: tuple[str, ...], expect: str, test_project: Path) -> None:
    before = _snapshot(test_project)
    result = run_crackdown(test_project, "run", "fails", *args, "--publish", "--no-progress")
    assert result.returncode == 1
    assert expect in result.stderr
    _assert_failed_cleanly(test_project, before, ["fails"])


def _processes_of(root: Path, markers: tuple[bytes, ...]) -> list[int]:
    """Process ids whose command line holds one of ``markers`` and whose environment names the project at ``root``."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if not any(m in (proc / "cmdline").read_bytes() for m in markers):
                continue
            if f"CRACKDOWN_ROOT={root}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def _kernels_of(root: Path) -> list[int]:
    """Process ids of running kernels started for the project at ``root``."""
    return _processes_of(root, (b"ipykernel_launcher",))


def _sigint_as_in_a_terminal() -> None:
    """Ctrl-C's default action in the runner, as a terminal gives it. A test suite started as a background job
    without job control (``cmd &`` in a script) inherits SIGINT *ignored*, Python then installs no handler, and the
    runner rightly ignores Ctrl-C: the test would hang on how it was launched, not on the runner."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the kernel")
@pytest.mark.parametrize("settle_s", [0.0, 3.0], ids=["during-kernel-start-up", "while-a-cell-runs"])
def test_ctrl_c_during_a_run_stops_it_cleanly(test_project: Path, settle_s: float) -> None:
    """SIGINT to the whole process group (what Ctrl-C does): exit 130, nothing published, no kernel left.

    At 0 s the kernel process exists but is still starting: papermill starts it outside its clean-up, and a worker
    interrupted there used to hang the run (the runner waited for it without limit). Workers now ignore SIGINT
    and the runner stops them itself.
    """
    before = _snapshot(test_project)
    env = {**os.environ, "CRACKDOWN_ROOT": str(test_project)}
    proc = subprocess.Popen([sys.executable, "-m", "crackdown", "run", "fails", "-p", "sleep_s", "120", "--publish",
                             "--no-progress"],
                            cwd=test_project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_sigint_as_in_a_terminal)
    try:
        deadline = time.monotonic() + 120
        while not _kernels_of(test_project) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _kernels_of(test_project), "the kernel never started"
        time.sleep(settle_s)
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    assert "crackdown: interrupted" in stderr
    _assert_failed_cleanly(test_project, before, ["fails"])
    deadline = time.monotonic() + 15
    while _kernels_of(test_project) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _kernels_of(test_project), "the kernel outlived the interrupted run"


OFFLINE_SITE = '''
import socket

def _offline(*args, **kwargs):
    raise OSError(101, "Network is unreachable")

socket.socket.connect = _offline
socket.socket.connect_ex = _offline
socket.getaddrinfo = lambda *a, **k: (_ for _ in ()).throw(socket.gaierror(-3, "Temporary failure in name resolution"))
'''

FAKE_YFINANCE = '''
"""Stand-in for yfinance that, like the real one, fetches over HTTPS."""
import urllib.request


def download(ticker, **kwargs):
    urllib.request.urlopen(f"https://query1.finance.yahoo.com/v8/finance/chart/{ticker}", timeout=5)
'''


def test_data_refresh_without_network_changes_nothing(tmp_path: Path) -> None:
    """No network: `data refresh` exits non-zero, names the symbol and the failure, and leaves the snapshot alone."""
    root = _make_project(tmp_path / "project")
    site = tmp_path / "offline"
    site.mkdir()
    (site / "sitecustomize.py").write_text(OFFLINE_SITE)
    (site / "yfinance.py").write_text(FAKE_YFINANCE)
    prices_before = {p.name: p.read_bytes() for p in (root / "data").rglob("*") if p.is_file()}
    pythonpath = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "CRACKDOWN_ROOT": str(root), "PYTHONPATH": pythonpath}
    proc = subprocess.run([sys.executable, "-m", "crackdown", "data", "refresh", "--symbols", "BABA", "JD"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "BABA" in proc.stderr and "download" in proc.stderr and "failed" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert {p.name: p.read_bytes() for p in (root / "data").rglob("*") if p.is_file()} == prices_before


def _workers_of(root: Path) -> list[int]:
    """Process ids of the runner's pool workers and kernels for the project at ``root``."""
    return _processes_of(root, (b"ipykernel_launcher", b"multiprocessing"))


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
def test_killed_runner_takes_its_workers_and_kernels_with_it(test_project: Path) -> None:
    """SIGKILL to the runner alone: its workers and kernels exit; the next run removes the stale staging folder."""
    env = {**os.environ, "CRACKDOWN_ROOT": str(test_project)}
    proc = subprocess.Popen([sys.executable, "-m", "crackdown", "run", "fails", "-p", "sleep_s", "120", "--publish",
                             "--no-progress"],
                            cwd=test_project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not _kernels_of(test_project) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _kernels_of(test_project), "the kernel never started"
        proc.kill()
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _workers_of(test_project) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _workers_of(test_project), "workers or kernels outlived the killed runner"
    finally:
        for pid in _workers_of(test_project):
            os.kill(pid, signal.SIGKILL)
    stale = [p for p in (test_project / "outputs" / ".staging").iterdir()]
    assert stale, "the killed run left no staging folder (nothing to clean up: the test proves nothing)"
    from crackdown.runner import staging
    from crackdown.runner.pool import remove_stale_socket_folders

    with staging(test_project / "outputs") as stage:
        assert [p for p in (test_project / "outputs" / ".staging").iterdir()] == [stage]
    sockets = [p for p in Path(tempfile.gettempdir()).glob(f"cdk{proc.pid}-*")]
    assert sockets, "the killed run left no socket folder (nothing to clean up: the test proves nothing)"
    remove_stale_socket_folders()
    assert not any(p.exists() for p in sockets), "the killed run's socket folder was not removed"


# ---------------------------------------------------------------------------------------------------------------
# outputs/ that cannot be written safely: a planted lock, an unwritable staging folder, a full disk


@pytest.mark.parametrize("plant", ["symlink", "hardlink"])
def test_planted_lock_is_refused_and_its_target_untouched(plant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    root = _make_project(tmp_path / "project", TEST_NOTEBOOKS)
    victim = tmp_path / "outside.txt"  # a file outside the project
    victim.write_text("precious\n")
    lock = root / "outputs" / ".lock"
    if plant == "symlink":
        lock.symlink_to(victim)
    else:
        os.link(victim, lock)
    before = _snapshot(root)
    monkeypatch.setattr(notebooks, "discover", _cached_discover)
    monkeypatch.setenv("CRACKDOWN_ROOT", str(root))
    monkeypatch.chdir(root)
    code = cli.main(["run", "ok", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "outputs/.lock" in err and ("symbolic link" if plant == "symlink" else "hard link") in err, err
    assert victim.read_text() == "precious\n"
    assert _snapshot(root) == before


def test_unwritable_outputs_fail_before_running_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """outputs/ where the staging folder cannot be made (a file stands in its way, as a read-only folder would)."""
    root = _make_project(tmp_path / "project", TEST_NOTEBOOKS)
    (root / "outputs" / ".staging").write_text("in the way\n")
    before = _snapshot(root)
    monkeypatch.setattr(notebooks, "discover", _cached_discover)
    monkeypatch.setenv("CRACKDOWN_ROOT", str(root))
    monkeypatch.chdir(root)
    code = cli.main(["run", "ok", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "outputs: cannot write the staging folder" in err and "nothing was run" in err, err
    assert "Traceback" not in err
    assert _snapshot(root) == before


def test_disk_full_while_publishing_restores_the_earlier_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The status record cannot be written (ENOSPC) after the notebook and page moved: both are put back."""
    import errno

    import crackdown.runner.publish as publish_module
    from crackdown.errors import OutputsError
    from crackdown.runner import NotebookRun

    root = _make_project(tmp_path / "project", TEST_NOTEBOOKS)
    monkeypatch.setenv("CRACKDOWN_ROOT", str(root))
    outputs = root / "outputs"
    stage = outputs / ".staging" / "run"
    for sub, suffix in (("notebooks", "ipynb"), ("html", "html")):
        (stage / sub).mkdir(parents=True)
        (stage / sub / f"ok.{suffix}").write_text("new\n")
    (stage / "results" / "ok").mkdir(parents=True)
    (stage / "results" / "ok" / "ok.json").write_text("{}\n")
    before = _snapshot(root)

    def full(path, content):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(publish_module, "atomic_write", full)
    with pytest.raises(OutputsError, match="cannot publish ok .No space left on device.; its earlier outputs were kept"):
        publish_module.publish(stage, NotebookRun("ok", "q", "ok", 1.0), outputs)
    published = {k: v for k, v in _snapshot(root).items() if not k.startswith(".staging/")}
    assert published == {k: v for k, v in before.items() if not k.startswith(".staging/")}
    assert (outputs / "html" / "ok.html").read_text() == "earlier good html of ok\n"
    assert (outputs / "results" / "ok.json").read_text() == "earlier good results of ok\n"


def test_dollar_signs_in_figure_text_are_drawn_as_written(tmp_path: Path) -> None:
    """Data text with ``$`` (amounts, names) would start mathtext; unbalanced ``$`` used to fail the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crackdown import plots

    plots.set_theme()
    fig, ax = plt.subplots()
    title = r"$\frac{$ fines of US$2.8bn and US$1bn"
    plots.finish(fig, ax, title, "x $", "y", source="US$ amounts as stated")
    fig.savefig(tmp_path / "figure.png")  # raises ValueError on a mathtext parse error
    assert ax.get_title() == title
    plt.close(fig)

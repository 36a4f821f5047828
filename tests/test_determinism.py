"""Two runs of the ci report give the same results and notebook outputs; seeds are fixed; outputs carry no
local paths, user names or host names."""

from __future__ import annotations

import getpass
import re
import socket
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, build_ci_report

# timing keys of papermill's and nbclient's metadata (notebook-level and per cell)
TIMING_KEYS = {"start_time", "end_time", "duration", "execution"}
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:root|home|tmp|var|work|Users|usr|opt|mnt|srv|private)/[\w.-]+")
TEXT_SUFFIXES = {".ipynb", ".html", ".json", ".csv", ".md", ".txt", ".svg"}


@pytest.fixture(scope="module")
def second_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ci report run a second time, in another scratch copy (so local paths differ between the runs)."""
    return build_ci_report(tmp_path_factory.mktemp("report_again"))


def _without_timing(value):
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


def _names(report: Path, sub: str, suffix: str) -> list[str]:
    return sorted(p.name for p in (report / "outputs" / sub).glob(f"*{suffix}"))


def test_both_runs_wrote_the_same_files(ci_report: Path, second_report: Path) -> None:
    for sub, suffix in (("results", ".json"), ("notebooks", ".ipynb"), ("html", ".html")):
        assert _names(ci_report, sub, suffix) == _names(second_report, sub, suffix)
    assert _names(ci_report, "results", ".json"), "the report wrote no results"


def test_results_files_are_identical(ci_report: Path, second_report: Path) -> None:
    for name in _names(ci_report, "results", ".json"):
        first = (ci_report / "outputs" / "results" / name).read_text()
        second = (second_report / "outputs" / "results" / name).read_text()
        assert first == second, f"results/{name} differ between two runs"


def test_notebook_outputs_are_identical_apart_from_timing(ci_report: Path, second_report: Path) -> None:
    for name in _names(ci_report, "notebooks", ".ipynb"):
        first = nbformat.read(ci_report / "outputs" / "notebooks" / name, as_version=4)
        second = nbformat.read(second_report / "outputs" / "notebooks" / name, as_version=4)
        assert _without_timing(first.metadata) == _without_timing(second.metadata), name
        assert len(first.cells) == len(second.cells)
        for index, (a, b) in enumerate(zip(first.cells, second.cells, strict=True)):
            assert _without_timing(dict(a)) == _without_timing(dict(b)), f"{name}: cell {index} differs between runs"


def test_html_pages_are_identical(ci_report: Path, second_report: Path) -> None:
    for name in _names(ci_report, "html", ".html"):
        if name == "index.html":  # holds each notebook's duration
            continue
        first = (ci_report / "outputs" / "html" / name).read_bytes()
        assert first == (second_report / "outputs" / "html" / name).read_bytes(), f"html/{name} differs between runs"


# ---------------------------------------------------------------------------------------------------------------
# Seeds


RANDOM_GLOBAL_STATE = re.compile(r"np\.random\.(?!default_rng|Generator|SeedSequence)\w+\(|\brandom\.(?:random|randint|choice|shuffle|seed)\(")
UNSEEDED_RNG = re.compile(r"default_rng\(\s*\)")


def _sources() -> dict[str, str]:
    texts = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        texts[path.name] = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for path in sorted((ROOT / "lib" / "crackdown").rglob("*.py")):
        texts[path.relative_to(ROOT).as_posix()] = path.read_text()
    return texts


def test_no_unseeded_or_global_randomness() -> None:
    """Randomness comes only from numpy Generators built from a seed (no global state, no default_rng())."""
    for name, text in _sources().items():
        assert not UNSEEDED_RNG.search(text), f"{name}: default_rng() without a seed"
        assert not RANDOM_GLOBAL_STATE.search(text), f"{name}: global random state: {RANDOM_GLOBAL_STATE.search(text).group(0)}"


def test_notebooks_that_draw_random_numbers_take_an_int_seed_parameter() -> None:
    from crackdown.notebooks import discover

    for spec in discover(ROOT / "notebooks").values():
        nb = nbformat.read(spec.path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        if re.search(r"default_rng|placebo|permutation|draws", code):
            assert "seed" in spec.parameters, f"{spec.name} draws random numbers but has no seed parameter"
            assert spec.parameters["seed"].type_name == "int"


# ---------------------------------------------------------------------------------------------------------------
# Nothing local leaks into the outputs


def _local_strings(root: Path) -> list[str]:
    strings = {str(root), str(ROOT), sys.prefix, str(Path.home()) + "/", tempfile.gettempdir().rstrip("/") + "/"}
    user = getpass.getuser()
    strings |= {f"/home/{user}", f"/Users/{user}", f"{user}@"}
    return sorted(s for s in strings if len(s) > 2)


def _output_texts(report: Path):
    for path in sorted((report / "outputs").rglob("*")):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            yield path, path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("which", ["first", "second"])
def test_outputs_carry_no_paths_user_or_host_names(which: str, ci_report: Path, second_report: Path) -> None:
    report = ci_report if which == "first" else second_report
    host = socket.gethostname()
    host_pattern = re.compile(rf"(?<![\w.-]){re.escape(host)}(?![\w-])") if len(host) >= 3 else None
    checked = 0
    for path, text in _output_texts(report):
        checked += 1
        rel = path.relative_to(report)
        for local in _local_strings(report):
            assert local not in text, f"{rel} contains the local string {local!r}"
        found = ABSOLUTE_PATH.search(text)
        assert not found, f"{rel} contains the absolute path {found.group(0)!r}"
        if host_pattern is not None:
            assert not host_pattern.search(text), f"{rel} contains the host name {host!r}"
    assert checked >= 3



def test_paths_into_the_staging_folder_are_shown_as_published_paths() -> None:
    """A notebook sees its results under the run's random staging folder; outputs show where they end up."""
    from crackdown.runner import scrub_text

    staged = f"PosixPath('{ROOT}/outputs/.staging/0123456789ab/results/05_ipo_outcomes/05_ipo_outcomes.json')"
    assert scrub_text(staged) == "PosixPath('./outputs/results/05_ipo_outcomes.json')"
    assert scrub_text("outputs/.staging/0123456789ab/notebooks/x.ipynb") == "outputs/notebooks/x.ipynb"

"""The results-record type: every notebook's headline has the same keys, checked where it is built and read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crackdown.errors import CrackdownError
from crackdown.results import HEADLINE_KEYS, Headline, notebook_parameters, parameter_names, write_results

ROOT = Path(__file__).resolve().parents[1]
HEADLINE_NOTEBOOKS = ("04_market_reaction", "05_ipo_outcomes", "06_enforcement", "08_robustness")


def test_headline_schema() -> None:
    h = Headline(label="a", statistic="b", estimate=-0.1, p_value=0.02, n=12, thesis_sign=-1)
    assert list(h.as_record()) == ["label", "statistic", "estimate", "p_value", "n", "thesis_sign"]
    assert set(HEADLINE_KEYS) == {*h.as_record(), "p_value_rule", "benchmark_rule"}
    assert Headline(**{**h.as_record(), "p_value_rule": "max"}).as_record()["p_value_rule"] == "max"
    assert Headline.from_record(h.as_record()) == h


def test_headline_benchmark_rule_is_recorded_and_read_back() -> None:
    h = Headline(label="a", statistic="b", estimate=-0.1, p_value=0.02, n=12, thesis_sign=-1,
                 benchmark_rule="china_market")
    record = h.as_record()
    assert record["benchmark_rule"] == "china_market"
    assert list(record)[-1] == "benchmark_rule"
    assert Headline.from_record(record) == h
    with pytest.raises(CrackdownError, match="headline.benchmark_rule"):
        Headline(label="a", statistic="b", estimate=-0.1, p_value=0.02, n=12, thesis_sign=-1, benchmark_rule=" ")


@pytest.mark.parametrize("bad", [{"thesis_sign": 0}, {"label": ""}, {"statistic": None}])
def test_headline_rejects_bad_values(bad) -> None:
    values = {"label": "a", "statistic": "b", "estimate": 1.0, "p_value": 0.5, "n": 3, "thesis_sign": 1}
    with pytest.raises(CrackdownError, match="headline"):
        Headline(**{**values, **bad})


def test_from_record_names_missing_and_unknown_keys() -> None:
    with pytest.raises(CrackdownError, match=r"missing key\(s\) \['statistic'\].*unknown key\(s\) \['extra'\]"):
        Headline.from_record({"label": "a", "estimate": 1.0, "p_value": 0.5, "n": 3, "thesis_sign": 1, "extra": 1})


def test_written_headline_is_plain_json(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CRACKDOWN_RESULTS_DIR", str(tmp_path))
    h = Headline(label="a", statistic="b", estimate=float("nan"), p_value=None, n=0, thesis_sign=1)
    path = write_results("x", {"headline": h})
    assert json.loads(path.read_text())["headline"] == {"label": "a", "statistic": "b", "estimate": None,
                                                        "p_value": None, "n": 0, "thesis_sign": 1}


def test_every_headline_is_built_through_the_record_type() -> None:
    """No analysis module writes a headline as a hand-typed dict literal."""
    import re

    for path in (ROOT / "lib" / "crackdown").rglob("*.py"):
        assert not re.search(r'"headline":\s*\{', path.read_text()), path


def test_notebook_parameters_come_from_the_parameters_cell() -> None:
    for name in ("04_market_reaction", "08_robustness"):
        names = parameter_names(name)
        assert names and len(names) == len(set(names))
        namespace = {n: i for i, n in enumerate(names)} | {"other": 1}
        assert notebook_parameters(name, namespace) == {n: i for i, n in enumerate(names)}
    with pytest.raises(CrackdownError, match="seed"):
        notebook_parameters("08_robustness", {n: 0 for n in parameter_names("08_robustness") if n != "seed"})


def test_notebooks_do_not_retype_their_parameters() -> None:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = ["".join(c["source"]) for c in cells
                if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", [])]
        assert any("notebook_parameters(" in c for c in code), path.name

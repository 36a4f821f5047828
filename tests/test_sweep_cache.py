"""The sweep cache is keyed on the code as well as the specification and data; a corrupt part is a miss with a
warning naming the file (issue 11, item 5)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_robustness import AXES, PLACEBO, _synthetic

from crackdown import robustness as rb
from crackdown.robustness import cache

SMALL = {**AXES, "model": ["market"], "benchmark": ["local"], "event_set": ["fines"], "leave_out": ["none"]}


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("CRACKDOWN_ROOT", str(tmp_path))
    return tmp_path


def _parts(project) -> list:
    return sorted((project / "outputs" / "sweep_cache").glob("part-*.parquet"))


def test_rerun_with_the_same_code_is_a_hit(project) -> None:
    first = rb.run_sweep(SMALL, data=_synthetic(), placebo=PLACEBO)
    again = rb.run_sweep(SMALL, data=_synthetic(), placebo=PLACEBO)
    n = len(first.specs)
    assert n > 0 and (first.n_computed, first.n_cached) == (n, 0) and (again.n_computed, again.n_cached) == (0, n)
    pd.testing.assert_frame_equal(first.specs.drop(columns="placebo"), again.specs.drop(columns="placebo"))


def test_a_change_to_the_code_is_a_miss(project, monkeypatch) -> None:
    first = rb.run_sweep(SMALL, data=_synthetic(), placebo=PLACEBO)
    monkeypatch.setattr(cache, "code_hash", lambda modules=cache.CODE_MODULES: "0" * 64)
    changed = rb.run_sweep(SMALL, data=_synthetic(), placebo=PLACEBO)
    assert (changed.n_computed, changed.n_cached) == (len(first.specs), 0)
    again = rb.run_sweep(SMALL, data=_synthetic(), placebo=PLACEBO)  # the new code's rows are now cached
    assert (again.n_computed, again.n_cached) == (0, len(first.specs))


def test_code_hash_covers_version_and_module_source(monkeypatch) -> None:
    import crackdown

    base = cache.code_hash.__wrapped__(("crackdown.placebo",))
    assert base == cache.code_hash.__wrapped__(("crackdown.placebo",))
    assert base != cache.code_hash.__wrapped__(("crackdown.placebo", "crackdown.vocab"))
    monkeypatch.setattr(crackdown, "__version__", "999")
    assert base != cache.code_hash.__wrapped__(("crackdown.placebo",))
    for name in ("crackdown.eventstudy", "crackdown.placebo", "crackdown.robustness.evaluation"):
        assert name in cache.CODE_MODULES


@pytest.mark.parametrize("damage", ["garbage", "truncated", "no_estimate_column"])
def test_a_corrupt_part_is_a_miss_with_a_warning_naming_the_file(project, damage) -> None:
    first = rb.run_sweep(SMALL, data=_synthetic(), placebo=PLACEBO)
    (part,) = _parts(project)
    if damage == "garbage":
        part.write_bytes(b"not a parquet file")
    elif damage == "truncated":
        part.write_bytes(part.read_bytes()[:100])
    else:
        pd.read_parquet(part).drop(columns="estimate").to_parquet(part)
    with pytest.warns(cache.CacheWarning, match=part.name):
        again = rb.run_sweep(SMALL, data=_synthetic(), placebo=PLACEBO)
    assert (again.n_computed, again.n_cached) == (len(first.specs), 0)
    pd.testing.assert_frame_equal(first.specs.drop(columns="placebo"), again.specs.drop(columns="placebo"))


def test_read_cache_keeps_only_rows_of_the_given_code(tmp_path) -> None:
    rows = pd.DataFrame({"spec_hash": ["a", "b"], **{c: [1.0, 2.0] for c in rb.RESULT_COLUMNS},
                         "placebo": [np.array([0.1]), np.array([0.2, 0.3])]})
    cache.write_cache(rows, tmp_path, code="old")
    cache.write_cache(rows.iloc[[1]].assign(estimate=9.0), tmp_path, code="new")
    with warnings.catch_warnings():
        warnings.simplefilter("error", cache.CacheWarning)
        new = cache.read_cache(tmp_path, code="new")
        old = cache.read_cache(tmp_path, code="old")
    assert new["spec_hash"].tolist() == ["b"] and new["estimate"].tolist() == [9.0]
    assert old["spec_hash"].tolist() == ["a", "b"] and old["estimate"].tolist() == [1.0, 2.0]
    assert "code_hash" not in new.columns
    assert cache.read_cache(tmp_path, code="other").empty


def test_a_part_from_before_code_hashes_is_a_silent_miss(project) -> None:
    first = rb.run_sweep(SMALL, data=_synthetic(), placebo=PLACEBO)
    (part,) = _parts(project)
    pd.read_parquet(part).drop(columns="code_hash").to_parquet(part)
    with warnings.catch_warnings():
        warnings.simplefilter("error", cache.CacheWarning)
        again = rb.run_sweep(SMALL, data=_synthetic(), placebo=PLACEBO)
    assert (again.n_computed, again.n_cached) == (len(first.specs), 0)

"""The on-disk cache of validated data: hits, misses after a data or code change, corrupt files, concurrent
writers, the switch that turns it off, and frames identical (dtypes included) to freshly validated ones."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crackdown
from crackdown.data import cache as data_cache
from crackdown.data import (
    clear_cache,
    load_alignment,
    load_events,
    load_firms,
    load_ipos,
    load_penalties,
    load_prices,
    load_returns,
    load_securities,
    loaders,
)
from crackdown.data.schemas import TABLE_ORDER

LOADERS = {"firms": load_firms, "securities": load_securities, "ipos": load_ipos, "alignment": load_alignment,
           "penalties": load_penalties, "events": load_events}
SYMBOLS = ["9988.HK", "BABA", "IDX_GSPC", "IDX_HSI"]


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("CRACKDOWN_DATA_CACHE_DIR", str(root))
    monkeypatch.delenv("CRACKDOWN_DATA_CACHE", raising=False)
    return root


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the loaders validated the tables and read a price CSV (0 on a cache hit)."""
    counts = {"tables": 0, "prices": 0}
    check_tables, read_price_file = loaders.check_tables, loaders.read_price_file

    def counted_tables(*args, **kwargs):
        counts["tables"] += 1
        return check_tables(*args, **kwargs)

    def counted_prices(*args, **kwargs):
        counts["prices"] += 1
        return read_price_file(*args, **kwargs)

    monkeypatch.setattr(loaders, "check_tables", counted_tables)
    monkeypatch.setattr(loaders, "read_price_file", counted_prices)
    return counts


def load_everything(data: Path) -> dict[str, pd.DataFrame]:
    """Every table, every price frame and the wide prices/returns, as a new kernel would load them."""
    clear_cache()  # a new kernel: nothing held in the process
    out = {name: load(data_dir=data) for name, load in LOADERS.items()}
    out |= {f"price:{s}": loaders._price_frame(str(data.resolve()), s).copy() for s in SYMBOLS}
    out["prices"] = load_prices(data_dir=data)
    out["returns"] = load_returns(kind="log", data_dir=data)
    return out


def fresh(data: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, pd.DataFrame]:
    """The same frames validated from the CSV files, with the cache off."""
    with monkeypatch.context() as patch:
        patch.setenv("CRACKDOWN_DATA_CACHE", "0")
        return load_everything(data)


def assert_same(got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    assert got.keys() == expected.keys()
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, check_exact=True, check_freq=True, obj=name)
        assert list(got[name].dtypes.astype(str)) == list(frame.dtypes.astype(str)), name


def cache_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def test_the_second_kernel_reads_the_cache_and_gets_identical_frames(data, cache_root, calls, monkeypatch):
    expected = fresh(data, monkeypatch)
    calls.update(tables=0, prices=0)
    first = load_everything(data)
    assert calls == {"tables": 1, "prices": len(SYMBOLS)}  # cold cache: validated, then written
    stored = cache_files(cache_root)
    assert {p.parent.name for p in stored} == {"tables", "prices", "wide"}
    assert len(stored) == len(TABLE_ORDER) + len(SYMBOLS) + 2  # + load_prices and load_returns
    second = load_everything(data)
    assert calls == {"tables": 1, "prices": len(SYMBOLS)}  # warm cache: nothing validated again
    assert_same(first, expected)
    assert_same(second, expected)


def test_round_trip_keeps_every_dtype_and_the_precision_columns(data, cache_root, monkeypatch):
    expected = fresh(data, monkeypatch)
    load_everything(data)
    cached = load_everything(data)
    for table, column in (("events", "date_precision"), ("ipos", "filing_date_precision"),
                          ("alignment", "as_of_precision"), ("penalties", "date_precision")):
        assert column in cached[table].columns
        assert cached[table][column].dtype == expected[table][column].dtype
        assert cached[table][column].isna().tolist() == expected[table][column].isna().tolist()
    assert cached["firms"]["is_ai_firm"].dtype == np.dtype(bool)
    # securities.delisting_date is all empty in the fixture: pandas types it datetime64[s], which parquet widens
    assert cached["securities"]["delisting_date"].dtype == expected["securities"]["delisting_date"].dtype
    assert_same(cached, expected)


def frames_of_every_kind() -> dict[str, pd.DataFrame]:
    dates = pd.to_datetime(["2020-01-01", None, "2021-05-03"])
    return {
        "categorical": pd.DataFrame({"c": pd.Categorical(["b", "a", None], categories=["b", "a"], ordered=True)}),
        "extension": pd.DataFrame({"i": pd.array([1, None, 3], dtype="Int64"),
                                   "b": pd.array([True, None, False], dtype="boolean"),
                                   "s": pd.array(["x", None, "z"], dtype="string[pyarrow]")}),
        "text": pd.DataFrame({"date_precision": pd.array(["day", None, "month"], dtype="str")}),
        "dates": pd.DataFrame({"s": dates.astype("datetime64[s]"), "us": dates.astype("datetime64[us]"),
                               "tz": dates.tz_localize("UTC")}),
        "wide": pd.DataFrame({"A": [1.0, np.nan], "B": [np.nan, 2.5]},
                             index=pd.DatetimeIndex(["2021-01-04", "2021-01-05"], name="date")).rename_axis(
            columns="symbol"),
        # parquet gives these back changed (object -> str, int categories -> float): never stored
        "object": pd.DataFrame({"o": pd.Series(["day", None, "month"], dtype=object)}),
        "int categories": pd.DataFrame({"c": pd.Categorical([1, 2, 1])}),
    }


@pytest.mark.parametrize("kind", list(frames_of_every_kind()))
def test_a_frame_is_stored_only_if_it_comes_back_identical(kind, tmp_path):
    (tmp_path / "data").mkdir()
    entry = data_cache.CacheEntry(tmp_path / "data", root=tmp_path / "cache")
    frame = frames_of_every_kind()[kind]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stored = entry.write("tables/frame", frame)
    back = entry.read("tables/frame")
    if kind in ("object", "int categories"):
        assert not stored and back is None
        assert any("does not survive a parquet round trip" in str(w.message) for w in caught)
    else:
        assert stored and not caught
        pd.testing.assert_frame_equal(back, frame, check_exact=True)
        assert back.columns.name == frame.columns.name and list(back.dtypes) == list(frame.dtypes)


def test_changing_a_table_or_a_price_file_is_a_miss(data, cache_root, calls, monkeypatch):
    load_everything(data)
    firms = data / "firms.csv"
    firms.write_text(firms.read_text(encoding="utf-8").replace("Alibaba Group", "Alibaba Grp"), encoding="utf-8")
    prices = data / "prices" / "BABA.csv"
    lines = prices.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[1].split(",")
    fields[4] = "230.5"  # the first row's close
    lines[1] = ",".join(fields)
    prices.write_text("".join(lines), encoding="utf-8")
    calls.update(tables=0, prices=0)
    got = load_everything(data)
    assert calls == {"tables": 1, "prices": len(SYMBOLS)}
    assert "Alibaba Grp" in got["firms"]["name"].tolist()
    assert got["price:BABA"]["close"].iloc[0] == 230.5
    assert_same(got, fresh(data, monkeypatch))
    assert len(list(cache_root.iterdir())) == 2  # one entry per data version


def test_a_code_change_is_a_miss(data, cache_root, calls, monkeypatch):
    load_everything(data)
    monkeypatch.setattr(data_cache, "code_hash", lambda: "0" * 64)
    calls.update(tables=0, prices=0)
    got = load_everything(data)
    assert calls == {"tables": 1, "prices": len(SYMBOLS)}
    assert len(list(cache_root.iterdir())) == 2
    assert_same(got, fresh(data, monkeypatch))


def test_the_code_hash_follows_the_source_of_the_validating_modules(tmp_path, monkeypatch):
    package = tmp_path / "crackdown"
    for module in data_cache.CODE_MODULES:
        (package / module).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(crackdown.__file__).parent / module, package / module)
    monkeypatch.setattr(crackdown, "__file__", str(package / "__init__.py"))
    data_cache.code_hash.cache_clear()
    try:
        before = data_cache.code_hash()
        schemas = package / "data" / "schemas.py"
        schemas.write_text(schemas.read_text(encoding="utf-8") + "\n# a change\n", encoding="utf-8")
        data_cache.code_hash.cache_clear()
        after_schemas = data_cache.code_hash()
        monkeypatch.setattr(crackdown, "__version__", "99.0")
        data_cache.code_hash.cache_clear()
        after_version = data_cache.code_hash()
    finally:
        data_cache.code_hash.cache_clear()
    assert len({before, after_schemas, after_version}) == 3


def corrupt(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(b"not a parquet file at all" * 40)
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "one byte flipped":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:])
    elif how == "footer byte flipped":  # the metadata, which parquet page checksums do not cover
        at = len(data) - 40
        path.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:])


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty", "one byte flipped", "footer byte flipped"])
@pytest.mark.parametrize("target", ["tables", "prices", "wide"])
def test_a_corrupt_file_is_a_miss_with_a_warning_and_the_right_answer(data, cache_root, calls, monkeypatch, how,
                                                                        target):
    expected = fresh(data, monkeypatch)
    load_everything(data)
    victim = next(p for p in cache_files(cache_root) if p.parent.name == target)
    corrupt(victim, how)
    calls.update(tables=0, prices=0)
    with pytest.warns(data_cache.DataCacheWarning, match=victim.name):
        got = load_everything(data)
    assert_same(got, expected)
    assert calls == {"tables": int(target == "tables"), "prices": int(target == "prices")}
    with warnings.catch_warnings():  # the bad file was replaced: the next kernel hits silently
        warnings.simplefilter("error", data_cache.DataCacheWarning)
        calls.update(tables=0, prices=0)
        assert_same(load_everything(data), expected)
    assert calls == {"tables": 0, "prices": 0}


WIDE_CALLS = [
    ("returns", (["BABA"],), {}),
    ("returns", (["BABA"], "2021-04-01"), {}),
    ("returns", (["BABA", "IDX_HSI"], None, "2021-04-30"), {"kind": "log"}),
    ("returns", (["IDX_HSI", "BABA"], None, "2021-04-30"), {"kind": "log"}),
    ("prices", (["BABA"],), {"field": "adj_close"}),
    ("prices", (["BABA"],), {"field": "close"}),
    ("prices", (None, pd.Timestamp("2021-04-01")), {}),
]


def test_wide_frames_for_different_calls_never_mix(data, cache_root, calls, monkeypatch):
    def each_call() -> list[pd.DataFrame]:
        clear_cache()
        load = {"returns": load_returns, "prices": load_prices}
        return [load[what](*args, **kwargs, data_dir=data) for what, args, kwargs in WIDE_CALLS]

    with monkeypatch.context() as patch:
        patch.setenv("CRACKDOWN_DATA_CACHE", "0")
        expected = each_call()
    each_call()
    calls.update(tables=0, prices=0)
    cached = each_call()
    assert calls == {"tables": 0, "prices": 0}
    assert len(list(cache_root.rglob("wide/*.parquet"))) == len(WIDE_CALLS)
    for got, frame in zip(cached, expected, strict=True):
        pd.testing.assert_frame_equal(got, frame, check_exact=True)
        assert got.columns.name == frame.columns.name == "symbol"


def test_a_file_from_another_entry_is_a_miss(data, cache_root, monkeypatch):
    expected = fresh(data, monkeypatch)
    load_everything(data)
    (entry,) = cache_root.iterdir()
    firms = next((entry / "tables").glob("firms-*.parquet"))
    events = next((entry / "tables").glob("events-*.parquet"))
    digest = events.name[len("events-"):]
    events.unlink()
    shutil.copy(firms, entry / "tables" / f"events-{firms.name[len('firms-'):]}")  # firms data under events' name
    with pytest.warns(data_cache.DataCacheWarning, match="another entry or object"):
        got = load_everything(data)
    assert_same(got, expected)
    assert (entry / "tables" / f"events-{digest}").is_file()  # rewritten under its own checksum


def test_leftover_temporary_files_are_ignored(data, cache_root, monkeypatch):
    expected = fresh(data, monkeypatch)
    load_everything(data)
    (entry,) = cache_root.iterdir()
    (entry / "tables" / ".firms-0123.parquet.tmp").write_bytes(b"half a file")
    with warnings.catch_warnings():
        warnings.simplefilter("error", data_cache.DataCacheWarning)
        assert_same(load_everything(data), expected)


def test_threads_writing_the_same_entry_at_once_leave_one_good_file(tmp_path):
    (tmp_path / "data").mkdir()
    entry = data_cache.CacheEntry(tmp_path / "data", root=tmp_path / "cache")
    frame = pd.DataFrame({"x": np.arange(20_000, dtype=float), "s": pd.array(["a", "b"] * 10_000, dtype="str")})
    start = threading.Barrier(8)
    results: list[bool] = []

    def writer() -> None:
        start.wait()
        results.append(entry.write("tables/big", frame))

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 8
    files = list((entry.directory / "tables").iterdir())
    assert [f.suffix for f in files] == [".parquet"]  # no temporary file left behind
    pd.testing.assert_frame_equal(entry.read("tables/big"), frame, check_exact=True)


KERNEL = """
import sys, time, warnings
from pathlib import Path
warnings.simplefilter("error")
while not Path(sys.argv[2]).exists():
    time.sleep(0.01)
from crackdown.data import load_events, load_returns, load_securities
load_securities(data_dir=sys.argv[1]); load_events(data_dir=sys.argv[1]); load_returns(data_dir=sys.argv[1])
"""


def test_kernels_writing_the_same_entry_at_once_all_succeed(data, cache_root, tmp_path, calls, monkeypatch):
    expected = fresh(data, monkeypatch)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(crackdown.__file__).parents[1])}
    kernels = [subprocess.Popen([sys.executable, "-c", KERNEL, str(data), str(go)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    go.touch()
    for kernel in kernels:
        out, err = kernel.communicate(timeout=240)
        assert kernel.returncode == 0, err
    (entry,) = cache_root.iterdir()
    assert len(list((entry / "tables").glob("*.parquet"))) == len(TABLE_ORDER)
    calls.update(tables=0, prices=0)
    assert_same(load_everything(data), expected)
    assert calls == {"tables": 0, "prices": 0}


def test_the_cache_can_be_turned_off(data, cache_root, calls, monkeypatch):
    monkeypatch.setenv("CRACKDOWN_DATA_CACHE", "0")
    load_everything(data)
    load_everything(data)
    assert calls == {"tables": 2, "prices": 2 * len(SYMBOLS)}
    assert not cache_root.exists()


def test_clear_cache_forgets_the_process_copy_but_a_data_edit_needs_no_disk_clearing(data, cache_root, calls):
    assert load_firms(data_dir=data)["firm_id"].notna().all()
    firms = data / "firms.csv"
    firms.write_text(firms.read_text(encoding="utf-8").replace("Alibaba Group", "Alibaba Grp"), encoding="utf-8")
    assert "Alibaba Grp" not in load_firms(data_dir=data)["name"].tolist()  # held in the process until cleared
    clear_cache()
    assert "Alibaba Grp" in load_firms(data_dir=data)["name"].tolist()
    assert calls["tables"] == 2


def test_old_entries_are_pruned(tmp_path):
    root = tmp_path / "cache"
    for i in range(12):
        (root / f"entry{i:02d}").mkdir(parents=True)
        os.utime(root / f"entry{i:02d}", (1_000_000 + i, 1_000_000 + i))
    removed = data_cache.prune(root, keep=4, current=root / "new")
    assert sorted(p.name for p in root.iterdir()) == ["entry09", "entry10", "entry11"]
    assert len(removed) == 9


def test_a_hit_marks_its_entry_as_recently_used(data, cache_root):
    load_everything(data)
    (entry,) = cache_root.iterdir()
    os.utime(entry, (1_000_000, 1_000_000))
    load_everything(data)
    assert entry.stat().st_mtime > 1_000_000
    for i in range(10):
        (cache_root / f"older{i}").mkdir()
        os.utime(cache_root / f"older{i}", (2_000_000 + i, 2_000_000 + i))
    data_cache.prune(cache_root, keep=3, current=cache_root / "new")
    assert sorted(p.name for p in cache_root.iterdir()) == sorted([entry.name, "older9"])


@pytest.fixture
def with_claims(data: Path) -> Path:
    """The fixture data plus the project's claims register, manifest rewritten."""
    from crackdown.data import write_manifest

    shutil.copy(Path(crackdown.__file__).parents[2] / "data" / "claims.csv", data / "claims.csv")
    write_manifest(data)
    return data


def test_claims_are_validated_once_per_data_version(with_claims, cache_root, monkeypatch):
    """A kernel with a warm cache neither validates claims.csv nor asks the evaluators for their parameters;
    the frame is the one a fresh validation gives, and a changed claims.csv is validated again."""
    from crackdown.claims import evaluator_parameters, load_claims

    asked, checked = [], []
    check = loaders.check_claims_table

    def evaluators() -> dict[str, frozenset[str]]:
        asked.append(1)
        return evaluator_parameters()

    def counted_check(*args, **kwargs):
        checked.append(1)
        return check(*args, **kwargs)

    monkeypatch.setattr(loaders, "check_claims_table", counted_check)
    with monkeypatch.context() as patch:
        patch.setenv("CRACKDOWN_DATA_CACHE", "0")
        clear_cache()
        expected = loaders.load_claims_table(evaluators, data_dir=with_claims)
    assert len(asked) == len(checked) == 1
    clear_cache()
    first = loaders.load_claims_table(evaluators, data_dir=with_claims)
    clear_cache()
    second = loaders.load_claims_table(evaluators, data_dir=with_claims)
    assert len(asked) == len(checked) == 2  # the warm kernel read the cache
    pd.testing.assert_frame_equal(first, expected, check_exact=True)
    pd.testing.assert_frame_equal(second, expected, check_exact=True)
    clear_cache()
    pd.testing.assert_frame_equal(load_claims(with_claims), expected, check_exact=True)
    claims = with_claims / "claims.csv"
    claims.write_text(claims.read_text(encoding="utf-8").replace("eagerly awaited", "long awaited"), encoding="utf-8")
    clear_cache()
    changed = loaders.load_claims_table(evaluators, data_dir=with_claims)
    assert len(checked) == 3 and changed["claim"].str.contains("long awaited").any()


def test_a_bad_claims_file_fails_even_after_a_good_one_was_cached(with_claims, cache_root):
    from crackdown.claims import load_claims
    from crackdown.errors import CrackdownError

    load_claims(with_claims)
    claims = with_claims / "claims.csv"
    lines = claims.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    assert header.index("evaluator") == 6
    first = next(csv.reader([lines[1]]))
    first[6] = "no_such_evaluator"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(first)
    claims.write_text(lines[0] + buffer.getvalue() + "".join(lines[2:]), encoding="utf-8")
    clear_cache()
    with pytest.raises(CrackdownError, match=r"claims\.csv:2.*evaluator"):
        load_claims(with_claims)

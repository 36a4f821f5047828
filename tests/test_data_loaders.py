"""Loaders: typed tables, prices on each exchange's own sessions (missing = NaN, never filled), returns."""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crackdown import paths
from crackdown.data import (
    clear_cache,
    explode_list,
    load_alignment,
    load_events,
    load_firms,
    load_ipos,
    load_penalties,
    load_prices,
    load_return_spans,
    load_returns,
    load_securities,
)
from crackdown.data.schemas import TABLE_ORDER
from crackdown.errors import CrackdownError

VALID = Path(__file__).parent / "fixtures" / "valid" / "data"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(VALID, target)
    clear_cache()
    return target


def file_value(data_dir: Path, symbol: str, date: str, column: str) -> float:
    """A value read straight from the CSV (independently of the loaders)."""
    with (data_dir / "prices" / f"{symbol}.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["date"] == date:
                return float(row[column])
    raise KeyError(date)


def test_tables_are_typed(data: Path) -> None:
    events = load_events(data_dir=data)
    assert pd.api.types.is_datetime64_any_dtype(events["date"])
    month = events.set_index("event_id").loc["sensetime_ai_platform_2018"]
    assert month["date"] == pd.Timestamp("2018-09-01") and month["date_precision"] == "month"
    assert events.set_index("event_id").loc["alibaba_fined_2021", "amount"] == 18228.0
    firms = load_firms(data_dir=data)
    assert firms["is_ai_firm"].dtype == bool and firms.set_index("firm_id").loc["sensetime", "is_ai_firm"]
    assert math.isnan(load_ipos(data_dir=data).set_index("ipo_id").loc["ant_group_star_2020", "amount"])
    assert load_penalties(data_dir=data)["share_of_revenue"].tolist() == [0.04, 0.03]
    align = load_alignment(data_dir=data)
    found = align["status"] == "found"
    assert align.loc[found, "value_num"].tolist() == [1.0, 1.0, 1.0, 0.48]
    assert (~found).sum() > 0 and align.loc[~found, "value_num"].isna().all()  # not_found is unknown, never 0
    assert load_securities(data_dir=data)["listing_date"].iloc[0] == pd.Timestamp("2014-09-19")


def test_loaders_return_copies(data: Path) -> None:
    firms = load_firms(data_dir=data)
    firms.loc[0, "name"] = "changed"
    assert load_firms(data_dir=data).loc[0, "name"] == "Alibaba Group"
    prices = load_prices(["BABA"], data_dir=data)
    prices.iloc[0, 0] = -1.0
    assert load_prices(["BABA"], data_dir=data).iloc[0, 0] > 0


def test_cache_until_cleared(data: Path) -> None:
    assert len(load_firms(data_dir=data)) == 4
    path = data / "firms.csv"
    path.write_text(path.read_text(encoding="utf-8") + path.read_text(encoding="utf-8").splitlines()[1] + "\n",
                    encoding="utf-8")
    assert len(load_firms(data_dir=data)) == 4  # cached
    clear_cache()
    with pytest.raises(CrackdownError, match=r"firms\.csv:6:firm_id: duplicate"):
        load_firms(data_dir=data)


def test_crackdown_root_selects_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRACKDOWN_ROOT", str(VALID.parent))
    clear_cache()
    assert paths.data_dir() == VALID.resolve()
    assert load_firms()["firm_id"].tolist() == ["alibaba", "ant_group", "meituan", "sensetime"]


def test_event_filters(data: Path) -> None:
    assert load_events(types="fine", data_dir=data)["event_id"].tolist() == ["alibaba_fined_2021"]
    assert load_events(start="2020-01-01", end="2021-04-10", data_dir=data)["event_id"].tolist() == [
        "ant_ipo_suspended_2020", "alibaba_fined_2021"]
    assert load_events(firm_ids=["meituan", "ant_group"], data_dir=data)["event_id"].tolist() == [
        "ant_ipo_suspended_2020", "meituan_probe_2021"]
    assert len(load_events(event_ids="meituan_probe_2021", data_dir=data)) == 1


@pytest.mark.parametrize(("call", "message"), [
    (lambda d: load_events(types=["fines"], data_dir=d), "types: unknown event type 'fines'; did you mean fine"),
    (lambda d: load_events(firm_ids="alibab", data_dir=d), "firm_ids: unknown firm_id 'alibab'; did you mean"),
    (lambda d: load_events(event_ids="alibaba_fine_2021", data_dir=d), "did you mean alibaba_fined_2021"),
    (lambda d: load_prices(["BABA", "BABX"], data_dir=d), "symbols: unknown symbol 'BABX'; did you mean BABA"),
    (lambda d: load_prices(field="closing", data_dir=d), "field: unknown price field 'closing'"),
    (lambda d: load_returns(kind="pct", data_dir=d), "kind: unknown return kind 'pct'"),
    (lambda d: load_prices(start="2021-05-01", end="2021-04-01", data_dir=d), "start: 2021-05-01 is after"),
])
def test_unknown_names_list_close_matches(data: Path, call, message: str) -> None:
    with pytest.raises(CrackdownError, match=message):
        call(data)


def test_explode_list() -> None:
    frame = pd.DataFrame({"firm_ids": ["a;b", "", "c ; d"], "x": [1, 2, 3]})
    out = explode_list(frame, "firm_ids")
    assert out["firm_ids"].tolist() == ["a", "b", "c", "d"] and out.index.tolist() == [0, 0, 2, 2]


def test_prices_on_each_exchanges_sessions(data: Path) -> None:
    prices = load_prices(data_dir=data)
    assert prices.index.name == "date" and prices.index.is_monotonic_increasing
    # 2021-04-02 (Good Friday) is closed in New York and Hong Kong: not in the index at all.
    assert pd.Timestamp("2021-04-02") not in prices.index
    # Hong Kong is closed on 2021-04-05 and 04-06 (Easter Monday, Ching Ming holiday), New York is open.
    for day in ("2021-04-05", "2021-04-06"):
        assert prices.loc[day, ["9988.HK", "IDX_HSI"]].isna().all()
        assert prices.loc[day, "BABA"] == file_value(data, "BABA", day, "close")
    assert prices.loc["2021-04-07", "9988.HK"] == file_value(data, "9988.HK", "2021-04-07", "close")
    assert prices.index[0] == pd.Timestamp("2021-03-25") and prices.index[-1] == pd.Timestamp("2021-04-20")


def test_return_price_uses_adj_close_where_the_file_has_it(data: Path) -> None:
    prices = load_prices(["BABA", "9988.HK"], field="return_price", data_dir=data)
    assert prices.loc["2021-04-01", "BABA"] == file_value(data, "BABA", "2021-04-01", "adj_close")
    assert prices.loc["2021-04-01", "9988.HK"] == file_value(data, "9988.HK", "2021-04-01", "close")
    assert load_prices(["IDX_HSI"], field="adj_close", data_dir=data)["IDX_HSI"].isna().all()


def test_returns_run_from_the_previous_own_session(data: Path) -> None:
    simple = load_returns(["BABA", "9988.HK"], start="2021-04-05", end="2021-04-09", data_dir=data)
    hk = file_value(data, "9988.HK", "2021-04-07", "close") / file_value(data, "9988.HK", "2021-04-01", "close")
    assert simple.loc["2021-04-07", "9988.HK"] == pytest.approx(hk - 1)
    assert simple.loc[["2021-04-05", "2021-04-06"], "9988.HK"].isna().all()
    us = file_value(data, "BABA", "2021-04-05", "adj_close") / file_value(data, "BABA", "2021-04-01", "adj_close")
    assert simple.loc["2021-04-05", "BABA"] == pytest.approx(us - 1)  # across Good Friday
    log = load_returns(["BABA", "9988.HK"], start="2021-04-05", end="2021-04-09", kind="log", data_dir=data)
    np.testing.assert_allclose(np.expm1(log.to_numpy()), simple.to_numpy())


def test_missing_day_is_nan_never_filled(data: Path) -> None:
    path = data / "prices" / "BABA.csv"
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                            if not line.startswith("2021-04-07")))
    clear_cache()
    assert math.isnan(load_prices(["BABA"], data_dir=data).loc["2021-04-07", "BABA"])
    returns = load_returns(["BABA"], data_dir=data)
    assert returns.loc[["2021-04-07", "2021-04-08"], "BABA"].isna().all()
    assert returns.loc["2021-04-09", "BABA"] == pytest.approx(
        file_value(data, "BABA", "2021-04-09", "adj_close") / file_value(data, "BABA", "2021-04-08", "adj_close") - 1)


def test_resumption_books_the_move_across_a_halt_on_the_resumption_session(data: Path) -> None:
    path = data / "prices" / "BABA.csv"
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                            if not line.startswith(("2021-04-07", "2021-04-08"))))  # a two-session suspension
    clear_cache()
    gap = load_returns(["BABA"], gaps="resumption", data_dir=data)
    spans = load_return_spans(["BABA"], gaps="resumption", data_dir=data)
    across = file_value(data, "BABA", "2021-04-09", "adj_close") / file_value(data, "BABA", "2021-04-06", "adj_close")
    assert gap.loc["2021-04-09", "BABA"] == pytest.approx(across - 1)  # last close before -> first close after
    assert spans.loc["2021-04-09", "BABA"] == 3 and spans.loc["2021-04-12", "BABA"] == 1
    assert gap.loc[["2021-04-07", "2021-04-08"], "BABA"].isna().all()  # halted days stay missing, never 0
    assert (spans.loc[["2021-04-07", "2021-04-08"], "BABA"] == 0).all()
    drop = load_returns(["BABA"], data_dir=data)
    assert math.isnan(drop.loc["2021-04-09", "BABA"])  # the daily rule loses the move
    assert (load_return_spans(["BABA"], data_dir=data).max() == 1).all()
    assert math.isnan(load_returns(["BABA"], gaps="resumption", max_span=2, data_dir=data).loc["2021-04-09", "BABA"])
    pd.testing.assert_frame_equal(gap.drop(index=pd.Timestamp("2021-04-09")),
                                  drop.drop(index=pd.Timestamp("2021-04-09")))
    with pytest.raises(CrackdownError, match="gaps"):
        load_returns(["BABA"], gaps="fill", data_dir=data)


REAL = paths.project_root() / "data"


@pytest.mark.skipif(not all((REAL / f"{t}.csv").is_file() for t in TABLE_ORDER),
                    reason="the real data tables are not all in place yet")
def test_real_data_loads() -> None:
    clear_cache()
    securities = load_securities(data_dir=REAL)
    for loader in (load_firms, load_events, load_ipos, load_alignment, load_penalties):
        assert len(loader(data_dir=REAL)) > 0
    prices = load_prices(data_dir=REAL)
    priced = securities.loc[securities["price_basis"] != "none", "symbol"]
    assert sorted(prices.columns) == sorted(priced)
    assert ((prices > 0) | prices.isna()).all().all()
    assert prices.notna().sum().min() > 0  # every priced symbol has prices

"""Specification sweep: estimates against fresh engine event studies, placebo curves, grid rules, cache, Dask.

Most tests use synthetic returns on the real NYSE calendar, where the targeted firms lose a known 3% on every
event day; expected values are recomputed independently through :func:`eventstudy.long_short` on a fresh fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, run_crackdown

from crackdown import eventstudy as es
from crackdown import robustness as rb
from crackdown import words
from crackdown.calendars import sessions
from crackdown.errors import CrackdownError

TARGETED = ["t1", "t2", "t3", "t4"]
ALIGNED = ["a1", "a2", "a3"]
EVENT_DATES = ["2021-02-03", "2021-03-10", "2021-04-12", "2021-05-19", "2021-06-23", "2021-08-04", "2021-09-15",
               "2021-11-03"]
HIT = -0.03  # the targeted firms' extra return on each event day


def _synthetic(seed: int = 3, data_hash: str = "synthetic") -> rb.SweepData:
    days = sessions("XNYS", "2019-01-01", "2022-12-30")
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.01, len(days))
    world = 0.6 * market + rng.normal(0, 0.006, len(days))
    cols = {"IDX_GSPC": market, "ACWI": world}
    day0 = days.isin(pd.DatetimeIndex(EVENT_DATES))
    for i, firm in enumerate(TARGETED + ALIGNED):
        r = 0.0002 + (0.8 + 0.1 * i) * market + rng.normal(0, 0.01, len(days))
        cols[firm.upper()] = r + (HIT * day0 if firm in TARGETED else 0.0)
    returns = pd.DataFrame(cols, index=days)
    returns.loc["2021-06-01":"2021-06-04", "T2"] = np.nan  # a suspension in some estimation windows
    symbols = [f.upper() for f in TARGETED + ALIGNED]
    securities = pd.DataFrame({
        "symbol": [*symbols, "IDX_GSPC", "ACWI"], "firm_id": [*TARGETED, *ALIGNED, None, None],
        "exchange": "XNYS", "benchmark_symbol": ["IDX_GSPC"] * len(symbols) + ["", ""]})
    events = pd.DataFrame({"event_id": [f"e{i}" for i in range(len(EVENT_DATES))],
                           "date": pd.to_datetime(EVENT_DATES), "time_beijing": "", "type": "fine"})
    groups = pd.Series(["targeted_platform"] * 4 + ["aligned_ai"] * 3, index=TARGETED + ALIGNED, name="group")
    return rb.SweepData(
        returns=returns, securities=securities, events=events,
        event_sets={"punitive": events["event_id"].tolist(), "fines": events["event_id"].tolist()[:4]},
        firm_symbol={f: f.upper() for f in TARGETED + ALIGNED}, groups=groups,
        all_event_days=events["date"].to_numpy(dtype="datetime64[ns]"), data_hash=data_hash)


# the synthetic data has no KWEB: the regime pool's volatility comes from its market index
PLACEBO = rb.PlaceboConfig(n=30, seed=1, start="2019-06-01", end="2022-06-30", regime_benchmark="IDX_GSPC")


@pytest.mark.parametrize(("setting", "name"), [({"gap": -1}, "gap"), ({"n": -1}, "n_placebo"), ({"seed": True}, "seed"),
                                               ({"n": 2.5}, "n_placebo")])
def test_placebo_config_refuses_bad_settings(setting: dict, name: str) -> None:
    with pytest.raises(CrackdownError, match=name):  # a negative gap would let real event dates be drawn
        rb.PlaceboConfig(**setting)
AXES = {"window": [[0, 0], [-1, 1]], "estimation": [[-200, -11]], "model": ["market", "market-adjusted", "raw"],
        "benchmark": ["local", "ACWI"], "event_set": ["punitive", "fines"], "aligned_rule": ["sector"],
        "leave_out": ["none", "t1", "a2"]}


@pytest.fixture(scope="module")
def synthetic_sweep() -> rb.SweepResult:
    return rb.run_sweep(AXES, data=_synthetic(), placebo=PLACEBO, cache=False)


def _engine_long_short(data: rb.SweepData, spec, events: pd.DataFrame | None = None) -> pd.Series:
    """The spec's pooled long-short row from a fresh engine event study (independent of the sweep's arrays)."""
    firms_long = [f for f in TARGETED if f != spec.leave_out]
    firms_short = [f for f in ALIGNED if f != spec.leave_out]
    long, short = [f.upper() for f in firms_long], [f.upper() for f in firms_short]
    if events is None:
        events = data.events[data.events["event_id"].isin(data.event_sets[spec.event_set])]
    bench = None if spec.benchmark in ("local", "none") else spec.benchmark
    panel = es.panel_from_securities(data.returns, data.securities, long + short, bench,
                                     with_benchmark=spec.model in ("market", "market-adjusted"))
    est = tuple(int(x) for x in spec.estimation.split(".."))
    f = es.fit(panel, es.make_pairs(panel, events), spec.model, est, 100, errors="drop")
    table = es.long_short(f, long, short, tuple(int(x) for x in spec.window.split("..")))
    return table.set_index("event_id").loc["all"]


# --------------------------------------------------------------------------------------------- estimates


def test_every_spec_equals_a_fresh_engine_long_short(synthetic_sweep: rb.SweepResult) -> None:
    data = _synthetic()
    specs = synthetic_sweep.specs
    assert len(specs) == 2 * 1 * 5 * 2 * 3  # windows x estimation x (model, benchmark) x sets x leave-outs
    for spec in specs.itertuples():
        ref = _engine_long_short(data, spec)
        np.testing.assert_allclose([spec.estimate, spec.se, spec.t, spec.p], [ref["car"], ref["se"], ref["t"],
                                                                             ref["p"]], rtol=1e-9)


def test_known_effect_is_recovered_with_counts(synthetic_sweep: rb.SweepResult) -> None:
    specs = synthetic_sweep.specs
    day0 = specs[specs["window"] == "0..0"]
    assert np.allclose(day0["estimate"], HIT, atol=0.012)
    assert (specs["estimate"] < 0).all()
    assert set(specs.loc[specs["event_set"] == "punitive", "n_events"]) == {8}
    assert set(specs.loc[specs["event_set"] == "fines", "n_events"]) == {4}
    none = specs[specs["leave_out"] == "none"]
    assert set(none["n_long"]) == {4} and set(none["n_short"]) == {3} and set(none["n_firms"]) == {7}
    assert set(specs.loc[specs["leave_out"] == "t1", "n_long"]) == {3}
    assert set(specs.loc[specs["leave_out"] == "a2", "n_short"]) == {2}


def test_placebo_column_equals_engine_on_the_pseudo_dates(synthetic_sweep: rb.SweepResult) -> None:
    data = _synthetic()
    dates = rb.placebo_dates(data, PLACEBO)
    spec = synthetic_sweep.specs.query("model == 'market' and benchmark == 'local' and leave_out == 't1'").iloc[0]
    ids = data.events["event_id"].isin(data.event_sets[spec.event_set]).to_numpy()
    for draw in (0, 7, 29):
        pseudo = pd.DataFrame({"event_id": data.events["event_id"][ids], "date": dates[draw, ids],
                               "time_beijing": ""})
        ref = _engine_long_short(data, spec, pseudo)
        assert spec.placebo[draw] == pytest.approx(ref["car"], rel=1e-9, abs=1e-15)


def test_placebo_dates_avoid_events_and_do_not_depend_on_the_other_events() -> None:
    data = _synthetic()
    dates = rb.placebo_dates(data, PLACEBO)
    assert dates.shape == (30, 8)
    days = sessions("XNYS", PLACEBO.start, PLACEBO.end)
    pos = days.searchsorted(pd.DatetimeIndex(dates.ravel()))
    real = days.searchsorted(pd.DatetimeIndex(EVENT_DATES))
    assert (np.abs(pos[:, None] - real[None, :]).min(axis=1) > PLACEBO.gap).all()
    fewer = _synthetic()
    object.__setattr__(fewer, "events", data.events.iloc[[2, 5]].reset_index(drop=True))
    np.testing.assert_array_equal(rb.placebo_dates(fewer, PLACEBO), dates[:, [2, 5]])
    assert not np.array_equal(rb.placebo_dates(data, rb.PlaceboConfig(30, 2, PLACEBO.start, PLACEBO.end,
                                                                           regime_benchmark="IDX_GSPC")), dates)


def test_permutation_test_rejects_the_null_for_a_real_effect(synthetic_sweep: rb.SweepResult) -> None:
    summary = rb.curve_summary(synthetic_sweep.specs, min_events=4)
    assert summary["n_specs"] == len(synthetic_sweep.specs)
    assert summary["share_thesis_sign"] == 1.0
    assert summary["n_placebo"] == 30
    assert summary["permutation_p"] == pytest.approx(1 / 31)
    assert np.abs(summary["placebo_medians"]).max() < abs(summary["median_estimate"])


# --------------------------------------------------------------------------------------------- curve


def test_curve_summary_by_hand() -> None:
    specs = pd.DataFrame({
        "estimate": [-0.02, -0.01, 0.01, np.nan, -0.5, -0.4], "p": [0.01, 0.2, 0.03, np.nan, 0.0, 0.0],
        "n_events": [5, 9, 9, 9, 4, 9], "n_long": [2, 2, 3, 3, 3, 3], "n_short": [2, 3, 2, 3, 3, 1],
        "placebo": [np.array([0.0, -0.03, 0.01]), np.array([0.01, -0.02, 0.0]), np.array([0.02, -0.01, -0.01]),
                    np.array([np.nan] * 3), np.array([-1.0] * 3), np.array([-1.0] * 3)]})
    s = rb.curve_summary(specs)  # rows 3 (no estimate), 4 (4 events) and 5 (one aligned firm) are left out
    assert s["n_specs"] == 3 and s["n_unusable"] == 3
    assert rb.curve_summary(specs, min_events=4, min_firms=1)["n_specs"] == 5
    assert s["share_thesis_sign"] == pytest.approx(2 / 3)
    assert s["share_significant"] == pytest.approx(2 / 3)
    assert s["share_significant_thesis"] == pytest.approx(1 / 3)
    assert s["median_estimate"] == pytest.approx(-0.01)
    # placebo medians per draw: 0.01, -0.02, 0.0 -> one draw (-0.02) at or below -0.01
    np.testing.assert_allclose(s["placebo_medians"], [0.01, -0.02, 0.0])
    assert s["permutation_p"] == pytest.approx((1 + 1) / (1 + 3))
    # placebo shares with a negative sign: 0, 1, 1/3 -> one at or above 2/3
    assert s["permutation_p_sign"] == pytest.approx((1 + 1) / (1 + 3))
    assert s["permutation_p_mc_se"] == pytest.approx(np.sqrt(0.5 * 0.5 / 3))  # sqrt(p (1 - p) / 3 draws)


@pytest.mark.parametrize(("kw", "name"), [({"min_events": 0}, "min_events"), ({"min_firms": 1.5}, "min_firms")])
def test_usable_rejects_bad_minimums(kw: dict, name: str, synthetic_sweep: rb.SweepResult) -> None:
    with pytest.raises(CrackdownError, match=f"^{name}:"):
        rb.usable(synthetic_sweep.specs, **kw)


def test_choice_effects_ranks_axes_by_spread() -> None:
    specs = pd.DataFrame({"window": ["0..0", "0..0", "0..5", "0..5"], "model": ["market", "raw"] * 2,
                          "estimate": [-0.01, -0.02, 0.03, 0.02]})
    table = rb.choice_effects(specs)
    # window medians -0.015 and 0.025 (spread 0.04); model medians 0.01 (market) and 0.0 (raw) (spread 0.01)
    assert table["axis"].iloc[0] == "window"
    spread = table.drop_duplicates("axis").set_index("axis")["spread"]
    assert spread["window"] == pytest.approx(0.04) and spread["model"] == pytest.approx(0.01)
    assert table.set_index(["axis", "choice"]).loc[("model", "market"), "median_estimate"] == pytest.approx(0.01)


# --------------------------------------------------------------------------------------------- grid


@pytest.mark.parametrize(("axes", "axis"), [
    ({"windows": [[0, 1]]}, "axes"),
    ({"window": []}, "window"),
    ({"window": [[2, 1]]}, "window"),
    ({"window": [[0, 1], [0, 1]]}, "window"),
    ({"estimation": [[-250, -11]], "window": [[-20, 1]]}, "estimation"),
    ({"estimation": [[-100, 0]]}, "estimation"),
    ({"model": ["markt"]}, "model"),
    ({"event_set": ["everything"]}, "event_set"),
    ({"aligned_rule": ["vibes"]}, "aligned_rule"),
    ({"threshold": [1.5]}, "threshold"),
    ({"weights": ["heavy"]}, "weights"),
])
def test_invalid_axes_are_rejected_naming_the_axis(axes: dict, axis: str) -> None:
    with pytest.raises(CrackdownError, match=rf"^{axis}:"):
        rb.expand_grid({**AXES, **axes} if "windows" not in axes else axes, _synthetic())


@pytest.mark.parametrize(("axes", "axis"), [
    ({"benchmark": ["NOPE"]}, "benchmark"),
    ({"leave_out": ["zz"]}, "leave_out"),
    ({"event_set": ["enforcement"]}, "event_set"),  # a set without events in this data
])
def test_combinations_the_data_cannot_support_are_rejected(axes: dict, axis: str) -> None:
    with pytest.raises(CrackdownError, match=rf"^{axis}:"):
        rb.expand_grid({**AXES, **axes}, _synthetic())


def test_leaving_out_the_only_member_of_a_group_is_rejected_or_skipped() -> None:
    data = _synthetic()
    object.__setattr__(data, "groups", data.groups.drop(["a2", "a3"]))
    with pytest.raises(CrackdownError, match="^leave_out:.*a1"):
        rb.expand_grid({**AXES, "leave_out": ["a1"]}, data)
    each = rb.expand_grid({**AXES, "leave_out": ["each"]}, data)
    assert set(each["leave_out"]) == set(TARGETED)  # a1 is the only aligned firm: never left out


def test_not_applicable_choices_collapse() -> None:
    specs = rb.expand_grid({**AXES, "model": ["raw", "constant-mean", "market"], "leave_out": ["none", "each"],
                            "threshold": [0.2, 0.5]}, _synthetic())
    no_bench = specs[specs["model"].isin(["raw", "constant-mean"])]
    assert set(no_bench["benchmark"]) == {"none"}
    assert set(specs.loc[specs["model"] == "market", "benchmark"]) == {"local", "ACWI"}
    assert set(specs["grouping"]) == {"sector"} and specs["threshold"].isna().all()  # sector rule: no threshold
    assert set(specs["leave_out"]) == {"none", *TARGETED, *ALIGNED}
    assert len(specs) == 2 * 1 * (2 + 2) * 2 * 8
    assert not specs.duplicated([*rb.AXES]).any()


# --------------------------------------------------------------------------------------------- cache


def test_cache_hit_on_rerun_and_miss_after_a_data_change(tmp_path, monkeypatch) -> None:
    from crackdown.runner import data_hash

    monkeypatch.setenv("CRACKDOWN_ROOT", str(tmp_path))
    (tmp_path / "data").mkdir()
    table = tmp_path / "data" / "events.csv"
    table.write_text("event_id,date\ne0,2021-02-03\n")
    axes = {**AXES, "model": ["market"], "benchmark": ["local"], "leave_out": ["none"]}
    first = rb.run_sweep(axes, data=_synthetic(data_hash=data_hash()), placebo=PLACEBO)
    n = len(first.specs)
    assert (first.n_computed, first.n_cached) == (n, 0)
    assert list((tmp_path / "outputs" / "sweep_cache").glob("part-*.parquet"))
    again = rb.run_sweep(axes, data=_synthetic(data_hash=data_hash()), placebo=PLACEBO)
    assert (again.n_computed, again.n_cached) == (0, n)
    pd.testing.assert_frame_equal(first.specs.drop(columns="placebo"), again.specs.drop(columns="placebo"))
    assert all(np.array_equal(a, b) for a, b in zip(first.specs["placebo"], again.specs["placebo"], strict=True))
    wider = rb.run_sweep({**axes, "window": [[0, 0], [-1, 1], [0, 5]]}, data=_synthetic(data_hash=data_hash()),
                         placebo=PLACEBO)
    assert (wider.n_computed, wider.n_cached) == (n // 2, n)  # only the new window is computed
    other_placebo = rb.run_sweep(axes, data=_synthetic(data_hash=data_hash()), placebo=rb.PlaceboConfig(
        n=10, seed=1, start=PLACEBO.start, end=PLACEBO.end, regime_benchmark="IDX_GSPC"))
    assert other_placebo.n_computed == n
    table.write_text("event_id,date\ne0,2021-02-04\n")  # the data changed
    changed = rb.run_sweep(axes, data=_synthetic(data_hash=data_hash()), placebo=PLACEBO)
    assert (changed.n_computed, changed.n_cached) == (n, 0)


# --------------------------------------------------------------------------------------------- Dask


def test_serial_and_local_cluster_give_identical_results(synthetic_sweep: rb.SweepResult) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster, Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        seen = []
        dask = rb.run_sweep(AXES, data=_synthetic(), placebo=PLACEBO, cache=False, client=client,
                            on_progress=lambda done, total: seen.append((done, total)))
        by_address = rb.run_sweep(AXES, data=_synthetic(), placebo=PLACEBO, cache=False,
                                  scheduler=cluster.scheduler_address)  # the --scheduler tcp://HOST:PORT path
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert seen[-1][0] == seen[-1][1] == len(seen)
    serial = synthetic_sweep.specs
    for other in (dask, by_address):
        pd.testing.assert_frame_equal(serial.drop(columns="placebo"), other.specs.drop(columns="placebo"),
                                      check_exact=True)
        for a, b in zip(serial["placebo"], other.specs["placebo"], strict=True):
            np.testing.assert_array_equal(a, b)


def test_unreachable_scheduler_is_a_clear_error() -> None:
    with pytest.raises(CrackdownError, match="^scheduler:"):
        rb.run_sweep({**AXES, "model": ["raw"]}, data=_synthetic(), placebo=rb.PlaceboConfig(n=0), cache=False,
                     scheduler="udp://nowhere")
    with pytest.raises(CrackdownError, match="^scheduler: cannot reach"):
        rb.run_sweep({**AXES, "model": ["raw"]}, data=_synthetic(), placebo=rb.PlaceboConfig(n=0), cache=False,
                     scheduler="tcp://127.0.0.1:1")


# --------------------------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real() -> rb.SweepData:
    return rb.load_sweep_data()


def test_real_data_uses_notebook_04s_events_one_listing_per_firm_and_the_data_hash(real: rb.SweepData) -> None:
    from crackdown import reaction
    from crackdown.runner import data_hash

    assert real.event_sets["punitive"] == reaction.crackdown_events(*(reaction.PUNITIVE_TYPES,), *rb.CRACKDOWN_PERIOD)[
        "event_id"].tolist()
    assert set(real.event_sets["fines"]) <= set(real.event_sets["enforcement"]) <= set(real.event_sets["punitive"])
    assert len(set(real.firm_symbol.values())) == len(real.firm_symbol)
    assert {"alibaba", "tencent", "hikvision", "iflytek"} <= set(real.firm_symbol)
    assert real.data_hash == data_hash()


def test_real_spec_equals_a_fresh_engine_long_short(real: rb.SweepData) -> None:
    axes = {"window": [[-1, 1]], "estimation": [[-250, -11]], "model": ["market"], "benchmark": ["local"],
            "event_set": ["enforcement"], "aligned_rule": ["sector"], "leave_out": ["none", "alibaba"]}
    specs = rb.run_sweep(axes, data=real, placebo=rb.PlaceboConfig(n=0), cache=False).specs
    for spec in specs.itertuples():
        long = [s for s in spec.long.split(";") if s != real.firm_symbol.get(spec.leave_out)]
        ev = real.events[real.events["event_id"].isin(real.event_sets["enforcement"])]
        panel = es.panel_from_securities(real.returns, real.securities, long + spec.short.split(";"))
        f = es.fit(panel, es.make_pairs(panel, ev), "market", (-250, -11), 100, errors="drop")
        ref = es.long_short(f, long, spec.short.split(";"), (-1, 1)).set_index("event_id").loc["all"]
        assert spec.estimate == pytest.approx(ref["car"], rel=1e-9)
        assert spec.se == pytest.approx(ref["se"], rel=1e-9)


def test_cli_rejects_an_invalid_grid_naming_the_axis() -> None:
    result = run_crackdown(ROOT, "sweep", "--serial", "--estimations=-20:-1", "--no-cache")
    assert result.returncode == 2
    assert "estimation:" in result.stderr and "overlaps" in result.stderr


# --------------------------------------------------------------------------------------------- notebook helpers


@pytest.mark.parametrize(("share", "p", "median", "expected"), [
    (0.95, 0.01, -0.01, "survives"),
    (0.95, 0.20, -0.01, "partly survives"),
    (0.70, 0.01, -0.01, "partly survives"),
    (0.30, 0.40, -0.01, "does not survive"),
    (0.60, 0.01, 0.01, "does not survive"),
    (np.nan, np.nan, np.nan, "cannot be assessed"),
])
def test_verdict(share: float, p: float, median: float, expected: str) -> None:
    summary = {"share_thesis_sign": share, "permutation_p": p, "median_estimate": median}
    assert rb.verdict(summary, 0.05) == expected


@pytest.mark.parametrize("bad", ["tcp://", "localhost:8786", "LOCAL", 3])
def test_check_scheduler_rejects_bad_addresses(bad) -> None:
    with pytest.raises(CrackdownError, match="^scheduler:"):
        rb.check_scheduler(bad)
    assert rb.check_scheduler("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"


def test_curve_table_and_choice_matrix(synthetic_sweep: rb.SweepResult) -> None:
    curve = rb.curve_table(synthetic_sweep.specs)
    assert curve["estimate"].is_monotonic_increasing and list(curve["rank"]) == list(range(len(curve)))
    np.testing.assert_allclose(curve["upper"] - curve["estimate"], 1.959964 * curve["se"], rtol=1e-6)
    panel = rb.choice_matrix(curve)
    assert set(panel["axis"]) == {"window", "model", "benchmark", "event_set", "leave_out"}  # varying axes only
    assert set(panel.loc[panel["axis"] == "leave_out", "choice"]) == {"none", "one firm out"}
    assert (panel.groupby("rank").size() == 5).all()  # one choice per axis per specification


def test_shipped_data_ci_grid_summary_is_computed_from_its_specifications(real: rb.SweepData) -> None:
    """The ci grid runs on the shipped data, and its summary follows from its specifications by hand (the
    median's sign is a finding for the report, not a condition of this test)."""
    import yaml

    ci = yaml.safe_load((ROOT / "profiles" / "ci" / "08_robustness.yaml").read_text())
    axes = {"window": ci["windows"], "estimation": ci["estimations"], "model": ci["models"],
            "benchmark": ci["benchmarks"], "event_set": ci["event_sets"], "aligned_rule": ci["aligned_rules"],
            "leave_out": ci["leave_out"]}
    specs = rb.run_sweep(axes, data=real, placebo=rb.PlaceboConfig(n=0), cache=False).specs
    summary = rb.curve_summary(specs)
    ok = specs[rb.usable(specs, rb.MIN_EVENTS, rb.MIN_FIRMS)]
    assert summary["n_specs"] == len(ok) > 0 and summary["n_unusable"] == len(specs) - len(ok)
    assert summary["median_estimate"] == pytest.approx(float(np.median(ok["estimate"])), abs=0)
    assert summary["share_thesis_sign"] == pytest.approx(float((ok["estimate"] < 0).mean()))
    assert summary["share_significant"] == pytest.approx(float((ok["p"] < 0.05).mean()))


# --------------------------------------------------------------------------------------------- notebook text


def test_results_record_reports_the_curve_and_its_permutation_test(synthetic_sweep: rb.SweepResult) -> None:
    specs = synthetic_sweep.specs
    summary = rb.curve_summary(specs, min_events=4)
    effects = rb.choice_effects(specs)
    verdict = rb.verdict(summary)
    rec = rb.results_record(summary, verdict, effects, {"seed": 1})
    assert "placebo_medians" not in rec  # an array per draw: shown, not stored
    assert rec["n_specs"] == len(specs) and rec["verdict"] == verdict and rec["parameters"] == {"seed": 1}
    assert rec["headline"]["estimate"] == summary["median_estimate"] == rec["median_estimate"]
    assert rec["headline"]["p_value"] == summary["permutation_p"] and rec["headline"]["thesis_sign"] == -1
    # each axis' spread by hand: max - min of its choices' median estimates
    ok = specs[specs["estimate"].notna()]
    by_model = ok.groupby("model")["estimate"].median()
    assert rec["axis_spread"]["model"] == pytest.approx(by_model.max() - by_model.min())
    assert list(rec["axis_spread"].values()) == sorted(rec["axis_spread"].values(), reverse=True)
    answer = words.robustness.answer(words.as_written("08_robustness", rec), {})
    assert answer.startswith(f"The negative median long-short reaction {verdict}: 100% of {len(specs)} specifications")


def test_most_influential_firm_is_farthest_from_the_median() -> None:
    effects = pd.DataFrame({"axis": ["leave_out"] * 3 + ["model"], "choice": ["none", "t1", "a2", "raw"],
                            "median_estimate": [-0.02, -0.015, -0.031, 0.5], "spread": [0.016] * 3 + [0.0]})
    top = rb.most_influential_firm(effects, -0.02)
    assert list(top["choice"]) == ["a2"]  # 0.011 away, t1 only 0.005
    assert rb.most_influential_firm(effects[effects["choice"].isin(["none", "raw"])], -0.02).empty
    summary = {k: 0.0 for k in rb.SUMMARY_KEYS}
    summary.update(share_thesis_sign=1.0, n_specs=3, median_estimate=-0.02, share_significant_thesis=0.5,
                   permutation_p=0.01)
    record = words.as_written("08_robustness", rb.results_record(summary, "survives", effects, {}))
    assert record["most_influential_firm"] == {"firm_id": "a2", "median_estimate": -0.031}
    text = words.robustness.narrative(record, {})
    assert text.startswith("**The negative median long-short reaction survives: 100% of 3 specifications")
    assert "moves the estimate most is the leave out (medians differ by 1.60%" in text
    assert "Leaving out a2 moves the median most among single firms, to -3.10%." in text
    assert "Leaving out Aye Two moves the median" in words.robustness.narrative(record, {"a2": "Aye Two"})


def _placebo_words(summary: dict, specs: pd.DataFrame) -> str:
    """08's placebo note from the sweep facts of ``summary`` (filled up to :data:`SUMMARY_KEYS`)."""
    full = {**dict.fromkeys(rb.SUMMARY_KEYS, 0.0), **summary}
    facts = rb.sweep_facts(_Sweep(specs), full, specs)  # type: ignore[arg-type]
    return words.robustness.placebo(words.as_written("08_robustness", facts), {})


class _Sweep:
    """The parts of a :class:`SweepResult` that :func:`sweep_facts` reads."""

    def __init__(self, specs: pd.DataFrame) -> None:
        self.specs, self.n_computed, self.n_cached = specs, 0, 0


def test_placebo_note_counts_placebo_curves_at_least_as_negative() -> None:
    summary = {"median_estimate": -0.01, "permutation_p": 0.5, "permutation_p_sign": 0.25,
               "permutation_p_mc_se": (0.5 * 0.5 / 3) ** 0.5, "share_thesis_sign": 0.75,
               "placebo_medians": np.array([0.01, -0.02, np.nan, -0.01])}
    specs = pd.DataFrame({"placebo": [np.array([1.0, -1.0]), np.array([-1.0, -1.0])]})  # placebo shares 0.5, 1
    note = _placebo_words(summary, specs)
    assert "2 of 3 placebo curves have a median at least as negative" in note
    assert "**0.500**" in note and "placebo average of 75%" in note
    assert "(Monte-Carlo SE 0.289)" in note  # sqrt(0.5 * 0.5 / 3 draws)
    one = _placebo_words({**summary, "placebo_medians": np.array([-0.02, 0.0])}, specs)
    assert "1 of 2 placebo curves has a median" in one
    none = _placebo_words({**summary, "placebo_medians": np.array([])}, specs)
    assert "no placebo draws were run" in none and "-1.00%" in none


def test_sweep_table_and_note_count_every_specification(synthetic_sweep: rb.SweepResult) -> None:
    specs = synthetic_sweep.specs
    ok = rb.usable(specs, min_events=5)
    table = rb.sweep_table(specs, ok)
    assert table["specifications"].sum() == len(specs) and table["in_curve"].sum() == ok.sum()
    fines = table.xs("fines", level="event_set")
    assert (fines["max_events"] <= 4).all() and (fines["in_curve"] == 0).all()  # four fine events < 5
    summary = rb.curve_summary(specs, min_events=5)
    facts = rb.sweep_facts(synthetic_sweep, summary, specs[ok])
    note = words.robustness.sweep(words.as_written("08_robustness", {**facts, "parameters": {"min_events": 5,
                                                                                           "min_firms": 2}}), {})
    assert note.startswith(f"**{len(specs):,} specifications** ({synthetic_sweep.n_computed:,} computed now")
    assert f"{(~ok).sum():,} are left out" in note


def test_china_market_benchmark_choice_measures_each_security_against_its_exchange_china_market() -> None:
    """The curve's china_market choice builds the panel with reaction.rule_securities' benchmarks."""
    from crackdown import eventstudy as es
    from crackdown import reaction as rx
    from crackdown.robustness import evaluation as ev
    from crackdown.robustness.grid import CHINA, SweepData

    sec = pd.DataFrame({"symbol": ["A", "B", "IDX", "MCHI"], "firm_id": ["fa", "fb", None, None],
                        "exchange": ["XNYS", "XNYS", "XNYS", "XNYS"], "benchmark_symbol": ["IDX", "IDX", None, None]})
    days = pd.bdate_range("2021-01-04", periods=30)
    rng = np.random.default_rng(0)
    returns = pd.DataFrame(rng.normal(0, 0.01, (30, 4)), index=days, columns=["A", "B", "IDX", "MCHI"])
    data = SweepData(returns=returns, securities=sec,
                     events=pd.DataFrame({"event_id": ["e"], "date": [days[20]], "time_beijing": [""], "type": ["fine"]}),
                     event_sets={}, firm_symbol={"fa": "A", "fb": "B"}, groups=pd.Series(dtype=str))
    panel, _ = ev._panel_and_pairs(data, "market", CHINA)
    assert set(panel.benchmarks) == {"MCHI"}
    expected = es.panel_from_securities(returns, rx.rule_securities(sec, "china_market"), ["A", "B"],
                                        None, with_benchmark=True)
    np.testing.assert_array_equal(np.nan_to_num(panel.m), np.nan_to_num(expected.m))

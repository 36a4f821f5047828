"""Alignment as a measure (crackdown.pairlevel): the 2x2 by hand, the two-way clustered regression against a hand
computation of the Cameron-Gelbach-Miller variance on a small fixture."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crackdown import pairlevel as pl
from crackdown import words
from crackdown.errors import CrackdownError


def _pairs(seed: int = 3) -> pd.DataFrame:
    """6 events x 8 firms with a score, a sanction flag, a market and a sector; CARs from a known model + noise."""
    rng = np.random.default_rng(seed)
    firms = pd.DataFrame({"firm_id": [f"f{i}" for i in range(8)],
                          "score": [0.1, 0.9, 0.4, np.nan, 0.7, 0.2, 0.55, 0.3],
                          "us_sanctioned": [0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, np.nan],
                          "aligned": [False, True, False, False, True, False, True, False],
                          "market": ["US", "HK", "mainland", "US", "HK", "US", "mainland", "HK"],
                          "sector_group": ["a", "b", "a", "b", "a", "b", "a", "b"]})
    grid = pd.MultiIndex.from_product([[f"e{j}" for j in range(6)], firms["firm_id"]],
                                      names=["event_id", "firm_id"]).to_frame(index=False)
    d = grid.merge(firms, on="firm_id")
    event_effect = d["event_id"].str[1].astype(int) * 0.01
    firm_effect = d["firm_id"].str[1].astype(int) * 0.003
    d["car"] = 0.02 * d["score"].fillna(0) + event_effect + firm_effect + rng.normal(0, 0.01, len(d))
    return d


def test_sanctions_table_by_hand() -> None:
    pairs = _pairs()
    table = pl.sanctions_table(pairs)
    known = pairs.dropna(subset=["us_sanctioned"])
    for (aligned, sanctioned), row in table.iterrows():
        cell = known[(known["aligned"] == aligned) & ((known["us_sanctioned"] > 0) == sanctioned)]
        assert row["n_pairs"] == len(cell) and row["n_firms"] == cell["firm_id"].nunique()
        assert row["mean_car"] == pytest.approx(cell["car"].mean())
    assert table.loc[(True, True), "firms"] == ["f1", "f6"]
    assert table.loc[(False, True), "firms"] == ["f2"]
    assert table.loc[(True, False), "firms"] == ["f4"]
    assert table["n_pairs"].sum() == len(pairs) - 6  # f7's sanction status is unknown: left out, never false
    record = pl.sanctions_record(table, 6)
    assert record["cells"]["not_aligned_sanctioned"]["firms"] == ["f2"] and record["n_pairs_sanction_unknown"] == 6


def _cluster_meat(X: np.ndarray, u: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, int]:
    meat = np.zeros((X.shape[1], X.shape[1]))
    labels = np.unique(groups)
    for g in labels:  # a handful of clusters in the fixture
        s = X[groups == g].T @ u[groups == g]
        meat += np.outer(s, s)
    return meat, len(labels)


def test_two_way_clustered_se_matches_cameron_gelbach_miller_by_hand() -> None:
    pairs = _pairs()
    got = pl.two_way_regression(pairs, "score")
    X, y, clusters = pl.design(pairs, "score")
    Xa, ya = X.to_numpy(), y.to_numpy()
    beta = np.linalg.lstsq(Xa, ya, rcond=None)[0]
    u = ya - Xa @ beta
    bread = np.linalg.inv(Xa.T @ Xa)
    n, k = Xa.shape
    ev, fm = clusters["event_id"].to_numpy(), clusters["firm_id"].to_numpy()
    both = np.char.add(np.char.add(ev.astype(str), "|"), fm.astype(str))
    v = np.zeros((k, k))
    for groups, sign in ((ev, 1), (fm, 1), (both, -1)):
        meat, g = _cluster_meat(Xa, u, groups)
        v += sign * (g / (g - 1)) * ((n - 1) / (n - k)) * bread @ meat @ bread
    col = list(X.columns).index("score")
    assert got["coef"] == pytest.approx(beta[col], rel=1e-9)
    assert got["se"] == pytest.approx(np.sqrt(v[col, col]), rel=1e-9)
    assert got["t"] == pytest.approx(beta[col] / np.sqrt(v[col, col]), rel=1e-9)
    import statsmodels.api as sm

    codes = np.column_stack([pd.factorize(ev)[0], pd.factorize(fm)[0]])
    ref = sm.OLS(ya, Xa).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    assert got["p_value"] == pytest.approx(ref.pvalues[col], rel=1e-9)  # same df: min(G) - 1
    # the firm with an unknown score (f3) and the one with an unknown sanction status (f7) are dropped
    assert (got["n_pairs"], got["n_events"], got["n_firms"]) == (36, 6, 6)
    assert "sanction_coef" in got


def test_two_way_regression_rejects_what_it_cannot_estimate() -> None:
    pairs = _pairs()
    with pytest.raises(CrackdownError, match="does not vary"):
        pl.two_way_regression(pairs.assign(score=0.5), "score")
    with pytest.raises(CrackdownError, match="missing column"):
        pl.two_way_regression(pairs.drop(columns="market"), "score")
    with pytest.raises(CrackdownError, match="no pair"):
        pl.two_way_regression(pairs.assign(score=np.nan), "score")


def test_pair_frame_joins_firm_covariates_and_listing_market() -> None:
    cars = pd.DataFrame({"event_id": ["e1", "e1", "e2"], "symbol": ["A", "ETF", "B"], "car": [0.1, 0.2, np.nan]})
    members = pd.DataFrame({"symbol": ["A", "B", "ETF"], "firm_id": ["fa", "fb", None],
                            "exchange": ["XNYS", "XHKG", "XNYS"]})
    cov = pd.DataFrame({"score": [0.3, 0.6]}, index=pd.Index(["fa", "fb"], name="firm_id"))
    out = pl.pair_frame(cars, members, cov)
    assert out[["event_id", "firm_id", "market", "score"]].to_dict("records") == [
        {"event_id": "e1", "firm_id": "fa", "market": "US", "score": 0.3}]


def test_psd_truncate_sets_negative_eigenvalues_to_zero() -> None:
    v = np.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3 and -1, eigenvectors (1, 1) and (1, -1) / sqrt(2)
    assert pl.psd_truncate(v) == pytest.approx(np.full((2, 2), 1.5))
    ok = np.array([[2.0, 0.5], [0.5, 1.0]])
    assert pl.psd_truncate(ok) == pytest.approx(ok)


def test_narrative_reads_the_records() -> None:
    pairs = _pairs()
    sanctions = pl.sanctions_record(pl.sanctions_table(pairs), 6)
    regression = pl.regression_record(pairs.assign(**{k: pairs["score"] for k in ("golden_share",)}),
                                      components=("golden_share",))
    regression["score_counting_sanctions"] = pl.two_way_regression(pairs, "score", sanction=False)
    record = words.as_written("04_market_reaction", {"sanctions": sanctions, "regression": regression})
    text = words.reaction.pairlevel(record, {})
    assert f"coefficient of {regression['coef']:.4f}" in text
    assert f"t = {regression['t']:.2f}" in text and f"{regression['n_pairs']} event CARs" in text
    assert "aligned not sanctioned: " in text and "6 pairs with an unknown sanction status" in text
    cells = text.split("**Aligned x US-sanctioned**")[1].split(". ")[0]
    assert cells.index("not aligned not sanctioned") < cells.index("; aligned not sanctioned")  # the 2x2's order
    assert f"{regression['score_counting_sanctions']['coef']:.4f}" in text


# --- the design built by hand, edges and record fields that mutation testing found unchecked (MUTATION.md) ----
def _cgm(X: np.ndarray, y: np.ndarray, ev: np.ndarray, fm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and the Cameron-Gelbach-Miller two-way variance V_event + V_firm - V_both, each with
    G/(G-1) (N-1)/(N-K), written out here."""
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    u = y - X @ beta
    bread = np.linalg.pinv(X.T @ X)
    n, k = X.shape
    both = np.char.add(np.char.add(ev.astype(str), "|"), fm.astype(str))
    v = np.zeros((k, k))
    for groups, sign in ((ev, 1), (fm, 1), (both, -1)):
        meat, g = _cluster_meat(X, u, groups)
        v += sign * (g / (g - 1)) * ((n - 1) / (n - k)) * bread @ meat @ bread
    return beta, v


def _psd_by_hand(v: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((v + v.T) / 2)
    return (vectors * np.clip(values, 0, None)) @ vectors.T


def test_design_and_regression_against_a_design_built_by_hand() -> None:
    pairs = _pairs()
    d = pairs[pairs["score"].notna() & pairs["us_sanctioned"].notna()]  # f3 (score) and f7 (sanction) unknown
    events = [f"e{j}" for j in range(6)]
    # remaining firms' markets HK, US, mainland (HK dropped as first level) and sectors a, b (a dropped)
    X = np.column_stack([d["score"], d["us_sanctioned"], *[(d["event_id"] == e) for e in events],
                         d["market"] == "US", d["market"] == "mainland", d["sector_group"] == "b"]).astype(float)
    names = ["score", "us_sanctioned", *[f"event_{e}" for e in events], "market_US", "market_mainland",
             "sector_group_b"]
    got_x, got_y, clusters = pl.design(pairs, "score")
    assert list(got_x.columns) == names and got_x.to_numpy() == pytest.approx(X)
    assert got_y.to_numpy() == pytest.approx(d["car"].to_numpy())
    assert list(clusters.columns) == ["event_id", "firm_id"]
    beta, v = _cgm(X, d["car"].to_numpy(), d["event_id"].to_numpy(), d["firm_id"].to_numpy())
    got = pl.two_way_regression(pairs, "score")
    assert got["coef"] == pytest.approx(beta[0], rel=1e-9) and got["se"] == pytest.approx(np.sqrt(v[0, 0]), rel=1e-9)
    assert got["sanction_coef"] == pytest.approx(beta[1], rel=1e-9)
    assert v[1, 1] < 0  # the sanction coefficient's two-way variance is negative here: its se comes from the
    se_s = np.sqrt(_psd_by_hand(v)[1, 1])  # matrix with negative eigenvalues set to 0
    assert got["sanction_se"] == pytest.approx(se_s, rel=1e-9)
    t_s = beta[1] / se_s
    assert got["sanction_p"] == pytest.approx(2 * stats.t.sf(abs(t_s), 5), rel=1e-9)  # df = min(6, 6) - 1
    assert {k: got[k] for k in ("regressor", "controls", "clustering", "df", "variance_fix")} == {
        "regressor": "score", "controls": ["market", "sector_group"], "clustering": "two-way by event and firm",
        "df": 5, "variance_fix": None}


def test_regression_without_the_sanction_control_keeps_pairs_of_unknown_sanction_status() -> None:
    pairs = _pairs()
    got = pl.two_way_regression(pairs, "score", sanction=False)
    d = pairs[pairs["score"].notna()]  # f7's unknown sanction status no longer drops its pairs
    assert (got["n_pairs"], got["n_events"], got["n_firms"]) == (42, 6, 7)
    assert "sanction_coef" not in got and got["df"] == 5
    X = np.column_stack([d["score"], *[(d["event_id"] == f"e{j}") for j in range(6)], d["market"] == "US",
                         d["market"] == "mainland", d["sector_group"] == "b"]).astype(float)
    beta, v = _cgm(X, d["car"].to_numpy(), d["event_id"].to_numpy(), d["firm_id"].to_numpy())
    assert got["coef"] == pytest.approx(beta[0], rel=1e-9) and got["se"] == pytest.approx(np.sqrt(v[0, 0]), rel=1e-9)


def test_regression_on_the_sanction_indicator_itself() -> None:
    got = pl.two_way_regression(_pairs(), "us_sanctioned")  # a 0/1 regressor: two values are enough
    assert got["regressor"] == "us_sanctioned" and "sanction_coef" not in got
    assert got["n_pairs"] == 42  # f3's unknown score does not matter here; f7's unknown status does


def test_regression_with_two_events_and_its_errors() -> None:
    pairs = _pairs()
    two = pairs[pairs["event_id"].isin(["e0", "e1"])]
    got = pl.two_way_regression(two, "score")
    assert (got["n_events"], got["df"]) == (2, 1)
    with pytest.raises(CrackdownError, match=r"^pairs: two-way clustering needs at least 2 events and 2 firms, "
                                             r"got 1 and 6$"):
        pl.two_way_regression(pairs[pairs["event_id"] == "e0"], "score")
    collinear = pairs.assign(us_market=(pairs["market"] == "US").astype(float))  # a market dummy in disguise
    with pytest.raises(CrackdownError, match=r"^pairs: 'us_market' is collinear with the fixed effects and "
                                             r"controls$"):
        pl.two_way_regression(collinear, "us_market")


def test_design_with_one_event_keeps_its_dummy_and_collinear_controls_do_not_stop_the_score() -> None:
    pairs = _pairs()
    X, _, _ = pl.design(pairs[pairs["event_id"] == "e0"], "score")
    assert "event_e0" in X.columns  # the only event's dummy is the constant: kept although it does not vary
    twins = pairs.assign(region=pairs["market"])  # two controls with the same levels: collinear with each other
    X2, _, _ = pl.design(twins, "score", controls=("market", "region"))
    assert {"market_US", "region_US"} <= set(X2.columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels says the design is rank-deficient: it is, in the controls
        got = pl.two_way_regression(twins, "score", controls=("market", "region"))
    ref = pl.two_way_regression(pairs, "score", controls=("market",))
    assert got["coef"] == pytest.approx(ref["coef"], rel=1e-9)  # the score is identified either way


def test_negative_two_way_variance_is_truncated_and_said() -> None:
    # 3 events x 4 firms and one noise draw (seed 15) for which V_event + V_firm - V_both is negative for the score
    rng = np.random.default_rng(15)
    d = pd.DataFrame([(e, f, s) for e in ("e0", "e1", "e2") for f, s in zip(("f0", "f1", "f2", "f3"),
                                                                              (0.1, 0.5, 0.3, 0.9), strict=True)],
                     columns=["event_id", "firm_id", "score"])
    d["car"] = rng.normal(0, 0.01, len(d))
    X = np.column_stack([d["score"], *[(d["event_id"] == e) for e in ("e0", "e1", "e2")]]).astype(float)
    _, v = _cgm(X, d["car"].to_numpy(), d["event_id"].to_numpy(), d["firm_id"].to_numpy())
    assert v[0, 0] < 0
    got = pl.two_way_regression(d, "score", controls=(), sanction=False)
    assert got["se"] == pytest.approx(np.sqrt(_psd_by_hand(v)[0, 0]), rel=1e-9)
    assert got["variance_fix"] == "negative eigenvalues set to 0 (Cameron, Gelbach and Miller 2011)"


def test_pair_frame_errors_columns_and_missing_values() -> None:
    cars = pd.DataFrame({"event_id": ["e1", "e1"], "symbol": ["A", "B"], "car": [0.1, 0.2]})
    members = pd.DataFrame({"symbol": ["A", "B"], "firm_id": ["fa", "fb"], "exchange": ["XNYS", "XHKG"],
                            "name": ["A Inc", None]})  # a missing name is no reason to drop B
    cov = pd.DataFrame({"score": [0.3, 0.6]}, index=pd.Index(["fa", "fb"], name="firm_id"))
    out = pl.pair_frame(cars, members, cov)
    assert list(out.columns) == ["event_id", "symbol", "car", "firm_id", "exchange", "market", "score"]
    assert out["firm_id"].tolist() == ["fa", "fb"] and out["market"].tolist() == ["US", "HK"]
    with pytest.raises(CrackdownError, match=r"^cars: missing column\(s\) \['car'\]$"):
        pl.pair_frame(cars.drop(columns="car"), members, cov)
    with pytest.raises(CrackdownError, match=r"^members: missing column\(s\) \['exchange'\]$"):
        pl.pair_frame(cars, members.drop(columns="exchange"), cov)


def test_sanctions_table_lists_all_four_cells_even_when_empty() -> None:
    pairs = pd.DataFrame({"event_id": ["e1", "e1", "e2"], "firm_id": ["a", "b", "a"], "car": [0.1, -0.2, 0.3],
                          "aligned": [True, False, True], "us_sanctioned": [1.0, 0.0, 1.0]})
    table = pl.sanctions_table(pairs)
    assert table.index.names == ["aligned", "us_sanctioned"]
    assert list(table.columns) == ["mean_car", "n_pairs", "n_firms", "firms"]
    assert table.loc[(True, True), "mean_car"] == pytest.approx(0.2)
    assert table.loc[(True, True), ["n_pairs", "n_firms"]].tolist() == [2, 1]
    for cell in ((False, True), (True, False)):  # nobody there: zero counts, an empty list, no mean
        assert table.loc[cell, ["n_pairs", "n_firms"]].tolist() == [0, 0] and table.loc[cell, "firms"] == []
        assert np.isnan(table.loc[cell, "mean_car"])
    assert table["n_pairs"].dtype.kind == "i" and table["n_firms"].dtype.kind == "i"

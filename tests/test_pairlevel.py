"""Alignment as a measure (crackdown.pairlevel): the 2x2 by hand, the two-way clustered regression against a hand
computation of the Cameron-Gelbach-Miller variance on a small fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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

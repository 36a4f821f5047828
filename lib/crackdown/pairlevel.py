"""Alignment as a measure: every firm's event CARs with its alignment score, US sanctions kept apart.

Used by notebook 04 next to the group study of :mod:`crackdown.reaction`:

- :func:`firm_covariates`: per firm the continuous alignment score (default weights, which leave US sanctions
  out), each index indicator, the index's ``aligned`` flag, ``us_sanctioned`` (a variable of its own), sector
  group; indicators that are not found stay NaN (unknown, never false).
- :func:`pair_frame`: one row per (event, firm) CAR with the firm's covariates and listing market.
- :func:`sanctions_table`: the 2x2 aligned x US-sanctioned, mean CAR and n per cell.
- :func:`two_way_regression`: OLS of CARs on a regressor, the sanction indicator, event fixed effects and
  listing-market and sector controls, standard errors clustered by event and by firm (Cameron, Gelbach and Miller
  2011: V = V_event + V_firm - V_event-and-firm), via statsmodels' two-column ``groups``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS  # not statsmodels.api (0.3 s to import it all)

from crackdown import alignment
from crackdown.errors import CrackdownError

#: listing market of each exchange (the same-market benchmark rule's strata)
LISTING_MARKET: dict[str, str] = {"XNYS": "US", "XNAS": "US", "XHKG": "HK", "XSHG": "mainland", "XSHE": "mainland"}
SCORE = "score"
SANCTIONED = alignment.SANCTIONS
#: Missing rule of the continuous score in the regression: each firm's weighted mean over its observed
#: indicators (``missing="drop"``), so a not-found fact is unknown, never 0; firms with none are left out.
REGRESSION_MISSING = "drop"


def firm_covariates(as_of: str = alignment.DEFAULT_AS_OF, threshold: float = 0.5, *,
                    weights: Mapping[str, float] | None = None, alignment_table: pd.DataFrame | None = None,
                    firms: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per firm: ``score`` (weights ``weights``, default :data:`crackdown.alignment.DEFAULT_WEIGHTS`, missing rule
    :data:`REGRESSION_MISSING`; NaN for a firm without an observed indicator), the index indicators (NaN where
    no fact is found), ``aligned`` (the index's default flag: score under ``missing="zero"`` >= ``threshold``)
    and ``sector_group``."""
    if firms is None:
        from crackdown.data import load_firms

        firms = load_firms()
    matrix = alignment.indicator_matrix(as_of, alignment=alignment_table, firms=firms)
    measured = alignment.alignment_scores(weights, REGRESSION_MISSING, threshold, as_of, alignment=alignment_table,
                                          firms=firms)["score"]
    flagged = alignment.alignment_scores(weights, "zero", threshold, as_of, alignment=alignment_table,
                                         firms=firms)["aligned"]
    out = matrix.assign(score=measured.reindex(matrix.index), aligned=flagged.reindex(matrix.index).fillna(False))
    out["sector_group"] = firms.set_index("firm_id")["sector_group"].reindex(out.index)
    return out.rename_axis("firm_id")


def pair_frame(cars: pd.DataFrame, members: pd.DataFrame, covariates: pd.DataFrame) -> pd.DataFrame:
    """One row per (event, firm) CAR: ``cars`` (event_id, symbol, car; e.g. a reaction's eligible pairs),
    ``members`` (symbol, firm_id, exchange) and the firm's ``covariates`` (:func:`firm_covariates`); adds
    ``market`` (US, HK, mainland). Rows without a CAR or a firm are left out."""
    for name, frame, cols in (("cars", cars, ("event_id", "symbol", "car")),
                              ("members", members, ("symbol", "firm_id", "exchange"))):
        missing = [c for c in cols if c not in frame]
        if missing:
            raise CrackdownError(f"{name}: missing column(s) {missing}")
    m = members.dropna(subset=["firm_id"]).set_index("symbol")[["firm_id", "exchange"]]
    out = cars[["event_id", "symbol", "car"]].dropna(subset=["car"]).join(m, on="symbol", how="inner")
    out["market"] = out["exchange"].map(LISTING_MARKET)
    return out.join(covariates, on="firm_id").reset_index(drop=True)


def sanctions_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """2x2 of ``aligned`` x ``us_sanctioned`` (pairs whose sanction status is unknown are left out): mean CAR,
    pairs, firms and the firms' ids per cell. Index (aligned, us_sanctioned) as booleans, all four cells."""
    known = pairs.dropna(subset=[SANCTIONED]).assign(sanctioned=lambda d: d[SANCTIONED] > 0)
    g = known.groupby([known["aligned"].astype(bool), "sanctioned"])
    table = pd.DataFrame({"mean_car": g["car"].mean(), "n_pairs": g["car"].size(),
                          "n_firms": g["firm_id"].nunique(), "firms": g["firm_id"].agg(lambda s: sorted(set(s)))})
    cells = pd.MultiIndex.from_product([[False, True], [False, True]], names=["aligned", "us_sanctioned"])
    table = table.reindex(cells)
    table[["n_pairs", "n_firms"]] = table[["n_pairs", "n_firms"]].fillna(0).astype(int)
    table["firms"] = table["firms"].map(lambda v: v if isinstance(v, list) else [])
    return table


SANCTION_CELLS = ("not_aligned_not_sanctioned", "not_aligned_sanctioned", "aligned_not_sanctioned",
                  "aligned_sanctioned")  # 04's aligned x US-sanctioned cells, in the order its words read them


def sanctions_record(table: pd.DataFrame, n_unknown: int) -> dict[str, Any]:
    """04's ``sanctions``: per cell (``aligned|sanctioned`` labels) mean_car, n_pairs, n_firms, firms."""
    label = dict(zip([(False, False), (False, True), (True, False), (True, True)], SANCTION_CELLS, strict=True))
    cells = {label[k]: {"mean_car": (None if pd.isna(r["mean_car"]) else float(r["mean_car"])),
                        "n_pairs": int(r["n_pairs"]), "n_firms": int(r["n_firms"]), "firms": list(r["firms"])}
             for k, r in table.iterrows()}
    return {"cells": cells, "n_pairs_sanction_unknown": int(n_unknown),
            "aligned_rule": "the index's default flag (score >= threshold, default weights without US sanctions)"}


def design(pairs: pd.DataFrame, regressor: str, controls: Sequence[str] = ("market", "sector_group"),
           sanction: bool = True) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """(X, y, clusters) for :func:`two_way_regression`: rows with a CAR, ``regressor`` and (when ``sanction``) the
    sanction indicator known; X = regressor, us_sanctioned, event dummies (all events, no constant) and dummies of
    ``controls`` (first level dropped); clusters = event_id, firm_id."""
    needed = ["car", regressor, *([SANCTIONED] if sanction and regressor != SANCTIONED else []), "event_id",
              "firm_id", *controls]
    missing = [c for c in needed if c not in pairs]
    if missing:
        raise CrackdownError(f"pairs: missing column(s) {missing}")
    d = pairs.dropna(subset=needed).reset_index(drop=True)
    if d.empty:
        raise CrackdownError(f"pairs: no pair with a CAR and a known {regressor!r}")
    if d[regressor].nunique() < 2:
        raise CrackdownError(f"pairs: {regressor!r} does not vary across the pairs")
    x = d[[regressor]].astype(float)
    if sanction and regressor != SANCTIONED:
        x[SANCTIONED] = d[SANCTIONED].astype(float)
    fixed = pd.get_dummies(d["event_id"].astype(str), prefix="event", dtype=float)
    ctrl = pd.get_dummies(d[list(controls)].astype(str), drop_first=True, dtype=float) if controls else None
    parts = [x, fixed] + ([ctrl] if ctrl is not None else [])
    X = pd.concat(parts, axis=1)
    keep = X.std(ddof=0).gt(0) | X.columns.str.startswith("event_")
    keep[regressor] = True
    X = X.loc[:, keep]  # drop controls (and the sanction indicator) that do not vary in these pairs
    rank = np.linalg.matrix_rank(X.to_numpy())
    if rank < X.shape[1] and np.linalg.matrix_rank(X.drop(columns=regressor).to_numpy()) == rank:
        raise CrackdownError(f"pairs: {regressor!r} is collinear with the fixed effects and controls")
    return X, d["car"].astype(float), d[["event_id", "firm_id"]]


def two_way_regression(pairs: pd.DataFrame, regressor: str = SCORE,
                       controls: Sequence[str] = ("market", "sector_group"), sanction: bool = True) -> dict[str, Any]:
    """OLS of pair CARs on ``regressor`` with the sanction indicator, event fixed effects and ``controls``;
    standard errors clustered two-way by event and firm (statsmodels ``cov_type="cluster"`` with a two-column
    groups array: Cameron-Gelbach-Miller V_event + V_firm - V_intersection, each with the small-sample factor
    G/(G-1) (N-1)/(N-K)); t with min(G) - 1 df. Where that variance is not positive for a reported coefficient,
    its se comes from the matrix with negative eigenvalues set to 0 (:func:`psd_truncate`; ``variance_fix``). Returns coef, se, t, p_value, n_pairs, n_events, n_firms,
    the sanction coefficient (``sanction_coef``, ``sanction_se``, ``sanction_p``) and the regressor."""
    X, y, clusters = design(pairs, regressor, controls, sanction)
    codes = np.column_stack([pd.factorize(clusters["event_id"])[0], pd.factorize(clusters["firm_id"])[0]])
    n_events, n_firms = int(codes[:, 0].max() + 1), int(codes[:, 1].max() + 1)
    if min(n_events, n_firms) < 2:
        raise CrackdownError(f"pairs: two-way clustering needs at least 2 events and 2 firms, got {n_events} and "
                             f"{n_firms}")
    res = OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    raw = np.diag(res.cov_params().to_numpy())
    fixed = raw <= 0  # the two-way variance is not positive for these coefficients: use the truncated matrix's
    variance = np.where(fixed, np.diag(psd_truncate(res.cov_params().to_numpy())) if fixed.any() else raw, raw)
    se = pd.Series(np.sqrt(np.clip(variance, 0, None)), index=X.columns)
    fixed = pd.Series(fixed, index=X.columns)
    df = min(n_events, n_firms) - 1  # statsmodels' inference df for two-way clustering

    def test(name: str) -> tuple[float, float, float]:
        b, s = float(res.params[name]), float(se[name])
        t = b / s if s > 0 else np.nan
        return s, t, float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) else np.nan

    s_r, t_r, p_r = test(regressor)
    out = {"regressor": regressor, "coef": float(res.params[regressor]), "se": s_r, "t": t_r, "p_value": p_r,
           "n_pairs": int(len(y)), "n_events": n_events, "n_firms": n_firms, "controls": list(controls),
           "clustering": "two-way by event and firm", "df": df,
           "variance_fix": ("negative eigenvalues set to 0 (Cameron, Gelbach and Miller 2011)" if fixed[regressor]
                            else None)}
    if sanction and regressor != SANCTIONED and SANCTIONED in X:
        s_s, _, p_s = test(SANCTIONED)
        out.update(sanction_coef=float(res.params[SANCTIONED]), sanction_se=s_s, sanction_p=p_s)
    return out


def psd_truncate(cov: np.ndarray) -> np.ndarray:
    """A symmetric variance matrix with its negative eigenvalues set to 0 (the fix Cameron, Gelbach and Miller
    2011 propose when the two-way cluster variance is not positive semi-definite)."""
    values, vectors = np.linalg.eigh((cov + cov.T) / 2)
    return (vectors * np.clip(values, 0, None)) @ vectors.T


def regression_record(pairs: pd.DataFrame, components: Sequence[str] = alignment.INDICATORS) -> dict[str, Any]:
    """04's ``regression``: the continuous score's regression (:func:`two_way_regression`) at the top level, and
    ``components``: each index indicator in turn in place of the score (us_sanctioned alone, without itself as a
    control; ``not_estimated`` says why where a component does not vary or is collinear with the controls).
    A two-way variance can be negative on its diagonal (the CGM formula is not positive semi-definite): its se,
    t and p are then NaN (None in the record)."""
    record = two_way_regression(pairs, SCORE)
    parts: dict[str, Any] = {}
    for name in components:  # five regressions
        try:
            parts[name] = two_way_regression(pairs, name)
        except CrackdownError as exc:
            parts[name] = {"regressor": name, "not_estimated": str(exc)}
    return {**record, "missing_rule": f"score: missing={REGRESSION_MISSING!r} (a not-found indicator is unknown and "
            "left out of the firm's mean; firms with no observed indicator and pairs with an unknown sanction "
            "status are dropped)", "components": parts}

"""Inference for the specification curve as a whole: which specifications enter it, its summary and placebo
permutation tests, the choices that move it, the sorted curve and the verdict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from crackdown import params
from crackdown.placebo import monte_carlo_p
from crackdown.regime import mc_standard_error
from crackdown.robustness.grid import AXES, MIN_EVENTS, MIN_FIRMS
from crackdown.vocab import THESIS_SIGN


def usable(specs: pd.DataFrame, min_events: int = MIN_EVENTS, min_firms: int = MIN_FIRMS) -> pd.Series:
    """Specifications that enter the curve: an estimate from at least ``min_events`` events and at least
    ``min_firms`` firms in each group (a one-firm group or a handful of events says more about that firm or
    those days than about the groups)."""
    for name, value in (("min_events", min_events), ("min_firms", min_firms)):
        params.integer(name, value, 1)
    return (specs["estimate"].notna() & (specs["n_events"] >= min_events) & (specs["n_long"] >= min_firms)
            & (specs["n_short"] >= min_firms))


def curve_summary(specs: pd.DataFrame, alpha: float = 0.05, min_events: int = MIN_EVENTS,
                  min_firms: int = MIN_FIRMS) -> dict[str, Any]:
    """Inference for the whole curve over the :func:`usable` specifications (``n_unusable`` counts the rest).

    share_thesis_sign (estimate < 0), share_significant (p < alpha), share_significant_thesis (both),
    median_estimate, and permutation tests from the placebo curves: ``permutation_p`` = share of placebo draws
    whose median estimate is at least as negative as the real one ((1 + count) / (1 + draws)), and
    ``permutation_p_sign`` for the share of thesis-signed estimates, each with its Monte-Carlo standard error
    (``*_mc_se`` = sqrt(p (1 - p) / draws)).
    """
    ok = specs[usable(specs, min_events, min_firms)]
    est = ok["estimate"].to_numpy()
    out: dict[str, Any] = {
        "n_specs": int(len(ok)), "n_unusable": int(len(specs) - len(ok)),
        "share_thesis_sign": float(np.mean(np.sign(est) == THESIS_SIGN)) if len(ok) else np.nan,
        "share_significant": float(np.mean(ok["p"] < alpha)) if len(ok) else np.nan,
        "share_significant_thesis": float(np.mean((ok["p"] < alpha) & (np.sign(est) == THESIS_SIGN)))
        if len(ok) else np.nan,
        "median_estimate": float(np.median(est)) if len(ok) else np.nan,
    }
    null_median, null_share = placebo_curves(ok)
    k = int(np.isfinite(null_median).sum())
    out["n_placebo"] = k
    if k:
        nm, ns = null_median[np.isfinite(null_median)], null_share[np.isfinite(null_share)]
        out["permutation_p"] = monte_carlo_p((nm <= out["median_estimate"]).sum(), k)
        out["permutation_p_sign"] = monte_carlo_p((ns >= out["share_thesis_sign"]).sum(), len(ns))
        out["permutation_p_mc_se"] = mc_standard_error(out["permutation_p"], k)
        out["permutation_p_sign_mc_se"] = mc_standard_error(out["permutation_p_sign"], len(ns))
    else:
        out["permutation_p"] = out["permutation_p_sign"] = np.nan
        out["permutation_p_mc_se"] = out["permutation_p_sign_mc_se"] = np.nan
    out["placebo_medians"] = null_median
    return out


def placebo_curves(specs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per placebo draw: the median estimate over specifications and the share with the thesis' sign."""
    arrays = [np.asarray(p, dtype=float) for p in specs["placebo"]]
    if not arrays or min(len(a) for a in arrays) == 0:
        return np.array([]), np.array([])
    m = np.vstack(arrays)  # specs x draws
    ok = ~np.isnan(m)
    has = ok.any(axis=0)
    med = np.full(m.shape[1], np.nan)
    med[has] = np.nanmedian(m[:, has], axis=0)
    share = np.where(has, (np.sign(np.where(ok, m, 0)) == THESIS_SIGN).sum(axis=0) / np.maximum(ok.sum(axis=0), 1),
                     np.nan)
    return med, share


def choice_effects(specs: pd.DataFrame) -> pd.DataFrame:
    """Median estimate and count per (axis, choice), and each axis' spread (max - min of its choices' medians),
    sorted so the axis that moves the estimate most comes first."""
    ok = specs[specs["estimate"].notna()]
    rows = []
    for axis in [a for a in (*AXES[:5], "grouping", "leave_out") if a in ok]:
        g = ok.groupby(ok[axis].astype(str))["estimate"]
        for choice, med in g.median().items():
            rows.append({"axis": axis, "choice": choice, "median_estimate": med, "n_specs": int(g.size()[choice])})
    table = pd.DataFrame(rows)
    if table.empty:
        return table.assign(spread=[])
    table["spread"] = table.groupby("axis")["median_estimate"].transform(lambda s: s.max() - s.min())
    return table.sort_values(["spread", "axis", "median_estimate"], ascending=[False, True, True]).reset_index(drop=True)


def curve_table(specs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Specifications with an estimate, sorted by estimate, with ``rank`` (0..n-1) and a normal ``level``
    interval (``lower``, ``upper`` = estimate -/+ z * se)."""
    z = stats.norm.ppf(0.5 + level / 2)
    ok = specs[specs["estimate"].notna()].sort_values(["estimate", "spec_hash"] if "spec_hash" in specs
                                                      else ["estimate"])
    return ok.assign(rank=np.arange(len(ok)), lower=ok["estimate"] - z * ok["se"],
                     upper=ok["estimate"] + z * ok["se"]).reset_index(drop=True)


def choice_matrix(curve: pd.DataFrame) -> pd.DataFrame:
    """Long table (rank, axis, choice) of each sorted specification's choices for the panel under the curve;
    leave_out is shown as "none" / "one firm out", and an axis with a single choice is left out."""
    rows = []
    for axis in ("window", "estimation", "model", "benchmark", "event_set", "grouping", "leave_out"):
        values = curve[axis].astype(str)
        if axis == "leave_out":
            values = values.where(values == "none", "one firm out")
        if values.nunique() > 1:
            rows.append(pd.DataFrame({"rank": curve["rank"], "axis": axis, "choice": values}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["rank", "axis", "choice"])


def verdict(summary: Mapping[str, Any], alpha: float = 0.05, robust_share: float = 0.9) -> str:
    """"survives" (thesis sign in >= ``robust_share`` of specs and permutation p < alpha), "does not survive"
    (the median has the wrong sign or permutation p >= alpha with under half the specs thesis-signed), else
    "partly survives"."""
    share, p, median = summary["share_thesis_sign"], summary["permutation_p"], summary["median_estimate"]
    if not np.isfinite(median):
        return "cannot be assessed"
    if share >= robust_share and np.isfinite(p) and p < alpha:
        return "survives"
    if np.sign(median) != THESIS_SIGN or (share < 0.5 and not (np.isfinite(p) and p < alpha)):
        return "does not survive"
    return "partly survives"


def axis_spread(effects: pd.DataFrame) -> pd.DataFrame:
    """One row per axis of :func:`choice_effects` (axis, spread), the axis that moves the estimate most first."""
    return effects.drop_duplicates("axis")[["axis", "spread"]].reset_index(drop=True)


def most_influential_firm(effects: pd.DataFrame, median: float) -> pd.DataFrame:
    """The leave-out choice (one firm left out) whose median estimate is farthest from ``median``; empty when
    no firm was left out."""
    rows = effects[(effects["axis"] == "leave_out") & (effects["choice"] != "none")]
    return rows.assign(gap=(rows["median_estimate"] - median).abs()).sort_values("gap", ascending=False).head(1)

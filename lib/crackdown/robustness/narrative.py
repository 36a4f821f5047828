"""Notebook 08's results record and the facts its words read (:mod:`crackdown.words.robustness`), computed from
the curve's inference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crackdown.results import Headline
from crackdown.robustness.inference import axis_spread, most_influential_firm, placebo_curves
from crackdown.vocab import THESIS_SIGN

if TYPE_CHECKING:
    from crackdown.robustness.driver import SweepResult


def sweep_table(specs: pd.DataFrame, in_curve: pd.Series) -> pd.DataFrame:
    """Per (event set, grouping): specifications, how many enter the curve, event and firm counts, median
    estimate."""
    return specs.assign(in_curve=in_curve).groupby(["event_set", "grouping"]).agg(
        specifications=("estimate", "size"), in_curve=("in_curve", "sum"), min_events=("n_events", "min"),
        max_events=("n_events", "max"), targeted_firms=("n_long", "max"), min_aligned_firms=("n_short", "min"),
        max_aligned_firms=("n_short", "max"), median_estimate=("estimate", "median"))


def sweep_facts(result: SweepResult, summary: Mapping[str, Any], usable_specs: pd.DataFrame) -> dict[str, Any]:
    """What 08 says of the sweep and its placebo curves: specifications run (computed now / cached), the curve's
    summary (:data:`SUMMARY_KEYS`), how many placebo curves have a median at least as negative as the real one,
    and the placebo curves' mean share of thesis-signed estimates over the ``usable_specs``."""
    null = summary["placebo_medians"]
    null = null[np.isfinite(null)]
    shares = placebo_curves(usable_specs)[1]
    return {
        "n_specs_run": int(len(result.specs)), "n_computed": int(result.n_computed), "n_cached": int(result.n_cached),
        **{k: summary[k] for k in SUMMARY_KEYS},
        "n_placebo_curves": int(len(null)),
        "placebo_at_least_as_negative": int((null <= summary["median_estimate"]).sum()),
        "placebo_share_thesis_sign_mean": float(np.nanmean(shares)) if np.isfinite(shares).any() else None,
    }


def clustered_facts(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Per window of the baseline specification's long-short (:func:`window_inference` rows): the most
    conservative defensible test (:func:`crackdown.inference.most_conservative`) and the pairs test's p."""
    from crackdown.inference import Inference, most_conservative

    out = []
    for window, part in rows[rows["target"] == "long_short"].groupby("window", sort=False):
        res = {r.test: Inference(r.estimate, r.se, r.t, r.p_value, int(r.n)) for r in part.itertuples()
               if r.test != "pairs" and np.isfinite(r.p_value)}
        if not res:
            continue
        h = most_conservative(res)
        pairs = part[part["test"] == "pairs"]
        out.append({"window": window, "test": h.name, "t": h.result.t, "p_value": h.result.p_value, "n": h.result.n,
                    "pairs_p": float(pairs["p_value"].iloc[0]) if len(pairs) else None})
    return out


HEADLINE_STATISTIC = "median of the specification curve, placebo permutation p"
SUMMARY_KEYS = ("n_specs", "n_unusable", "share_thesis_sign", "share_significant", "share_significant_thesis",
                "median_estimate", "permutation_p", "permutation_p_sign", "permutation_p_mc_se",
                "permutation_p_sign_mc_se", "n_placebo")


def results_record(summary: Mapping[str, Any], verdict_text: str, effects: pd.DataFrame,
                   parameters: Mapping[str, Any], clustered: pd.DataFrame | None = None,
                   sweep: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Notebook 08's results (the ``write_results`` payload): the curve summary (:func:`curve_summary`, without
    the placebo medians; permutation p-values with their Monte-Carlo SE), verdict, each axis' spread and the one
    that moves the estimate most, the most influential left-out firm, the headline (median estimate with the
    permutation p-value), the baseline's clustered inference per window (``clustered``: :func:`window_inference`
    rows, and its most conservative test per window), the sweep's facts (``sweep``: :func:`sweep_facts`) and the
    parameters (its words and answer: :mod:`crackdown.words.robustness`)."""
    spread = axis_spread(effects)
    firm = most_influential_firm(effects, summary["median_estimate"])
    return {
        **(sweep or {}),
        "clustered_inference": None if clustered is None else clustered.to_dict(orient="records"),
        "clustered_headline": None if clustered is None else clustered_facts(clustered),
        **{k: summary[k] for k in SUMMARY_KEYS},
        "verdict": verdict_text,
        "axis_spread": dict(zip(spread["axis"], spread["spread"], strict=True)),
        "top_axis": None if not len(spread) else {"axis": spread["axis"].iloc[0],
                                                   "spread": float(spread["spread"].iloc[0])},
        "most_influential_firm": None if not len(firm) else {
            "firm_id": firm["choice"].iloc[0], "median_estimate": float(firm["median_estimate"].iloc[0])},
        "headline": Headline(label="Median long-short CAR across specifications (targeted minus aligned)",
                             statistic=HEADLINE_STATISTIC, estimate=summary["median_estimate"],
                             p_value=summary["permutation_p"], n=summary["n_specs"],
                             thesis_sign=THESIS_SIGN).as_record(),
        "parameters": dict(parameters),
    }

"""Notebook 08's words and results record, computed from the curve's inference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crackdown.regime import mc_standard_error
from crackdown.results import Headline
from crackdown.robustness.inference import axis_spread, most_influential_firm, placebo_curves
from crackdown.vocab import THESIS_SIGN

if TYPE_CHECKING:
    from crackdown.robustness.driver import SweepResult


def sweep_note(result: SweepResult, summary: Mapping[str, Any], min_events: int, min_firms: int) -> str:
    """Markdown: specifications run (computed now / cached) and how many are left out of the curve."""
    return (f"**{len(result.specs):,} specifications** ({result.n_computed:,} computed now, {result.n_cached:,} read "
            f"from the cache). {summary['n_unusable']:,} are left out of the curve because they rest on fewer than "
            f"{min_events} events or fewer than {min_firms} firms in a group (below: the smallest and largest counts "
            "per event set and grouping, and how many specifications of each enter the curve).")


def sweep_table(specs: pd.DataFrame, in_curve: pd.Series) -> pd.DataFrame:
    """Per (event set, grouping): specifications, how many enter the curve, event and firm counts, median
    estimate."""
    return specs.assign(in_curve=in_curve).groupby(["event_set", "grouping"]).agg(
        specifications=("estimate", "size"), in_curve=("in_curve", "sum"), min_events=("n_events", "min"),
        max_events=("n_events", "max"), targeted_firms=("n_long", "max"), min_aligned_firms=("n_short", "min"),
        max_aligned_firms=("n_short", "max"), median_estimate=("estimate", "median"))


def placebo_note(summary: Mapping[str, Any], specs: pd.DataFrame) -> str:
    """Markdown comparing the real curve with the placebo curves of the usable ``specs``: how many placebo
    medians are at least as negative, the permutation p-values with their Monte-Carlo standard errors
    (sqrt(p (1 - p) / draws)) and the placebo share of negative estimates."""
    null = summary["placebo_medians"]
    null = null[np.isfinite(null)]
    median = summary["median_estimate"]
    if not len(null):
        return (f"The real curve's median is {median:+.2%}; "
                "no placebo draws were run (n_placebo is 0), so there is no permutation test.")
    k = int((null <= median).sum())
    return (f"The real curve's median is {median:+.2%}; {k} of {len(null)} placebo curves "
            f"{'has' if k == 1 else 'have'} a median at least as negative, so the one-sided permutation p-value is "
            f"**{summary['permutation_p']:.3f}** (Monte-Carlo SE {mc_standard_error(summary['permutation_p'], len(null)):.3f}). "
            f"{summary['share_thesis_sign']:.0%} of the real specifications are "
            f"negative, against a placebo average of {np.nanmean(placebo_curves(specs)[1]):.0%} "
            f"(permutation p {summary['permutation_p_sign']:.3f}, Monte-Carlo SE "
            f"{mc_standard_error(summary['permutation_p_sign'], len(null)):.3f}).")


def answer(summary: Mapping[str, Any], verdict_text: str) -> str:
    """One-line answer for the index page: the verdict, the share of specifications with the thesis' sign (and
    significant), the median estimate (its sign read from the curve) and the permutation p-value."""
    median = summary["median_estimate"]
    sign = "negative" if median < 0 else "positive" if median > 0 else "zero"
    return (f"The {sign} median long-short reaction {verdict_text}: {summary['share_thesis_sign']:.0%} of "
            f"{summary['n_specs']:,} specifications have the thesis' sign (median {median:+.2%}), "
            f"{summary['share_significant_thesis']:.0%} with the thesis' sign and significant; permutation p = "
            f"{summary['permutation_p']:.3f}.")


def narrative(summary: Mapping[str, Any], verdict_text: str, effects: pd.DataFrame) -> str:
    """Notebook 08's "What this shows" markdown: the answer in bold, the axis that moves the estimate most, the
    most influential left-out firm, and why the curve is tested as a whole."""
    spread = axis_spread(effects)
    firm = most_influential_firm(effects, summary["median_estimate"])
    text = f"**{answer(summary, verdict_text)}** "
    if len(spread):
        top = spread.iloc[0]
        text += (f"The choice that moves the estimate most is the {top['axis'].replace('_', ' ')} (medians differ "
                 f"by {top['spread']:.2%} across its choices). ")
    if len(firm):
        text += (f"Leaving out {firm['choice'].iloc[0]} moves the median most among single firms, to "
                 f"{firm['median_estimate'].iloc[0]:+.2%}. ")
    return text + ("The test is of the curve as a whole: specifications share events and firms, so they are far "
                   "from independent, which is why the permutation test recomputes every specification on the "
                   "same placebo dates instead of counting significant specifications.")


HEADLINE_STATISTIC = "median of the specification curve, placebo permutation p"
SUMMARY_KEYS = ("n_specs", "n_unusable", "share_thesis_sign", "share_significant", "share_significant_thesis",
                "median_estimate", "permutation_p", "permutation_p_sign", "permutation_p_mc_se",
                "permutation_p_sign_mc_se", "n_placebo")


def clustered_note(rows: pd.DataFrame) -> str:
    """Markdown on the baseline specification's long-short per window: the most conservative defensible test
    (:func:`crackdown.inference.most_conservative`) of each window, computed from :func:`window_inference` rows."""
    from crackdown.inference import Inference, most_conservative

    parts = []
    for window, part in rows[rows["target"] == "long_short"].groupby("window", sort=False):
        res = {r.test: Inference(r.estimate, r.se, r.t, r.p_value, int(r.n)) for r in part.itertuples()
               if r.test != "pairs" and np.isfinite(r.p_value)}
        if not res:
            continue
        h = most_conservative(res)
        pairs = part[part["test"] == "pairs"]
        pair_p = f"; pairs p {pairs['p_value'].iloc[0]:.3f}" if len(pairs) else ""
        parts.append(f"({window}) {h.name} t = {h.result.t:.2f}, p = {h.result.p_value:.3f}, n = {h.result.n}"
                     f"{pair_p}")
    if not parts:
        return "No window of the baseline specification had a long-short test."
    return ("Baseline specification (market model, local benchmarks, punitive events, sector grouping), the most "
            "conservative defensible long-short test per window: " + "; ".join(parts) + ".")


def results_record(summary: Mapping[str, Any], verdict_text: str, effects: pd.DataFrame,
                   parameters: Mapping[str, Any], clustered: pd.DataFrame | None = None) -> dict[str, Any]:
    """Notebook 08's results (the ``write_results`` payload): answer, the curve summary (:func:`curve_summary`,
    without the placebo medians; permutation p-values with their Monte-Carlo SE), verdict, each axis' spread,
    the headline (median estimate with the permutation p-value), the baseline's clustered inference per window
    (``clustered``: :func:`window_inference` rows) and the parameters."""
    spread = axis_spread(effects)
    return {
        "clustered_inference": None if clustered is None else clustered.to_dict(orient="records"),
        "answer": answer(summary, verdict_text),
        **{k: summary[k] for k in SUMMARY_KEYS},
        "verdict": verdict_text,
        "axis_spread": dict(zip(spread["axis"], spread["spread"], strict=True)),
        "headline": Headline(label="Median long-short CAR across specifications (targeted minus aligned)",
                             statistic=HEADLINE_STATISTIC, estimate=summary["median_estimate"],
                             p_value=summary["permutation_p"], n=summary["n_specs"],
                             thesis_sign=THESIS_SIGN).as_record(),
        "parameters": dict(parameters),
    }

"""Notebook 08's words and results record, computed from the curve's inference."""

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
    medians are at least as negative, the permutation p-values and the placebo share of negative estimates."""
    null = summary["placebo_medians"]
    null = null[np.isfinite(null)]
    median = summary["median_estimate"]
    if not len(null):
        return (f"The real curve's median is {median:+.2%}; "
                "no placebo draws were run (n_placebo is 0), so there is no permutation test.")
    k = int((null <= median).sum())
    return (f"The real curve's median is {median:+.2%}; {k} of {len(null)} placebo curves "
            f"{'has' if k == 1 else 'have'} a median at least as negative, so the one-sided permutation p-value is "
            f"**{summary['permutation_p']:.3f}**. {summary['share_thesis_sign']:.0%} of the real specifications are "
            f"negative, against a placebo average of {np.nanmean(placebo_curves(specs)[1]):.0%} "
            f"(permutation p {summary['permutation_p_sign']:.3f}).")


def answer(summary: Mapping[str, Any], verdict_text: str) -> str:
    """One-line answer for the index page: the verdict, the share of negative (and significant) specifications,
    the median estimate and the permutation p-value."""
    return (f"The negative long-short reaction {verdict_text}: {summary['share_thesis_sign']:.0%} of "
            f"{summary['n_specs']:,} specifications are negative (median {summary['median_estimate']:+.2%}), "
            f"{summary['share_significant_thesis']:.0%} negative and significant; permutation p = "
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
                "median_estimate", "permutation_p", "permutation_p_sign", "n_placebo")


def results_record(summary: Mapping[str, Any], verdict_text: str, effects: pd.DataFrame,
                   parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Notebook 08's results (the ``write_results`` payload): answer, the curve summary (:func:`curve_summary`,
    without the placebo medians), verdict, each axis' spread, the headline (median estimate with the
    permutation p-value) and the parameters."""
    spread = axis_spread(effects)
    return {
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

"""Notebook 08's words (the specification curve), from its record (:func:`crackdown.robustness.results_record`,
whose sweep facts :func:`crackdown.robustness.sweep_facts` also feed the notes shown before it is written)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crackdown.text import code_words
from crackdown.words import name


def sweep(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Markdown: specifications run (computed now / cached) and how many are left out of the curve."""
    p = record["parameters"]
    return (f"**{record['n_specs_run']:,} specifications** ({record['n_computed']:,} computed now, "
            f"{record['n_cached']:,} read from the cache). {record['n_unusable']:,} are left out of the curve because "
            f"they rest on fewer than {p['min_events']} events or fewer than {p['min_firms']} firms in a group (below: "
            "the smallest and largest counts per event set and grouping, and how many specifications of each enter "
            "the curve).")


def placebo(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Markdown comparing the real curve with the placebo curves: how many placebo medians are at least as
    negative, the permutation p-values with their Monte-Carlo standard errors and the placebo share of negative
    estimates."""
    median, n = record["median_estimate"], record["n_placebo_curves"]
    if not n:
        return (f"The real curve's median is {median:+.2%}; "
                "no placebo draws were run (n_placebo is 0), so there is no permutation test.")
    k = record["placebo_at_least_as_negative"]
    return (f"The real curve's median is {median:+.2%}; {k} of {n} placebo curves "
            f"{'has' if k == 1 else 'have'} a median at least as negative, so the one-sided permutation p-value is "
            f"**{record['permutation_p']:.3f}** (Monte-Carlo SE {record['permutation_p_mc_se']:.3f}). "
            f"{record['share_thesis_sign']:.0%} of the real specifications are "
            f"negative, against a placebo average of {record['placebo_share_thesis_sign_mean']:.0%} "
            f"(permutation p {record['permutation_p_sign']:.3f}, Monte-Carlo SE "
            f"{record['permutation_p_sign_mc_se']:.3f}).")


def clustered(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Markdown on the baseline specification's long-short per window: its most conservative defensible test."""
    parts = [f"({h['window']}) {h['test']} t = {h['t']:.2f}, p = {h['p_value']:.3f}, n = {h['n']}"
             + (f"; pairs p {h['pairs_p']:.3f}" if h["pairs_p"] is not None else "")
             for h in record["clustered_headline"] or []]
    if not parts:
        return "No window of the baseline specification had a long-short test."
    return ("Baseline specification (market model, local benchmarks, punitive events, sector grouping), the most "
            "conservative defensible long-short test per window: " + "; ".join(parts) + ".")


def answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line: the verdict, the share of specifications with the thesis' sign (and significant), the median
    estimate (its sign read from the curve) and the permutation p-value."""
    median = record["median_estimate"]
    sign = "negative" if median < 0 else "positive" if median > 0 else "zero"
    return (f"The {sign} median long-short reaction {record['verdict']}: {record['share_thesis_sign']:.0%} of "
            f"{record['n_specs']:,} specifications have the thesis' sign (median {median:+.2%}), "
            f"{record['share_significant_thesis']:.0%} with the thesis' sign and significant; permutation p = "
            f"{record['permutation_p']:.3f}.")


def narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Notebook 08's "What this shows": the answer in bold, the axis that moves the estimate most, the most
    influential left-out firm, and why the curve is tested as a whole."""
    text = f"**{answer(record, names)}** "
    top, firm = record.get("top_axis"), record.get("most_influential_firm")
    if top:
        text += (f"The choice that moves the estimate most is the {code_words(top['axis'])} (medians differ "
                 f"by {top['spread']:.2%} across its choices). ")
    if firm:
        text += (f"Leaving out {name(firm['firm_id'], names)} moves the median most among single firms, to "
                 f"{firm['median_estimate']:+.2%}. ")
    return text + ("The test is of the curve as a whole: specifications share events and firms, so they are far "
                   "from independent, which is why the permutation test recomputes every specification on the "
                   "same placebo dates instead of counting significant specifications.")

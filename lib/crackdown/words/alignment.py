"""Notebook 03's words (the alignment index), from its record (:func:`crackdown.alignment.results_record`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crackdown.alignment import NEVER_SHARE, ROBUST_SHARE, SANCTIONS, TARGETED_SECTORS
from crackdown.text import code_words
from crackdown.words import named


def answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line: how many firms are aligned, the top three, how many are robust to the weights."""
    robust, depends = record["robustly_aligned"], record["depends_on_weights"]
    return (f"{len(record['aligned_firms'])} of {record['n_firms']} firms aligned (score >= "
            f"{record['parameters']['threshold']:g}), led by {named(record['top_firms'], names)}; {len(robust)} "
            f"aligned under almost any weighting ({named(robust, names, 5)}), {len(depends)} depend on the weights")


def narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Notebook 03's "What this shows" (markdown)."""
    parameters = record["parameters"]
    missing, threshold, as_of = parameters["missing"], parameters["threshold"], parameters["as_of"]
    aligned, robust, depends = record["aligned_firms"], record["robustly_aligned"], record["depends_on_weights"]
    only_true, best = record["indicators_recorded_only_where_true"], record["best_targeted_platform"]
    by_sector = sorted(record["aligned_by_sector"].items(), key=lambda kv: (-kv[1], kv[0]))
    most = (
        f"**Most aligned.** With the chosen weights and missing facts counted as `{missing}`, "
        f"**{len(aligned)} of {record['n_firms']} firms** score at least {threshold:g}: {named(aligned, names)}. "
        f"The top three are {named(record['top_firms'], names)}. By sector group the aligned firms are "
        + (", ".join(f"{n} {g}" for g, n in by_sector) or "none") + ". "
        + (f"The highest-scoring firm among the crackdown's targets "
           f"({', '.join(code_words(g) for g in TARGETED_SECTORS)}) is {named([best], names)}, with "
           f"{record['scores'][best]:.2f} (rank {record['ranks'][best]})." if best else "")
    )
    n_classes = len(record["share_aligned"])
    robust_text = (
        f"**Robust to the weights?** Under {parameters['n_draws']:,} random weightings, {len(robust)} firms are "
        f"aligned in at least {ROBUST_SHARE:.0%} of them ({named(robust, names)}); {len(depends)} are aligned under "
        f"some weightings and not others ({named(depends, names)}); the remaining "
        f"{n_classes - len(robust) - len(depends)} are aligned in at most {NEVER_SHARE:.0%} of the draws."
    )
    aligned_with, aligned_wo = record.get("aligned_with_sanctions"), record.get("aligned_without_sanctions")
    if aligned_with is not None:
        sanctions = ("**Counting US sanctions as alignment** (`us_sanctioned` weighted like the other indicators; "
                     f"by default it weighs 0 and is a variable of its own) the aligned firms would be: "
                     f"{named(aligned_with, names)}" + (" (the same firms)" if aligned_with == aligned else "") + ".\n\n")
    else:
        sanctions = ("" if aligned_wo is None or record["weights_normalised"][SANCTIONS] == 0 else
                     "**Without the sanctions marker** (`us_sanctioned` weight 0, other weights as chosen) the "
                     f"aligned firms are: {named(aligned_wo, names)}"
                     + (" (the same firms)" if aligned_wo == aligned else "") + ".\n\n")
    imputed = record["imputed_means"]
    thin = (
        f"**Where the data thin out.** Of {record['n_firms']} firms, "
        f"{record['n_firms'] - record['n_firms_with_facts']} have no alignment fact recorded by {as_of} and "
        f"{record['n_firms_at_most_one_fact']} have at most one of the five indicators; only "
        f"{record['n_firms_three_or_more_facts']} have three or more. {', '.join(only_true) or 'none'} "
        f"{'is' if len(only_true) == 1 else 'are'} recorded only where true (no firm has a recorded 0), so a "
        "missing fact there means 'not recorded', not 'no'. Under `missing=\"mean\"` such an indicator imputes its "
        "recorded mean (" + ", ".join(f"{k}: {imputed[k]:.2f}" for k in only_true)
        + ") to every firm without a fact, and under `drop` a firm with one positive fact scores 1: both flatter "
        "thinly documented firms, which is why `zero` is the default. The ranking is therefore a ranking of "
        "documented ties to the state, not of ties as such."
    )
    panel = record["panel_coverage"].values()
    thin += (
        f" Behind the index, the panel's core indicators hold {sum(p['found_true'] for p in panel)} facts found true "
        f"and {sum(p['found_false'] for p in panel)} found false by {as_of}, and "
        f"{sum(p['not_found'] for p in panel)} firm-indicator pairs that were searched and **not found**: those are "
        f"unknown, never counted as false (under `{missing}` they count like any missing fact)."
    )
    return most + "\n\n" + robust_text + "\n\n" + sanctions + thin

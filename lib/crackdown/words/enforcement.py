"""Notebook 06's words (enforcement against alignment), from its record
(:func:`crackdown.outcomes.enforcement_record`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crackdown.outcomes import CONCENTRATED_SHARE
from crackdown.text import code_words
from crackdown.words import name


def answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line: the rank correlations of alignment with actions and with CNY fines, and their reading."""
    return (f"Spearman rho of alignment with punitive actions {record['rho_actions']:+.2f} (permutation p "
            f"{record['p_actions']:.3f}, n={record['headline']['n']}), with stated CNY fines "
            f"{record['rho_fined_cny']:+.2f} (p {record['p_fined_cny']:.3f}): {record['verdict']}.")


def _events(ids: str, names: Mapping[str, str]) -> str:
    """The labels of the "; "-joined event ids of the record, joined the same way ("penalties only" as is)."""
    return "; ".join(name(e, names) for e in ids.split("; "))


def _concentration(record: Mapping[str, Any]) -> str:
    """Which firms tie at the lowest score and how concentrated the actions are, from the record."""
    low = record["min_score_by_sector"]
    sectors = ("" if low is None else " (" + ", ".join(f"{code_words(g)} {k}" for g, k in low)
               + f"; median {record['min_score_median_facts']:.0f} recorded alignment facts each)")
    share, top_sectors = record["top5_action_share"], ", ".join(record["top5_sectors"] or [])
    concentrated = (f"so enforcement is concentrated: the five most-targeted firms ({top_sectors}) account for "
                    f"{share:.0%} of all actions" if share >= CONCENTRATED_SHARE else
                    f"the five most-targeted firms ({top_sectors}) account for {share:.0%} of all actions, so "
                    "enforcement is spread rather than concentrated")
    return (f"Reading: {record['tied_at_min_score']} of {record['headline']['n']} firms share the lowest score "
            f"({record['min_score']:.2f}{sectors}), and the rank correlation gives ties their average rank; "
            f"{concentrated}, while {record['firms_without_action']} firms were never named in a counted action "
            "(see notebook 02).")


def narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Notebook 06's "What this shows" (markdown)."""
    start, end = record["window"]
    hit, spared, events = (record["aligned_yet_penalised"], record["spared_unaligned_targeted"],
                           record["aligned_yet_penalised_events"])
    return "\n\n".join([
        f"Across **{record['headline']['n']} firms** and {start}..{end}, the rank correlation of the alignment "
        f"score with the number of punitive actions is **{record['rho_actions']:+.2f}** (permutation p = "
        f"{record['p_actions']:.3f}, {record['n_permutations']:,} permutations; asymptotic p = "
        f"{record['p_actions_asymptotic']:.3f}); with the number of penalties {record['rho_penalties']:+.2f} "
        f"(p = {record['p_penalties']:.3f}); with stated fines in yuan {record['rho_fined_cny']:+.2f} "
        f"(p = {record['p_fined_cny']:.3f}). In short: **{record['verdict']}**.",
        f"The {record['n_aligned']} aligned firms (score >= {record['parameters']['threshold']}) averaged "
        f"{record['mean_actions_aligned']:.2f} actions each, the others {record['mean_actions_not_aligned']:.2f}. "
        "The most-targeted firms were " + ", ".join(f"{name(f, names)} ({n})" for f, n in record["most_actions_ranked"])
        + ".",
        "Against the pattern: "
        + ("aligned firms acted against or penalised: "
           + ", ".join(f"{name(f, names)} ({_events(events.get(f, 'penalties only'), names)})" for f in hit) + "; "
           if hit else "no aligned firm was acted against or penalised; ")
        + (f"unaligned targeted-sector firms with no action or penalty: {', '.join(name(f, names) for f in spared)}."
           if spared else "every unaligned targeted-sector firm faced an action or penalty."),
        _concentration(record),
    ])

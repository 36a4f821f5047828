"""Notebook 02's words (the timeline), from its record (:func:`crackdown.timeline.timeline_record`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crackdown.text import code_words, sentence_start
from crackdown.words import name


def _fell_on(count: int, total: int) -> str:
    """"mainly" only for a majority of the actions, else "most often" (the word follows the computed share)."""
    return "mainly" if total and count / total > 0.5 else "most often"


def _lanes(record: Mapping[str, Any]) -> list[str]:
    """The lanes in the timeline's table order: most events first, ties by name."""
    totals = record["events_by_lane"]
    return sorted(totals, key=lambda k: (-totals[k], k))


def _first_max(counts: Mapping[str, int], order: list[str]) -> str:
    best = max(counts[k] for k in order)
    return next(k for k in order if counts[k] == best)


def _us_clause(record: Mapping[str, Any]) -> str:
    us, order = record["us_measures_by_lane"], _lanes(record)
    total = sum(us.values())
    if not total:
        return "no US measures in the selection"
    top = _first_max(us, order)
    return f"US measures fell {_fell_on(us[top], total)} on {code_words(top)} ({us[top]})"


def _top_firms(record: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The most-enforced firms, most actions first (ties by id, as the record was built)."""
    return sorted(record["most_enforced_firms"].items(), key=lambda kv: (-kv[1], kv[0]))


def answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line: the lane that took most Beijing enforcement actions, the most-hit firm, the US measures."""
    start, end = record["window"]
    hit = record["enforcement_by_lane"]
    total = sum(hit.values())
    if not total:
        return f"No Beijing enforcement actions in the selection ({start}..{end})."
    top = record["top_enforced_lane"]
    firm, n = _top_firms(record)[0]
    return (f"{sentence_start(code_words(top))} took {hit[top]} of {total} Beijing enforcement actions (lane counts) in "
            f"{start[:4]}-{end[:4]}; most-hit firm {name(firm, names)} ({n}); {_us_clause(record)}.")


def narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Notebook 02's "What this shows" (markdown)."""
    start, end = record["window"]
    hit, us, order = record["enforcement_by_lane"], record["us_measures_by_lane"], _lanes(record)
    total, top = sum(hit.values()), record["top_enforced_lane"]
    lines = [f"In {start}..{end} the selection holds **{record['n_events']} events** "
             f"({record['n_lane_markers']} event-lane markers)."]
    if total:
        others = ", ".join(f"{code_words(k)} {hit[k]}" for k in order if k != top and hit[k])
        first = sorted(record["first_enforcement_by_lane"].items(), key=lambda kv: (kv[1], order.index(kv[0])))
        lines.append(
            f"Beijing's enforcement actions fell {_fell_on(hit[top], total)} on **{code_words(top)}** "
            f"({hit[top]} of {total}, {hit[top] / total:.0%}); other groups: {others or 'none'}. The first "
            f"enforcement action in the window came on {first[0][1]} ({code_words(first[0][0])}). Most-hit firms: "
            + ", ".join(f"{name(firm, names)} ({n})" for firm, n in _top_firms(record)) + ".")
        quiet = [code_words(k) for k in order if hit[k] == 0 and record["events_by_lane"][k] > 0]
        if quiet:
            lines.append(f"Groups with events but no Beijing enforcement action: {', '.join(quiet)}.")
    if sum(us.values()):
        us_top = _first_max(us, order)
        lines.append(f"US measures ({sum(us.values())} lane counts) fell {_fell_on(us[us_top], sum(us.values()))} on "
                     f"**{code_words(us_top)}** ({us[us_top]}), the group Beijing enforced against "
                     f"{hit.get(us_top, 0)} time(s).")
    if record["n_ipo_outcomes"]:
        failed = record["ipo_outcomes_not_listed"]
        lines.append(f"Of {record['n_ipo_outcomes']} IPO attempts with an outcome in the window, "
                     f"{record['n_ipo_outcomes'] - len(failed)} listed; those that did not: "
                     + (", ".join(f"{name(r['ipo_id'], names)} ({r['outcome']}, {code_words(r['delayed_by'])})"
                                  for r in failed) or "none") + ".")
    return " ".join(lines[:1]) + "\n\n" + "\n\n".join(lines[1:])

"""Notebook 04's words (the market reaction), from its record (:func:`crackdown.reaction.results_record`; the
coverage, day-0 and headline-inference paragraphs shown before it is written read the same entries)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crackdown.alignment import INDICATORS
from crackdown.pairlevel import SANCTION_CELLS
from crackdown.reaction import BENCHMARK_RULES, PAIR_BENCHMARK_RULE, SHORT_NAMES, TEST_NAMES
from crackdown.text import code_words, fmt_p, pct
from crackdown.vocab import LONG, MARKET_STUDY_GROUPS, SHORT
from crackdown.words import name

NAN = float("nan")


def _number(value: float | None) -> float:
    return NAN if value is None else value


def _tests(entry: Mapping[str, Any] | None) -> list[tuple[str, Mapping[str, Any]]]:
    """(test, result) of an ``inference`` entry in the order of :data:`TEST_NAMES`, computable ones only."""
    entry = entry or {}
    return [(k, entry[k]) for k in TEST_NAMES if entry.get(k) is not None]


def coverage(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Per group the range and median of securities with a CAR per event, the events where the group falls below
    ``min_n``, and the (event, security) pairs the engine dropped."""
    c = record["coverage"]
    groups = c["by_group"]
    return ("Securities with a CAR per event: " + "; ".join(
        f"**{SHORT_NAMES[g]}** {groups[g]['min']}-{groups[g]['max']} (median {groups[g]['median']:.0f})"
        for g in MARKET_STUDY_GROUPS)
        + f". Cells below `min_n` = {c['min_n']} are left out: " + ", ".join(
            f"{SHORT_NAMES[g]} in {groups[g]['events_below_min_n']} of {c['n_events']} events"
            for g in MARKET_STUDY_GROUPS)
        + f". {c['n_dropped_pairs']} (event, security) pairs had no usable estimation window or no prices at "
        "day 0 (mostly securities not yet listed) and are not counted.")


def day0(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """How day 0 was set (stated times or the date fallback) and how returns across suspensions were booked."""
    rules, gap = record["day0_rules"], record["returns_rule"]
    return (f"Day 0: **{rules['n_date_fallback']} of {rules['n_events']} events** have no announcement time and use "
            f"the date fallback; {rules['n_timed']} start at the first session closing after their stated time. "
            f"Suspensions (`gaps = {gap['gaps']!r}`): {gap['n_pairs_spanning']} eligible CARs hold a return spanning "
            f"several sessions, {gap['n_pairs_starting_before_window']} of them starting before the window and "
            f"{gap['n_pairs_ending_after_window']} booked on a resumption just after it.")


def headline(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Markdown naming the headline's test, its numbers and why it was chosen."""
    inference, window = record["inference"], record["parameters"]["window"]
    h = inference.get("headline")
    if not h:
        return "No long-short inference could be computed (no event with both legs)."
    unit = (f"a mean daily long-short AR of {pct(h['estimate'])} ({pct(h['car_scale_estimate'])} "
            f"over the {window[1] - window[0] + 1}-session window)" if h["test"] == "calendar_time"
            else f"a long-short CAR of {pct(h['estimate'])}")
    others = ", ".join(f"{k} p {fmt_p(v['p_value'])} (n={v['n']})" for k, v in _tests(inference.get("long_short"))
                       if k != h["test"])
    return (f"**Headline inference: {TEST_NAMES[h['test']]}**: {unit}, t = {h['t']:.2f}, p {fmt_p(h['p_value'])}, "
            f"n = {h['n']}. Chosen as the most conservative defensible test ({h['reason']}); the others: {others}.")


def answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line for the index page: both groups' CAR, the long-short, the headline test's t and p (under the
    headline's benchmark rule when there is one) and the placebo p-value."""
    car = record["long_short_car"]
    if car is None:
        return "No crackdown event had enough targeted and aligned AI securities with prices for a long-short estimate."
    window, groups = record["parameters"]["window"], record["caar_by_group"]
    rule = record["headline"].get("benchmark_rule")
    if record.get("by_benchmark") is not None:
        h = record["by_benchmark"][rule]["headline"]
        head = None if h is None else {**h, "rule": rule, "estimate": record["headline"]["estimate"]}
    else:
        head = record["inference"].get("headline")
    test = (f"{TEST_NAMES[head['test']]} t = {head['t']:.2f}, p = {head['p_value']:.3f}" if head
            else f"t = {record['long_short_t']:.2f}")
    placebo = fmt_p(record["placebo_p"])
    text = (f"Over {record['n_events_long_short']} crackdown events targeted platforms' CAR ({window[0]},{window[1]}) "
            f"averaged {groups[LONG]['car']:.1%} against {groups[SHORT]['car']:.1%} for aligned AI firms (each against "
            "its local market); ")
    if head and head.get("rule"):
        return text + (f"measuring both legs alike ({code_words(head['rule'])} benchmarks) the long-short is "
                       f"{head['estimate']:.1%} ({test}); against local markets it is {car:.1%} "
                       f"(placebo p {placebo}).")
    return text + f"long-short {car:.1%} ({test}; placebo p {placebo})."


def _pool(record: Mapping[str, Any]) -> str:
    if record.get("placebo_pool") == "regime":
        months = [_number(m) for m in (record.get("placebo_regime_months") or {}).values()]
        known = [m for m in months if m == m]
        wider = sum(m > 6 for m in known)
        return (f"same-regime ({record.get('placebo_regime_benchmark')} volatility tercile, within 6 months of each "
                f"event, widened up to {int(max(known)) if known else 6} months for {wider} of "
                f"{len(months)} events with too few nearby non-event dates)")
    return "random"


def _inference_lines(record: Mapping[str, Any]) -> list[str]:
    """The four-way inference of the long-short, and which one the headline quotes."""
    h = record.get("inference", {}).get("headline")
    if not h:
        return []
    shown = "; ".join(f"{TEST_NAMES[k]} t = {v['t']:.2f}, p {fmt_p(v['p_value'])} (n = {v['n']})"
                      for k, v in _tests(record["inference"].get("long_short")))
    bhar = _tests(record.get("long_short_bhar_inference"))
    bhar_text = ("" if not bhar else " Buy-and-hold (BHAR) long-short: " + "; ".join(
        f"{TEST_NAMES[k]} {pct(v['estimate'])}, p {fmt_p(v['p_value'])}" for k, v in bhar if k != "pairs") + ".")
    return [f"Treating pairs, events, clusters of overlapping events and calendar days as the observations: {shown}. "
            f"The headline quotes **{TEST_NAMES[h['test']]}** (t = {h['t']:.2f}, p {fmt_p(h['p_value'])}, "
            f"n = {h['n']}): {h['reason']}." + bhar_text]


def _long_short_lines(record: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """The long-short estimate, its placebo, leave-one-out range and the worst events (by their labels)."""
    car, loo = record["long_short_car"], record["long_short_leave_one_out"]
    direction = "below" if car < 0 else "above"
    return [
        f"The long-short portfolio (targeted minus aligned AI) earned **{pct(car)}** per event (estimation-window "
        f"SE {pct(record['long_short_se'])}, t = {record['long_short_t']:.2f}, p {fmt_p(record['long_short_p'])}; "
        f"placebo p {fmt_p(record['placebo_p'])} (Monte-Carlo SE {_number(record['placebo_p_mc_se']):.3f}) from "
        f"{record['placebo_n']} {_pool(record)} non-event date sets): on "
        f"crackdown days the targeted platforms did {abs(car):.1%} {direction} the aligned AI firms, "
        + ("the sign the thesis predicts." if car < 0 else "the opposite of what the thesis predicts.")
        + f" On random non-event dates the same statistic has a median of {100 * _number(record['placebo_median']):.2f}%, "
        "so the placebo compares the crackdown estimate with what ordinary days produced, drift included.",
        f"Leaving out one event at a time, the long-short estimate ranges from {pct(loo['min'])} to "
        f"{pct(loo['max'])}; without the event that widened the gap most "
        f"({name(loo['most_negative_event'], names)}, {pct(record['long_short_leave_one_out_gap'])}) it is "
        f"{pct(loo['without_most_negative'])}.",
        "The largest targeted-group drops came on " + ", ".join(
            f"{e['date']} ({name(e['event_id'], names)}: {e['car_targeted_pct']:.1f}%)"
            for e in record["largest_targeted_drops"])
        + ".",
        *_inference_lines(record),
    ]


def _by_benchmark_lines(record: Mapping[str, Any]) -> list[str]:
    """One sentence per benchmark rule (in :data:`BENCHMARK_RULES` order): its most conservative test."""
    rules = record.get("by_benchmark")
    if not rules:
        return []
    parts = []
    for rule in [*[r for r in BENCHMARK_RULES if r in rules], *sorted(set(rules) - set(BENCHMARK_RULES))]:
        entry = rules[rule]
        h = entry.get("headline")
        if h is None:
            parts.append(f"**{code_words(rule)}**: no test computable")
            continue
        parts.append(f"**{code_words(rule)}**{' (legs alike)' if entry['alike'] else ''}: "
                     f"{pct(h['car_scale_estimate'])} ({TEST_NAMES[h['test']]}, t = {h['t']:.2f}, "
                     f"p {fmt_p(h['p_value'])}, n = {h['n']})")
    return ["**Benchmark rules** (each leg's abnormal returns measured against): " + "; ".join(parts)
            + f". The headline uses **{code_words(record['headline'].get('benchmark_rule', 'local_market'))}**, "
            "the most conservative defensible rule under which both legs are measured alike."]


def _day0_words(rules: Mapping[str, Any] | None) -> str:
    if not rules:
        return "day 0 is the first session on or after the announcement date."
    timed = (f"{rules['n_timed']} of {rules['n_events']} events have a stated time and start at the first session "
             "closing after it")
    if not rules["n_date_fallback"]:
        return timed + "."
    return (f"{rules['n_date_fallback']} of {rules['n_events']} events have no announcement time (flagged "
            "date-fallback), so their day 0 is the first session on or after the announcement date, one session "
            f"early in Asia for evening Beijing news; {timed}.")


def _gap_words(rule: Mapping[str, Any] | None) -> str:
    if not rule:
        return ""
    if rule["gaps"] == "resumption":
        return (f"Returns across suspensions are booked on the resumption session against the benchmark over the "
                f"same sessions (max {rule['max_span']} sessions): {rule['n_pairs_spanning']} eligible CARs hold "
                f"such a move, {rule['n_pairs_starting_before_window']} of them starting before the window and "
                f"{rule['n_pairs_ending_after_window']} booked on a resumption just after it.")
    return "Returns across suspensions are dropped (the daily rule), so a move during a halt is not counted."


def _benchmark_words(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    listing = ", ".join(f"{ex}: {name(b, names)}" for ex, b in record["benchmarks_studied"])
    return (f"each firm security is measured against its own market's benchmark ({listing or 'none'}), so the "
            "local-market long-short compares abnormal returns across markets (the benchmark rules above measure "
            "both legs alike)")


def pairlevel(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """The 2x2 of aligned x US-sanctioned, the score regression and its components, and the economy-wide events
    under the headline's benchmark rule."""
    sanctions, r, economy_wide = record["sanctions"], record["regression"], record.get("economy_wide")
    cells = sanctions["cells"]

    def cell(key: str) -> str:
        c = cells[key]
        return (f"{code_words(key)}: {pct(c['mean_car'])} ({c['n_pairs']} pairs, {c['n_firms']} firms)"
                if c["n_pairs"] else f"{code_words(key)}: no firm")
    lines = ["**Aligned x US-sanctioned** (mean event CAR per cell, " + sanctions["aligned_rule"] + "): "
             + "; ".join(cell(k) for k in SANCTION_CELLS if k in cells)
             + f". {sanctions['n_pairs_sanction_unknown']} pairs with an unknown sanction status are left out."]
    components = r["components"]
    lines.append(
        f"**Alignment as a measure:** regressing {r['n_pairs']} event CARs ({r['n_events']} events, {r['n_firms']} "
        f"firms) on the continuous alignment score with event fixed effects, a US-sanction indicator and "
        f"listing-market and sector controls gives a coefficient of {r['coef']:.4f} (two-way clustered SE "
        f"{_number(r['se']):.4f}, t = {_number(r['t']):.2f}, p {fmt_p(r['p_value'])}); the thesis predicts a positive "
        "one (more aligned, smaller falls). Components in turn: " + "; ".join(
            (f"{k} {components[k]['coef']:.4f} (p {fmt_p(components[k]['p_value'])})" if "coef" in components[k]
             else f"{k} not estimated") for k in [*INDICATORS, *sorted(set(components) - set(INDICATORS))]
            if k in components) + f". Missing rule: {r['missing_rule']}."
        + (f" Counting US sanctions inside the score instead (no separate indicator) the coefficient is "
           f"{r['score_counting_sanctions']['coef']:.4f} (p {fmt_p(r['score_counting_sanctions']['p_value'])})."
           if r.get("score_counting_sanctions") else ""))
    rule = (record.get("headline") or {}).get("benchmark_rule") or PAIR_BENCHMARK_RULE
    if economy_wide and (economy_wide.get(rule) or {}).get("headline"):
        h = economy_wide[rule]["headline"]
        lines.append(f"**Rules that applied to every firm** ({economy_wide['n_events']} events naming no firm): the "
                     f"long-short under {code_words(rule)} benchmarks is {pct(h['car_scale_estimate'])} "
                     f"({h['test']}, t = {h['t']:.2f}, p {fmt_p(h['p_value'])}, n = {h['n']}).")
    return "\n\n".join(lines)


def narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Notebook 04's "What this shows": events, group CARs, the long-short and its inference, benchmark rules,
    the reverse study, caveats, then (when recorded) the pair-level study."""
    groups, counts, rev = record["caar_by_group"], record["n_by_group"], record["reverse_caar"]
    tg, al = groups[LONG], groups[SHORT]
    p = record["parameters"]
    w = p["window"]
    lines = [f"**{record['n_events']} crackdown events** ({record['n_events_before_merge']} before merging same-day-0 "
             f"events) between {p['start']} and {p['end']}; the windows of "
             f"{record['n_overlapping_events']} of them overlap another event's window, so the events are not "
             "independent draws.",
             f"Over the event window ({w[0]},{w[1]}) the **targeted platforms** averaged a CAR of **{pct(tg['car'])}** "
             f"({tg['n']} event-security pairs; KP p {fmt_p(tg.get('p_kp'))}, portfolio p "
             f"{fmt_p(tg.get('p_portfolio'))}), the **aligned AI firms** {pct(al['car'])} ({al['n']} pairs from "
             f"{counts[SHORT]['securities']} securities; KP p {fmt_p(al.get('p_kp'))}), hard-tech firms "
             f"{pct(groups['hard_tech']['car'])} and the benchmarks {pct(groups['benchmark']['car'])}."]
    if record["long_short_car"] is not None:
        lines += _long_short_lines(record, names)
    lines += _by_benchmark_lines(record)
    bench = groups["benchmark"]["car"]
    if bench is not None:
        lines.append(f"The benchmarks' own abnormal return ({pct(bench)}) shows how much of the move was China-wide "
                     "rather than specific to the targeted firms.")
    lines.append(
        f"**Reverse:** on their own adverse events the aligned firms' shares moved {pct(rev['car'])} on average "
        f"({rev['n']} pairs, {rev['n_events']} events, cross-sectional p {fmt_p(rev['p_cs'])}"
        + (f"; {rev['n_pairs_spanning']} of these CARs hold a move across a trading suspension, booked on the "
           "resumption session" if rev.get("n_pairs_spanning") else "") + "); "
        f"{record['reverse_n_dropped']} (event, firm) pairs came before the named firm had prices and are left out.")
    used = record["aligned_symbols_used"]
    lines.append(f"Caveats: the aligned AI group is small ({len(used)} securities with a usable CAR: "
                 f"{', '.join(used) or 'none'}); " + _benchmark_words(record, names) + "; and "
                 + _day0_words(record.get("day0_rules")) + " " + _gap_words(record.get("returns_rule")))
    text = "\n\n".join(lines)
    if record.get("sanctions") and record.get("regression"):
        text += "\n\n" + pairlevel(record, names)
    return text

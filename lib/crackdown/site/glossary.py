"""The report's glossary: each term's definition in our own words and the patterns that find it in a page's text.

Pages link the first occurrence of each term (outside headings, tables, links and code) to its entry on
``glossary.html``; the patterns are tried longest term first, so "CAAR" never matches as "CAR".
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One glossary entry: its anchor id, the heading shown, a definition and the regex that finds it."""

    id: str
    term: str
    definition: str
    pattern: str
    ignore_case: bool = False


TERMS: tuple[Term, ...] = (
    Term("abnormal-return", "Abnormal return",
         "How much a security's return on one trading session differs from the return expected for that session "
         "had nothing special happened. The expected (normal) return comes from a model fitted on an earlier "
         "estimation window, for example the market model.",
         r"\babnormal returns?\b", True),
    Term("market-model", "Market model",
         "The usual model of normal returns: a security's daily return is regressed on its market benchmark's "
         "return (an intercept and a slope, fitted by least squares over the estimation window). Simpler "
         "alternatives are the market-adjusted model (security minus benchmark) and the constant-mean model "
         "(the security's own average return).",
         r"\bmarket[- ]model\b", True),
    Term("estimation-window", "Estimation window",
         "The sessions, counted relative to the event day (day 0), on which the normal-return model is fitted, "
         "e.g. (-250, -11): from 250 to 11 sessions before the event, well clear of it.",
         r"\bestimation windows?\b", True),
    Term("event-window", "Event window",
         "The sessions around the event day over which abnormal returns are added up, e.g. (-1, 1) is the "
         "session before, the event session and the session after. Day 0 is the first session in which the "
         "market could react to the announcement.",
         r"\bevent windows?\b", True),
    Term("caar", "CAAR (cumulative average abnormal return)",
         "The average of the CARs of a group of securities (or of events) over the same event window: how the "
         "group as a whole moved beyond what its normal returns predicted.",
         r"\bCAARs?\b"),
    Term("car", "CAR (cumulative abnormal return)",
         "The sum of one security's abnormal returns over the event window. CAR (-1,1) = abnormal return of the "
         "session before the event + that of the event session + that of the session after. A CAR of -2% means "
         "the stock did 2 percentage points worse than expected over those sessions.",
         r"\bCARs?\b"),
    Term("bhar", "BHAR (buy-and-hold abnormal return)",
         "The compounded return of holding the security through the window minus the compounded return of its "
         "benchmark (or expected return) over the same window. Unlike a CAR, which adds daily figures, it "
         "compounds them, which matters over long windows.",
         r"\bBHARs?\b"),
    Term("long-short", "Long-short CAR",
         "For one event, the mean CAR of one group minus the mean CAR of the other (here targeted platforms minus "
         "aligned AI firms): the return of holding the first group and selling the second short. If the thesis "
         "holds, it is negative around crackdown events.",
         r"\blong[- ]short\b", True),
    Term("patell", "Patell test",
         "A test of whether abnormal returns on the event day (or window) are zero on average. Each security's "
         "abnormal return is divided by its own standard deviation from the estimation window, and the "
         "standardised values are summed and scaled. It assumes the event does not change the returns' "
         "volatility, so it rejects too often when it does.",
         r"\bPatell\b"),
    Term("bmp", "BMP test (Boehmer, Musumeci and Poulsen)",
         "A standardised cross-sectional test: like the Patell test it standardises each abnormal return by its "
         "estimation-window standard deviation, but it then uses the spread of those standardised values across "
         "securities on the event day, so it stays valid when the event makes returns more volatile.",
         r"\bBMP\b|\bBoehmer\b"),
    Term("kolari-pynnonen", "Kolari-Pynnönen adjustment",
         "A correction of the BMP (or Patell) statistic for securities whose events fall on the same day: their "
         "abnormal returns are correlated, which makes the plain tests too confident. The statistic is multiplied "
         "by a factor below 1 that gets smaller as the average correlation of the securities' estimation-window "
         "residuals grows.",
         r"\bKolari[-‐–\s]Pynn[oö]nen\b|\bKolari\b"),
    Term("corrado", "Corrado rank test",
         "A test that uses ranks instead of returns: each security's abnormal returns over the estimation and "
         "event windows are ranked, and the test asks whether the event-day ranks sit above or below the middle "
         "rank more than chance allows. It needs no assumption of normal returns and resists outliers.",
         r"\bCorrado\b"),
    Term("generalized-sign", "Generalized sign test",
         "Counts the securities with a positive abnormal return in the event window and compares that count "
         "with the number expected from the share of positive abnormal returns in the estimation window. It "
         "tests the direction of the moves, not their size.",
         r"\bgenerali[sz]ed sign(?: test)?\b", True),
    Term("placebo", "Placebo test",
         "The same analysis run on dates when nothing happened (events moved to random sessions away from any "
         "real event), many times. The placebo p-value is the share of those runs with a result at least as "
         "extreme as the real one: how often chance alone gives such a result.",
         r"\bplacebos?\b", True),
    Term("specification-curve", "Specification curve",
         "Every reasonable way of running an analysis (event window, estimation window, normal-return model, "
         "benchmark, event set, how firms are grouped) run at once, and the estimates plotted sorted from lowest "
         "to highest with the choices behind each. It shows whether a result depends on one particular choice.",
         r"\bspecification curves?\b", True),
    Term("log-p", "-log10(p-value)",
         "A p-value on a scale where bigger means stronger evidence: 1 means p = 0.1, 2 means p = 0.01, and "
         "1.3 is about p = 0.05.",
         r"-log10\(p[- ]value\)", True),
    Term("p-value", "p-value",
         "The probability of a result at least as extreme as the one observed if there were in fact no effect. "
         "A small p-value (below the significance level, usually 0.05) means chance alone is an unlikely "
         "explanation; a large one means the data cannot tell the effect from chance, not that there is none.",
         r"\bp[- ]values?\b", True),
    Term("significance-level", "Significance level (alpha)",
         "The p-value below which a result is called significant, fixed before looking (0.05 here unless a "
         "notebook's parameters say otherwise). A line of evidence supports or contradicts the thesis only when "
         "its p-value is below it; otherwise it is inconclusive.",
         r"\bsignificance level\b", True),
    Term("fisher", "Fisher's exact test and the odds ratio",
         "A test for a 2x2 table (here aligned or not, listed or not) that computes the exact probability of "
         "tables at least as lopsided as the observed one, fit for small counts. The odds ratio compares the "
         "odds of listing of aligned firms with those of the others: below 1 means aligned firms listed less "
         "often.",
         r"\bFisher'?s exact test\b|\bodds ratios?\b", True),
    Term("spearman", "Spearman rank correlation",
         "The correlation between the ranks of two measures (here the alignment score and the number of punitive "
         "actions or the fines), from -1 to 1. It captures any steadily rising or falling relation, not only a "
         "straight line.",
         r"\bSpearman\b", True),
    Term("permutation", "Permutation test",
         "A p-value found by shuffling: one variable is randomly reordered many times, the statistic recomputed "
         "each time, and the p-value is the share of shuffles with a result at least as extreme as the real one.",
         r"\bpermutation (?:tests?|p(?:-values?)?)\b", True),
    Term("alignment-score", "Alignment score",
         "This report's index of how closely a firm is tied to the state: the weighted mean of indicators such "
         "as government revenue share, state shareholders, national AI platform membership, a state golden "
         "share and US sanctions (data/alignment.csv). A firm counts as aligned when its score reaches the "
         "chosen threshold.",
         r"\balignment (?:score|index)\b", True),
)


def term_regex() -> re.Pattern[str]:
    """One regex for every term (group ``t<i>`` is ``TERMS[i]``); at a given position the earlier term wins, so
    "-log10(p-value)" is found before "p-value"."""
    parts = [f"(?P<t{i}>{'(?i:' if t.ignore_case else '(?:'}{t.pattern}))" for i, t in enumerate(TERMS)]
    return re.compile("|".join(parts))

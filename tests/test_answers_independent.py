"""Every branch of the answer texts of notebooks 04-06, and the pooled long-short p behind 04's headline, checked
against computations written out here (hypergeometric Fisher p by hand, per-pair OLS with np.polyfit, scipy's t
distribution), on hand-built inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crackdown import outcomes, words
from crackdown import reaction as rx
from crackdown.calendars import sessions

# --------------------------------------------------------------------------------------- 05: the IPO answer


def _attempts(aligned: tuple[int, int], other: tuple[int, int]) -> pd.DataFrame:
    """IPO attempts: ``aligned`` = (listed, total) for aligned firms, ``other`` the same for the rest."""
    rows = []
    for is_aligned, (listed, total) in ((True, aligned), (False, other)):
        for k in range(total):
            ok = k < listed
            rows.append({
                "ipo_id": f"{'a' if is_aligned else 'o'}{k}", "firm_id": f"{'a' if is_aligned else 'o'}{k}",
                "aligned": is_aligned, "listed": ok, "group": "aligned_ai" if is_aligned else "targeted_platform",
                "score": 0.8 if is_aligned else 0.1, "market": "HKEX Main Board",
                "start": pd.Timestamp("2020-01-01"), "outcome": "listed" if ok else "withdrawn",
                "outcome_date": pd.Timestamp("2021-01-01"), "delayed_by": "none" if ok else "beijing_regulators"})
    return pd.DataFrame(rows)


def _fisher_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher p of [[a, b], [c, d]] by hand (tables no more likely than the observed one)."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x: int) -> float:
        return math.comb(row1, x) * math.comb(n - row1, col1 - x) / math.comb(n, col1)

    support = range(max(0, col1 - (n - row1)), min(row1, col1) + 1)
    return sum(prob(x) for x in support if prob(x) <= prob(a) * (1 + 1e-9))


@pytest.mark.parametrize(("aligned", "other", "lead", "comparison"), [
    ((9, 10), (1, 10), "Yes", "aligned firms listed more often"),  # more often and p < 0.05
    ((3, 4), (2, 4), "Not clearly", "aligned firms listed more often"),  # more often, p >= 0.05
    ((2, 4), (2, 4), "No", "aligned and other firms listed equally often"),
    ((1, 4), (3, 4), "No", "aligned firms listed less often"),
    ((1, 10), (9, 10), "No", "aligned firms listed less often"),  # significant, but the wrong way
])
def test_ipo_answer_every_branch(aligned, other, lead: str, comparison: str) -> None:
    attempts = _attempts(aligned, other)
    fisher = outcomes.fisher_aligned_listed(attempts)
    a, b = aligned[0], aligned[1] - aligned[0]
    c, d = other[0], other[1] - other[0]
    p = _fisher_p(a, b, c, d)
    assert fisher.p_value == pytest.approx(p, rel=1e-9)
    assert (p < 0.05) == (lead == "Yes" or aligned == (1, 10))
    record = outcomes.ipo_record(attempts, fisher, outcomes.ipo_counterexamples(attempts), {"threshold": 0.5},
                                 years=(2019, 2023))
    written = words.as_written("05_ipo_outcomes", record)
    odds = (a * d) / (b * c) if b * c else math.inf
    assert words.ipo.answer(written, {}) == (
        f"{lead}: {comparison} ({a}/{aligned[1]} aligned vs {c}/{other[1]} other attempts listed; Fisher odds "
        f"ratio {odds:.2f}, p {p:.3f})")
    assert record["headline"]["estimate"] == pytest.approx(a / aligned[1] - c / other[1])
    text = words.ipo.narrative(written, {})
    assert f"**{comparison}**" in text
    assert ("(significant at 5%" in text) == (p < 0.05)
    assert ("(not significant at 5%" in text) == (p >= 0.05)


# --------------------------------------------------------------------------------- 06: the enforcement answer


@pytest.mark.parametrize(("rho", "p", "verdict"), [
    (-0.4, 0.049, "less-aligned firms faced more punitive actions"),
    (0.4, 0.049, "more-aligned firms faced more punitive actions"),
    (-0.4, 0.05, "no clear rank relation between alignment and punitive actions"),  # p = alpha: not significant
    (0.0, 0.01, "no clear rank relation between alignment and punitive actions"),
])
def test_enforcement_verdict_both_sides_of_alpha(rho: float, p: float, verdict: str) -> None:
    r = outcomes.SpearmanResult(rho=rho, p_permutation=p, p_asymptotic=p, n=20, n_permutations=999)
    assert outcomes.enforcement_verdict(r) == verdict


# --------------------------------------------------------------------------- 04: answer and pooled long-short


def _market_record(ls: dict, placebo_p: float, groups: dict, head: dict | None = None,
                   rule: str | None = None) -> dict:
    """04's record with what its answer reads: the long-short, placebo p, group CARs, window (-1, 1), the
    headline test (``head``) and, with ``rule``, the benchmark rule the headline quotes."""
    record = {"long_short_car": ls["car"], "long_short_t": ls["t"], "n_events_long_short": ls["n_events"],
              "placebo_p": placebo_p, "caar_by_group": groups, "parameters": {"window": [-1, 1]},
              "headline": {}, "by_benchmark": None, "inference": {"headline": head}}
    if rule:
        record.update(headline={"benchmark_rule": rule, "estimate": head["estimate"]},
                      by_benchmark={rule: {"headline": {k: head[k] for k in ("test", "t", "p_value")}}})
    return record


def test_market_answer_text_reads_every_number() -> None:
    ls = {"car": -0.0312, "se": 0.01, "t": -3.12, "p": 0.004, "n_events": 7}
    groups = {"targeted_platform": {"car": -0.021}, "aligned_ai": {"car": 0.0102}}
    text = words.reaction.answer(_market_record(ls, 0.0123, groups), {})
    assert text == ("Over 7 crackdown events targeted platforms' CAR (-1,1) averaged -2.1% against 1.0% for "
                    "aligned AI firms (each against its local market); long-short -3.1% (t = -3.12; placebo p = 0.012).")
    head = {"test": "clusters", "t": -1.064, "p_value": 0.3049}
    text = words.reaction.answer(_market_record(ls, 0.0123, groups, head), {})
    assert text.endswith("long-short -3.1% (clusters of overlapping events t = -1.06, p = 0.305; placebo p = 0.012).")
    ruled = words.reaction.answer(_market_record(ls, 0.0123, groups, {**head, "estimate": -0.0071}, "china_market"),
                                  {})
    assert ruled.endswith("measuring both legs alike (China market benchmarks) the long-short is -0.7% (clusters of "
                          "overlapping events t = -1.06, p = 0.305); against local markets it is -3.1% "
                          "(placebo p = 0.012).")


def _hand_long_short(reaction: rx.Reaction, returns: pd.DataFrame, securities: pd.DataFrame,
                     long: str = rx.LONG, short: str = rx.SHORT) -> dict[str, float]:
    """The pooled long-short CAR, SE, t and p from per-pair market-model ARs computed with np.polyfit."""
    est = reaction.fit.estimation
    w = reaction.window
    days = np.r_[est[0] : est[1] + 1, w[0] : w[1] + 1]
    n_est = est[1] - est[0] + 1
    sec = securities.set_index("symbol")
    pairs = reaction.fit.pairs.assign(group=reaction.fit.pairs["symbol"].map(
        reaction.members.set_index("symbol")["group"].astype(str)))
    pairs = pairs[pairs["group"].isin([long, short])]
    lo, hi = returns.index.min(), returns.index.max()
    series = []
    for _, ev in pairs.groupby("event_id"):
        if set(ev["group"]) != {long, short}:
            continue
        legs = {}
        for g in (long, short):
            ars = []
            for row in ev[ev["group"] == g].itertuples():
                own = sessions(sec.loc[row.symbol, "exchange"], lo, hi)
                r = returns[row.symbol].reindex(own).to_numpy()
                m = returns[sec.loc[row.symbol, "benchmark_symbol"]].reindex(own).to_numpy()
                pos = own.get_loc(row.day0)
                rr, mm = r[pos + days], m[pos + days]
                ok = ~np.isnan(rr[:n_est]) & ~np.isnan(mm[:n_est])
                beta, alpha = np.polyfit(mm[:n_est][ok], rr[:n_est][ok], 1)
                ars.append(rr - alpha - beta * mm)
            legs[g] = np.nanmean(np.array(ars), axis=0)
        series.append(legs[long] - legs[short])
    pooled = np.nanmean(np.array(series), axis=0)
    est_part = pooled[:n_est][~np.isnan(pooled[:n_est])]
    car = np.nansum(pooled[n_est:])
    se = est_part.std(ddof=1) * np.sqrt(len(days) - n_est)
    t = car / se
    return {"car": car, "se": se, "t": t, "p": 2 * stats.t.sf(abs(t), len(est_part) - 1), "n_events": len(series)}


def test_pooled_long_short_p_feeding_the_headline_against_a_direct_computation() -> None:
    import test_reaction as tr  # the synthetic market of the reaction tests (events, securities, returns)

    returns = tr._returns()
    members = rx.group_members(tr.GROUPS, tr.SECURITIES, rx.price_coverage(returns), benchmarks=["ETF"])
    events = rx.crackdown_events(start="2021-01-01", end="2022-12-31", events=tr.EVENTS, firms=tr.FIRMS)
    merged = rx.merge_same_day0(events, members["exchange"])
    reaction = rx.run_reaction(returns, tr.SECURITIES, merged, members, window=(0, 1), min_n=2)
    got = rx.long_short_pooled(reaction)
    want = _hand_long_short(reaction, returns, tr.SECURITIES)
    assert got["n_events"] == want["n_events"] >= 2
    for key in ("car", "se", "t", "p"):
        assert got[key] == pytest.approx(want[key], rel=1e-9), key


@pytest.mark.parametrize(("p_events", "p_clusters", "p_days", "n_clusters", "quoted"), [
    (0.02, 0.30, 0.10, 17, "clusters"),      # the largest p among adequate tests
    (0.40, 0.30, 0.10, 17, "events"),
    (0.02, 0.90, 0.10, 5, "calendar_time"),  # 5 clusters < 6: clusters are not defensible
])
def test_headline_quotes_the_most_conservative_adequate_test(p_events, p_clusters, p_days, n_clusters,
                                                             quoted) -> None:
    from crackdown.inference import Inference

    tests = {"pairs": Inference(-0.03, 0.001, -30.0, 1e-9, 500),
             "events": Inference(-0.02, 0.01, -2.0, p_events, 24),
             "clusters": Inference(-0.017, 0.016, -1.06, p_clusters, n_clusters),
             "calendar_time": Inference(-0.004, 0.0036, -1.11, p_days, 61)}
    h = rx.headline(tests, (-1, 1))
    assert h["p_value"] == {"events": p_events, "clusters": p_clusters, "calendar_time": p_days}[quoted]
    # the calendar-time estimate is a mean daily AR: on the CAR scale it is times the 3-session window
    want = {"events": -0.02, "clusters": -0.017, "calendar_time": -0.004 * 3}[quoted]
    assert h["estimate"] == pytest.approx(want)
    assert h["n"] == tests[quoted].n


def test_placebo_long_short_p_values_from_its_draws() -> None:
    """04's placebo p: the statistic on the real events is the mean over events of the legs' CAR difference (by
    hand from the pair CARs), and both p-values follow from the returned draws by their formulas."""
    import test_reaction as tr

    returns = tr._returns()
    members = rx.group_members(tr.GROUPS, tr.SECURITIES, rx.price_coverage(returns), benchmarks=["ETF"])
    events = rx.crackdown_events(start="2021-01-01", end="2022-12-31", events=tr.EVENTS, firms=tr.FIRMS)
    reaction = rx.run_reaction(returns, tr.SECURITIES, events, members, window=(0, 0), min_n=2)
    out = rx.placebo_long_short(reaction, n=12, seed=4)
    c = reaction.cars[reaction.cars["eligible"]]
    legs = c.pivot_table(index="event_id", columns="group", values="car", aggfunc="mean", observed=True)
    actual = (legs[rx.LONG] - legs[rx.SHORT]).dropna().mean()
    assert out["actual"] == pytest.approx(actual, abs=1e-12)
    draws = out["placebo"][~np.isnan(out["placebo"])]
    k = len(draws)
    assert out["n_placebo"] == k > 0
    assert out["p_two_sided"] == (1 + (np.abs(draws) >= abs(actual)).sum()) / (1 + k)
    assert out["p_lower"] == (1 + (draws <= actual).sum()) / (1 + k)


# ---------------------------------------------------------------------------- 00: verdict per line and answer


@pytest.mark.parametrize(("estimate", "p", "sign", "verdict"), [
    (-0.03, 0.049, -1, "supports"), (-0.03, 0.05, -1, "inconclusive"), (0.03, 0.01, -1, "contradicts"),
    (0.03, 0.01, 1, "supports"), (-0.03, 0.01, 1, "contradicts"), (0.0, 0.01, 1, "inconclusive"),
    (None, 0.01, 1, "inconclusive"), (0.03, float("nan"), 1, "inconclusive"),
])
def test_summary_verdict_both_sides_of_alpha_and_sign(estimate, p, sign: int, verdict: str) -> None:
    from crackdown import summary

    assert summary.verdict(estimate, p, sign) == verdict


@pytest.mark.parametrize(("counts", "lead"), [
    ({"supports": 2, "contradicts": 0, "inconclusive": 1}, "The evidence leans towards the thesis"),
    ({"supports": 0, "contradicts": 1, "inconclusive": 2}, "The evidence leans against the thesis"),
    ({"supports": 1, "contradicts": 1, "inconclusive": 0}, "The evidence is mixed"),
    ({"supports": 0, "contradicts": 0, "inconclusive": 3}, "The evidence is inconclusive"),
])
def test_overall_answer_every_branch(counts: dict, lead: str) -> None:
    from crackdown import summary

    ran = sum(counts.values())
    record = {"counts": {**counts, "not run": 2}, "adjustment": summary.ADJUSTMENT}
    assert words.summary.answer(record, {}) == (
        f"{lead}: {counts['supports']} of {ran} independent lines support it, {counts['contradicts']} contradict "
        f"it, {counts['inconclusive']} are inconclusive at the chosen significance level, after a Holm adjustment "
        f"of the p-values across the {ran} lines (one vote per line; each line's p-value is its notebook's most "
        "conservative defensible test).")


def test_market_answer_never_prints_a_zero_placebo_p() -> None:
    """A Monte-Carlo p is at least 1 / (1 + draws): below 0.001 it reads "< 0.001", never "0.000"."""
    ls = {"car": -0.0312, "se": 0.01, "t": -3.12, "p": 0.004, "n_events": 7}
    groups = {"targeted_platform": {"car": -0.021}, "aligned_ai": {"car": 0.0102}}
    text = words.reaction.answer(_market_record(ls, 1 / 10_001, groups), {})
    assert text.endswith("(t = -3.12; placebo p < 0.001).") and "0.000" not in text

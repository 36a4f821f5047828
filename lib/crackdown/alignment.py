"""The government-alignment index: indicators from data/alignment.csv, weighted scores, groups, weight sensitivity.

Indicators (each in [0, 1], NaN where no fact is recorded), built from the long table data/alignment.csv:

- ``govt_revenue_share``: the largest of the firm's govt_revenue_share, smart_city_revenue_share and
  public_security_revenue_share, each taken at its latest fact dated on or before ``as_of``. Revenue from
  government, smart-city and public-security customers are overlapping cuts of the same dependence on the state
  as a customer; the largest recorded cut is used so that a firm reporting only one of them is not penalised.
- ``state_shareholder``: 1 if the latest ``state_shareholder`` fact is true or the latest
  ``state_shareholder_stake`` is above 0; 0 if a recorded fact says false (or a stake of 0). The size of the
  stake is not used: stakes are recorded for only a few firms.
- ``ai_platform_member``: 1 if the firm was designated an operator of a national AI open-innovation platform
  (designation date on or before ``as_of``), 0 where a checked "not a member" fact is recorded.
- ``golden_share``: 1 if a state entity holds a "special management share" in a firm unit by ``as_of``.
- ``us_sanctioned``: 1 if the firm is on any of the US Entity List, the NS-CMIC list or the SDN list by
  ``as_of``. Not counted as alignment by default (:data:`DEFAULT_WEIGHTS` gives it weight 0): a US listing is an
  outside government's judgement, not a tie to the Chinese state, and the market study treats it as a variable of
  its own (the aligned x US-sanctioned table and the sanction indicator of the pair-level regression). Give it a
  positive weight to see the sensitivity of the index to counting it.

As-of handling: only facts dated on or before ``as_of`` (default 2021-12-31) count, so later facts (for example
Alibaba's 2022 golden share) do not leak into the crackdown period. A fact known only to the month
(``as_of_precision`` = month) counts from the last day of its month, the latest day it can refer to. Among the
facts kept, the latest one per firm and raw indicator wins (a later "false" overrides an earlier "true"); ties on
the same date take the larger value.

Found and not found: a row of data/alignment.csv has ``status`` ``found`` (the value is the fact) or ``not_found``
(searched, nothing found, value empty). A ``not_found`` row is unknown, never false: it leaves the indicator NaN
exactly like a firm with no row, so ``missing`` below decides what it counts as. :func:`panel_coverage` tells
the two kinds of NaN apart (found true / found false / not found / no row per indicator).

Missing facts: many firms have few indicators found, and some indicators are mostly found only where true. ``missing`` decides what a NaN counts as: ``"zero"`` (no recorded fact = not aligned on that
indicator), ``"mean"`` (the indicator's mean over firms with a fact; an indicator recorded only where true then
imputes 1 to everyone), ``"drop"`` (each firm's weighted mean over its observed indicators only, weights
renormalised per firm; firms with no observed indicator of positive weight are left out).

Groups (:func:`firm_groups`) are what the later event studies compare: ``targeted_platform`` (consumer
platforms, fintech, education, recruitment/logistics, crypto) against ``aligned_ai`` (AI vision/speech firms).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from crackdown import params
from crackdown.errors import CrackdownError, unknown_name_error

INDICATORS: tuple[str, ...] = (
    "govt_revenue_share", "state_shareholder", "ai_platform_member", "golden_share", "us_sanctioned",
)
#: raw indicators of data/alignment.csv behind each index indicator (the index takes their maximum)
SOURCES: dict[str, tuple[str, ...]] = {
    "govt_revenue_share": ("govt_revenue_share", "smart_city_revenue_share", "public_security_revenue_share"),
    "state_shareholder": ("state_shareholder", "state_shareholder_stake"),
    "ai_platform_member": ("ai_platform_member",),
    "golden_share": ("golden_share",),
    "us_sanctioned": ("us_entity_list", "ns_cmic_list", "sdn_list"),
}
#: Default weights: equal over the indicators of ties to the Chinese state; US sanctions are their own variable.
DEFAULT_WEIGHTS: dict[str, float] = {name: (0.0 if name == "us_sanctioned" else 1.0) for name in INDICATORS}
SANCTIONS = "us_sanctioned"
MISSING_POLICIES = ("zero", "mean", "drop")
GROUP_RULES = ("sector", "score")
GROUPS = ("targeted_platform", "aligned_ai", "hard_tech", "other")
TARGETED_SECTORS = ("consumer_platform", "fintech", "education", "recruitment_logistics", "crypto")
AI_SECTOR = "ai_vision_speech"
DEFAULT_AS_OF = "2021-12-31"
ROBUST_SHARE, NEVER_SHARE = 0.9, 0.1
CLASSES = ("aligned under almost any weighting", "depends on weights", "never aligned")


# --- indicators ----------------------------------------------------------------------------------------------
def _facts(alignment: pd.DataFrame | None) -> pd.DataFrame:
    """firm_id, indicator, value_num, effective date (month-precision facts at the end of their month)."""
    if alignment is None:
        from crackdown.data import load_alignment

        alignment = load_alignment()
    facts = alignment.copy()
    if "value_num" not in facts:
        text = facts["value"].astype(str).str.strip().str.lower()
        facts["value_num"] = pd.to_numeric(text.replace({"true": "1", "false": "0"}), errors="coerce")
    if "status" in facts:  # a not_found row is unknown, never false
        facts["value_num"] = facts["value_num"].where(facts["status"].astype(str).str.strip() == "found")
    if "as_of_precision" not in facts:
        raw = facts["as_of"].astype(str).str.strip()
        facts["as_of_precision"] = np.where(raw.str.fullmatch(r"\d{4}-\d{2}"), "month", "day")
    dates = pd.to_datetime(facts["as_of"].astype(str).str.strip(), format="mixed")
    month_end = dates + pd.offsets.MonthEnd(0)
    facts["effective"] = dates.where(facts["as_of_precision"] != "month", month_end)
    return facts[["firm_id", "indicator", "value_num", "effective"]]


def _universe(facts: pd.DataFrame, firms: pd.DataFrame | None, alignment_given: bool) -> pd.Index:
    """Firms of firms.csv (or of the injected ``firms``); with an injected alignment and no firms, its firms."""
    if firms is None and not alignment_given:
        from crackdown.data import load_firms

        firms = load_firms()
    ids = list(firms["firm_id"]) if firms is not None else []
    return pd.Index(sorted(set(ids) | set(facts["firm_id"])), name="firm_id")


def indicator_matrix(as_of: str = DEFAULT_AS_OF, *, alignment: pd.DataFrame | None = None,
                     firms: pd.DataFrame | None = None) -> pd.DataFrame:
    """Firms x :data:`INDICATORS` in [0, 1] from facts dated on or before ``as_of``; NaN where none is recorded.

    ``alignment`` (long format like data/alignment.csv: firm_id, indicator, value, as_of) and ``firms`` (with
    firm_id) default to the shipped tables; rows are every firm of ``firms`` plus any firm with a fact.
    """
    cutoff = params.date("as_of", as_of)
    facts = _facts(alignment)
    universe = _universe(facts, firms, alignment is not None)
    kept = facts[(facts["effective"] <= cutoff) & facts["value_num"].notna()]
    latest = (kept.sort_values(["effective", "value_num"])
              .groupby(["firm_id", "indicator"])["value_num"].last())
    raw = latest.unstack("indicator")
    if "state_shareholder_stake" in raw:
        raw["state_shareholder_stake"] = (raw["state_shareholder_stake"] > 0).where(
            raw["state_shareholder_stake"].notna()).astype(float)
    columns = {name: raw.reindex(columns=list(src)).max(axis=1, skipna=True) for name, src in SOURCES.items()}
    matrix = pd.DataFrame(columns, columns=list(INDICATORS)).reindex(universe).clip(0, 1)
    matrix.columns.name = "indicator"
    return matrix.astype(float)


def indicator_coverage(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: firms with a recorded fact, of which above 0 and at 0, and the mean of the recorded values.

    An indicator with no firm at 0 is recorded only where it holds (no "checked: not so" facts), so under
    ``missing="mean"`` it imputes its mean (then 1) to every firm without a fact.
    """
    observed = matrix.notna()
    return pd.DataFrame({
        "firms_with_fact": observed.sum(),
        "above_zero": (matrix > 0).sum(),
        "at_zero": (matrix == 0).sum(),
        "mean_recorded": matrix.mean(),
    }).rename_axis("indicator")


def panel_coverage(as_of: str | None = DEFAULT_AS_OF, *, alignment: pd.DataFrame | None = None,
                   firms: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per raw core indicator of data/alignment.csv: firms found true, found false, not found and with no row,
    counting facts dated on or before ``as_of`` (None = all); see :func:`crackdown.data.panel.panel_status`."""
    from crackdown.data.panel import panel_counts, panel_status

    given = alignment is not None
    if alignment is None:
        from crackdown.data import load_alignment

        alignment = load_alignment()
    universe = _universe(_facts(alignment), firms, given)
    return panel_counts(panel_status(alignment, universe, as_of=as_of))


# --- scores --------------------------------------------------------------------------------------------------
def check_weights(weights: Mapping[str, float] | None) -> pd.Series:
    """Weights over :data:`INDICATORS`, normalised to sum 1; None = :data:`DEFAULT_WEIGHTS` (equal over every
    indicator but ``us_sanctioned``, which gets 0); unnamed indicators get 0."""
    if weights is None:
        weights = DEFAULT_WEIGHTS
    if not isinstance(weights, Mapping):
        raise CrackdownError(f"weights: expected a dict indicator -> weight, got {weights!r}")
    for name, value in weights.items():
        if name not in INDICATORS:
            raise unknown_name_error("indicator", name, INDICATORS, "weights")
        params.number(f"weights: the weight of {name}", value, 0)
    series = pd.Series({name: float(weights.get(name, 0.0)) for name in INDICATORS}, name="weight")
    if series.sum() <= 0:
        raise CrackdownError("weights: every weight is zero (or none is given); give at least one a positive weight")
    return series / series.sum()


def _check_missing(missing: str) -> str:
    if missing not in MISSING_POLICIES:
        raise unknown_name_error("missing-fact policy", str(missing), MISSING_POLICIES, "missing")
    return missing


def _check_threshold(threshold: float, name: str = "threshold") -> float:
    return params.number(name, threshold, 0.0, 1.0)


def filled(matrix: pd.DataFrame, missing: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values with NaN replaced per ``missing``, 0/1 mask of the values that count).

    ``zero``/``mean``: every value counts (NaN -> 0 or the column mean over firms with a fact; an indicator with
    no fact at all -> 0). ``drop``: only observed values count (NaN -> 0 with mask 0).
    """
    _check_missing(missing)
    observed = matrix.notna().astype(float)
    if missing == "mean":
        return matrix.fillna(matrix.mean()).fillna(0.0), pd.DataFrame(1.0, matrix.index, matrix.columns)
    if missing == "zero":
        return matrix.fillna(0.0), pd.DataFrame(1.0, matrix.index, matrix.columns)
    return matrix.fillna(0.0), observed


def weighted_scores(values: pd.DataFrame, mask: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
    """Scores for each row of ``weights`` (draws x indicators): draws x firms, NaN where no weight is observed."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    numerator = w @ (values.to_numpy() * mask.to_numpy()).T
    denominator = w @ mask.to_numpy().T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def alignment_scores(weights: Mapping[str, float] | None = None, missing: str = "zero", threshold: float = 0.5,
                     as_of: str = DEFAULT_AS_OF, *, alignment: pd.DataFrame | None = None,
                     firms: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per firm: ``score`` (weighted mean of the indicators, weights normalised), ``rank`` (1 = most aligned, ties
    share the best rank), ``aligned`` (score >= threshold), ``n_indicators`` (indicators with a recorded fact).

    Sorted by rank. Under ``missing="drop"`` firms with no observed indicator of positive weight are left out.
    """
    w = check_weights(weights)
    _check_missing(missing)
    threshold = _check_threshold(threshold)
    matrix = indicator_matrix(as_of, alignment=alignment, firms=firms)
    values, mask = filled(matrix, missing)
    score = pd.Series(weighted_scores(values, mask, w.to_numpy())[0], index=matrix.index, name="score")
    out = pd.DataFrame({"score": score, "n_indicators": matrix.notna().sum(axis=1).astype(int)}).dropna(
        subset=["score"])
    out["rank"] = out["score"].rank(ascending=False, method="min").astype(int)
    out["aligned"] = out["score"] >= threshold
    return out[["score", "rank", "aligned", "n_indicators"]].sort_values(["rank", "score"]).rename_axis("firm_id")


# --- groups --------------------------------------------------------------------------------------------------
def firm_groups(scores: pd.DataFrame | None = None, threshold: float = 0.5, rule: str = "sector", *,
                firms: pd.DataFrame | None = None) -> pd.Series:
    """firm_id -> group: ``targeted_platform``, ``aligned_ai``, ``hard_tech`` or ``other``.

    ``targeted_platform``: sector_group consumer_platform, fintech, education, recruitment_logistics or crypto.
    ``aligned_ai``: sector_group ai_vision_speech; under ``rule="sector"`` every such firm, under
    ``rule="score"`` only those whose score (``scores``, default :func:`alignment_scores`) is >= ``threshold``
    (the others go to ``other``). ``hard_tech``: the hard_tech sector. ``other``: everything else (e.g. telecom
    equipment). Later event studies compare targeted_platform against aligned_ai.
    """
    if rule not in GROUP_RULES:
        raise unknown_name_error("grouping rule", str(rule), GROUP_RULES, "rule")
    threshold = _check_threshold(threshold)
    if firms is None:
        from crackdown.data import load_firms

        firms = load_firms()
    sector = firms.set_index("firm_id")["sector_group"]
    ai = sector == AI_SECTOR
    if rule == "score":
        if scores is None:
            scores = alignment_scores(threshold=threshold)
        ai &= scores["score"].reindex(sector.index).ge(threshold)
    group = np.select([sector.isin(TARGETED_SECTORS), ai, sector == "hard_tech"], list(GROUPS[:3]), GROUPS[3])
    return pd.Series(group, index=sector.index, name="group").rename_axis("firm_id")


# --- weight sensitivity --------------------------------------------------------------------------------------
class Sensitivity(NamedTuple):
    """Result of :func:`weight_sensitivity`."""

    draws: pd.DataFrame  #: tidy: draw, firm_id, score, rank, aligned
    summary: pd.DataFrame  #: per firm: share_aligned, median_score, median_rank, rank_p05/p25/p75/p95, classification
    weights: pd.DataFrame  #: draws x indicators, the Dirichlet weights used


def classify(share_aligned: pd.Series) -> pd.Series:
    """"aligned under almost any weighting" (share >= 0.9), "never aligned" (<= 0.1), else "depends on weights"."""
    label = np.select([share_aligned >= ROBUST_SHARE, share_aligned <= NEVER_SHARE], [CLASSES[0], CLASSES[2]],
                      CLASSES[1])
    return pd.Series(label, index=share_aligned.index, name="classification")


def dirichlet_weights(n_draws: int, seed: int, concentration: float = 1.0,
                      indicators: Sequence[str] | None = None) -> pd.DataFrame:
    """``n_draws`` x :data:`INDICATORS` weights, drawn from a symmetric Dirichlet(``concentration``) over
    ``indicators`` (default all; the others get weight 0), with one Generator seeded by ``seed``."""
    params.integer("n_draws", n_draws, 1)
    params.integer("seed", seed, 0)
    if params.number("concentration", concentration) <= 0:
        raise CrackdownError(f"concentration: expected a number > 0, got {concentration!r}")
    chosen = list(INDICATORS) if indicators is None else list(dict.fromkeys(indicators))
    params.subset("indicators", chosen, INDICATORS, empty_means_all=False, kind="indicator")
    rng = np.random.default_rng(seed)
    draws = rng.dirichlet(np.full(len(chosen), float(concentration)), size=n_draws)
    frame = pd.DataFrame(draws, columns=chosen).reindex(columns=list(INDICATORS), fill_value=0.0)
    return frame.rename_axis("draw")


def weight_sensitivity(n_draws: int = 1000, seed: int = 0, concentration: float = 1.0, missing: str = "zero",
                       threshold: float = 0.5, as_of: str = DEFAULT_AS_OF, *,
                       indicators: Sequence[str] | None = None, alignment: pd.DataFrame | None = None,
                       firms: pd.DataFrame | None = None) -> Sensitivity:
    """Scores and ranks under ``n_draws`` random Dirichlet weightings (one matrix product, no loop over draws).

    ``indicators``: the indicators whose weights are drawn (default all; e.g. those with a positive weight in the
    main specification, so an indicator switched off stays off).

    Summary per firm: share of draws in which it is aligned (score >= threshold), median score, median rank and
    5th/25th/75th/95th percentile ranks, and a classification (see :func:`classify`). Under ``missing="drop"`` a firm
    scores NaN in a draw where none of its observed indicators has weight; such draws are left out for it.
    """
    _check_missing(missing)
    threshold = _check_threshold(threshold)
    weights = dirichlet_weights(n_draws, seed, concentration, indicators)
    matrix = indicator_matrix(as_of, alignment=alignment, firms=firms)
    values, mask = filled(matrix, missing)
    scores = pd.DataFrame(weighted_scores(values, mask, weights.to_numpy()), index=weights.index,
                          columns=matrix.index)
    ranks = scores.rank(axis=1, ascending=False, method="min")
    draws = pd.DataFrame({"score": scores.stack(), "rank": ranks.stack()}).dropna().reset_index()
    draws["rank"] = draws["rank"].astype(int)
    draws["aligned"] = draws["score"] >= threshold
    summary = _summary(draws)
    return Sensitivity(draws[["draw", "firm_id", "score", "rank", "aligned"]], summary, weights)


def _summary(draws: pd.DataFrame) -> pd.DataFrame:
    by_firm = draws.groupby("firm_id")
    summary = pd.DataFrame({
        "share_aligned": by_firm["aligned"].mean(),
        "median_score": by_firm["score"].median(),
        "median_rank": by_firm["rank"].median(),
        "rank_p05": by_firm["rank"].quantile(0.05),
        "rank_p25": by_firm["rank"].quantile(0.25),
        "rank_p75": by_firm["rank"].quantile(0.75),
        "rank_p95": by_firm["rank"].quantile(0.95),
    })
    summary["classification"] = classify(summary["share_aligned"])
    return summary.sort_values(["median_rank", "share_aligned"], ascending=[True, False])


# --- results of notebook 03 ----------------------------------------------------------------------------------
def _findings(scores: pd.DataFrame, summary: pd.DataFrame, matrix: pd.DataFrame, parameters: Mapping[str, object],
              *, alignment: pd.DataFrame | None = None, firms: pd.DataFrame | None = None) -> dict:
    """The quantities :func:`results_record` reports (and :mod:`crackdown.words.alignment` words)."""
    if firms is None:
        from crackdown.data import load_firms

        firms = load_firms()
    missing, threshold, as_of = parameters["missing"], parameters["threshold"], parameters["as_of"]
    weight = check_weights(parameters["weights"])  # type: ignore[arg-type]
    sector = firms.set_index("firm_id")["sector_group"]
    coverage = indicator_coverage(matrix)
    n_facts = matrix.notna().sum(axis=1)
    aligned = scores.index[scores["aligned"]].tolist()
    only_true = coverage.index[(coverage["firms_with_fact"] > 0) & (coverage["at_zero"] == 0)].tolist()
    no_sanctions = {**weight.to_dict(), SANCTIONS: 0.0}
    aligned_wo = (alignment_scores(no_sanctions, missing, threshold, as_of, alignment=alignment, firms=firms)
                  .query("aligned").index.tolist() if sum(no_sanctions.values()) > 0 else None)
    # the sensitivity to counting sanctions: us_sanctioned weighted like the mean positive other indicator
    others = weight.drop(SANCTIONS)
    with_sanctions = {**weight.to_dict(), SANCTIONS: float(others[others > 0].mean())} if (others > 0).any() else None
    aligned_with = (alignment_scores(with_sanctions, missing, threshold, as_of, alignment=alignment, firms=firms)
                    .query("aligned").index.tolist() if with_sanctions and weight[SANCTIONS] == 0 else None)
    groups = firm_groups(scores, threshold, rule="sector", firms=firms)
    platforms = scores[groups.reindex(scores.index).eq("targeted_platform")]
    panel = panel_coverage(as_of, alignment=alignment, firms=firms)  # type: ignore[arg-type]
    return {
        "panel": panel, "weight": weight, "n_facts": n_facts, "aligned": aligned, "only_true": only_true,
        "robust": summary.index[summary["classification"] == CLASSES[0]].tolist(),
        "depends": summary.index[summary["classification"] == CLASSES[1]].tolist(),
        "aligned_wo": aligned_wo, "aligned_with": aligned_with, "aligned_by_sector": sector.reindex(aligned).value_counts().to_dict(),
        "platforms": platforms, "best_platform": platforms.index[0] if len(platforms) else None,
        "imputed": coverage.loc[only_true, "mean_recorded"],
        "top": scores[scores["score"] > 0].head(3).index.tolist(),
    }


def results_record(scores: pd.DataFrame, summary: pd.DataFrame, matrix: pd.DataFrame,
                   parameters: Mapping[str, object], *, alignment: pd.DataFrame | None = None,
                   firms: pd.DataFrame | None = None) -> dict:
    """Notebook 03's results: scores, ranks, aligned firms, sensitivity classes and data thinness (its words and
    answer: :mod:`crackdown.words.alignment`).

    ``scores``: :func:`alignment_scores`; ``summary``: :attr:`Sensitivity.summary`; ``matrix``:
    :func:`indicator_matrix`; ``parameters``: the notebook's weights, missing, threshold, as_of, n_draws, seed.
    """
    f = _findings(scores, summary, matrix, parameters, alignment=alignment, firms=firms)
    result = {
        "scores": scores["score"].round(6).to_dict(),
        "ranks": scores["rank"].to_dict(),
        "aligned_firms": f["aligned"],
        "robustly_aligned": f["robust"],
        "depends_on_weights": f["depends"],
        "share_aligned": summary["share_aligned"].round(4).to_dict(),
        "aligned_without_sanctions": f["aligned_wo"],
        "aligned_with_sanctions": f["aligned_with"],
        "aligned_by_sector": f["aligned_by_sector"],
        "best_targeted_platform": f["best_platform"],
        "n_firms": int(len(scores)),
        "n_firms_with_facts": int(matrix.notna().any(axis=1).sum()),
        "n_firms_at_most_one_fact": int((f["n_facts"] <= 1).sum()),
        "indicators_recorded_only_where_true": f["only_true"],
        "panel_coverage": {k: {s: int(n) for s, n in v.items()} for k, v in f["panel"].to_dict("index").items()},
        "weights_normalised": f["weight"].round(6).to_dict(),
        "top_firms": f["top"],
        "n_firms_three_or_more_facts": int((f["n_facts"] >= 3).sum()),
        "imputed_means": f["imputed"].to_dict(),
        "parameters": dict(parameters),
    }
    return result

"""Shared vocabularies of the analysis, one meaning per name (the data files' own vocabularies live in
:mod:`crackdown.data.schemas`).

Two names used to mean two things each; they are now separate names:

- enforcement actions (:data:`ENFORCEMENT_TYPES`: what counts as Beijing acting against a firm) versus the
  crackdown events of the market study (:data:`CRACKDOWN_EVENT_TYPES`: enforcement plus new rules and laws);
- the group every firm belongs to (:data:`FIRM_GROUP_LABELS`, from :func:`crackdown.alignment.firm_groups`)
  versus the groups the market study reports (:data:`MARKET_STUDY_GROUPS`: the studied firm groups plus the
  benchmark securities).
"""

from __future__ import annotations

# --- event types ---------------------------------------------------------------------------------------------
#: Regulatory actions that sanction or restrain a firm (enforcement counts, notebooks 02, 06 and 07).
ENFORCEMENT_TYPES: tuple[str, ...] = (
    "probe", "review", "summons", "fine", "app_removal", "merger_block", "freeze", "restructuring_order",
    "ipo_suspended",
)
#: Crackdown events of the market study (notebooks 04 and 08): every enforcement action plus the new rules and
#: laws aimed at the platforms (the tutoring rules moved markets more than any fine).
CRACKDOWN_EVENT_TYPES: tuple[str, ...] = (*ENFORCEMENT_TYPES, "rule", "law")
#: Adverse events of the aligned firms (the market study's reverse test).
ADVERSE_TYPES: tuple[str, ...] = ("sanction", "ipo_postponed", "ipo_withdrawn", "ipo_lapsed", "ipo_suspended")

# --- firm groups ---------------------------------------------------------------------------------------------
TARGETED, ALIGNED, HARD_TECH, OTHER, BENCHMARK = "targeted_platform", "aligned_ai", "hard_tech", "other", "benchmark"
#: The group of every firm (:func:`crackdown.alignment.firm_groups`).
FIRM_GROUP_LABELS: tuple[str, ...] = (TARGETED, ALIGNED, HARD_TECH, OTHER)
#: Firm groups whose securities the market study follows.
STUDIED_FIRM_GROUPS: tuple[str, ...] = (TARGETED, ALIGNED, HARD_TECH)
#: Groups the market study reports: the studied firm groups plus the benchmark securities.
MARKET_STUDY_GROUPS: tuple[str, ...] = (*STUDIED_FIRM_GROUPS, BENCHMARK)
#: Legs of the long-short portfolio: long the targeted platforms, short the aligned AI firms.
LONG, SHORT = TARGETED, ALIGNED
#: Sign of the long-short estimate if the thesis (aligned firms were spared) holds: targeted fell relative to aligned.
THESIS_SIGN = -1

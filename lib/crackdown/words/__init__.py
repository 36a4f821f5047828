"""The words of the report: each notebook's "what this shows" prose and its one-line answer, computed only from
the results record the notebook writes (``outputs/results/<notebook>.json``), so the page can never say what its
record does not hold.

One module per notebook, each with the one signature::

    narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str   # markdown under "What this shows"
    answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str      # the line of the answer box and index

``record`` is the record as written to JSON (:func:`crackdown.results.as_written`, re-exported here: keys sorted,
numbers and dates as JSON holds them), ``names`` maps firm ids, IPO ids, security symbols, event ids and claim ids to the names a reader sees
(:func:`display_names`);
the records keep the ids. A notebook with further prose cells has further functions of the same signature.

A notebook calls :func:`publish` (records the answer and writes the record) and then :func:`narrative`.
Dependencies point one way: analysis modules compute and never import this package; it may import their
constants.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

import pandas as pd

from crackdown.results import as_written, write_results

__all__ = ["MODULES", "answer", "as_written", "display_names", "module", "name", "named", "narrative", "publish"]

# notebook -> the module of its words (crackdown.words.<module>)
MODULES = {
    "00_summary": "summary",
    "01_data_coverage": "coverage",
    "02_timeline": "timeline",
    "03_alignment_index": "alignment",
    "04_market_reaction": "reaction",
    "05_ipo_outcomes": "ipo",
    "06_enforcement": "enforcement",
    "07_article_claims": "claims",
    "08_robustness": "robustness",
    "09_after_the_crackdown": "after",
}


def module(notebook: str) -> ModuleType:
    """The words module of ``notebook`` (:data:`MODULES`); a clear error for a notebook without one."""
    if notebook not in MODULES:
        raise KeyError(f"notebook: no words for {notebook!r}; known: {', '.join(MODULES)}")
    return importlib.import_module(f"crackdown.words.{MODULES[notebook]}")


def display_names() -> dict[str, str]:
    """Reader-facing names: firm id -> firm name (data/firms.csv), security symbol -> security name
    (data/securities.csv), IPO id -> "<firm name> (<venue without its note>, <year>)" (data/ipos.csv; the year of
    the attempt's first dated step), and event id and claim id -> their labels (:func:`crackdown.display.event_labels`
    and :func:`~crackdown.display.claim_labels`, the labels the tables show). Where two kinds share an id, the firm
    wins, then the IPO attempt, then the security."""
    from crackdown.data import load_firms, load_ipos, load_securities
    from crackdown.display import claim_labels, event_labels

    firms = load_firms().set_index("firm_id")["name"]
    securities = load_securities().set_index("symbol")["name"]
    ipos = load_ipos()
    steps = [c for c in ("filing_date", "approval_date", "planned_listing_date", "listing_date", "outcome_date")
             if c in ipos]
    first = ipos[steps].apply(pd.to_datetime, errors="coerce").bfill(axis=1).iloc[:, 0]
    year = first.dt.strftime("%Y").fillna("undated")  # an attempt with no dated step yet (pending) is "undated"
    venue = ipos["venue"].str.replace(r"\s*\(.*\)", "", regex=True)
    ipo = ipos["firm_id"].map(firms).fillna(ipos["firm_id"]) + " (" + venue + ", " + year + ")"
    return {**claim_labels(), **event_labels(), **securities.to_dict(), **dict(zip(ipos["ipo_id"], ipo, strict=True)),
            **firms.to_dict()}


def name(item: str, names: Mapping[str, str]) -> str:
    """The reader's name of a firm id, IPO id, symbol, event id or claim id (the id itself when ``names`` has
    none)."""
    return names.get(item, item)


def named(ids: Iterable[str], names: Mapping[str, str], limit: int | None = None) -> str:
    """Names of ``ids`` joined by commas ("none" when empty; beyond ``limit`` "a, b and 3 more")."""
    from crackdown.text import names as joined

    return joined([name(i, names) for i in ids], limit)


def publish(notebook: str, results: Mapping[str, Any], names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Record the notebook's answer (its words module's ``answer`` of the record, and any worded entries its
    ``recorded`` function returns) in ``results``, write them (:func:`crackdown.results.write_results`) and return
    the record as written."""
    names = display_names() if names is None else names
    record = as_written(notebook, results)
    words = module(notebook)
    extra = words.recorded(record, names) if hasattr(words, "recorded") else {}
    full = {**results, **extra, "answer": words.answer(record, names)}
    write_results(notebook, full)
    return as_written(notebook, full)


def narrative(notebook: str, record: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """The "what this shows" markdown of ``notebook`` from its record (:func:`publish`'s return)."""
    return module(notebook).narrative(record, display_names() if names is None else names)


def answer(notebook: str, record: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """The one-line answer of ``notebook`` from its record."""
    return module(notebook).answer(record, display_names() if names is None else names)


def __getattr__(attribute: str) -> ModuleType:
    """``crackdown.words.<module>`` on first use (each imports only what its words need)."""
    if attribute in MODULES.values():
        return importlib.import_module(f"crackdown.words.{attribute}")
    raise AttributeError(f"module 'crackdown.words' has no attribute {attribute!r}")

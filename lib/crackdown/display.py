"""Reader tables: a notebook's data frame shown with labelled columns and units, no row numbers, firm names
instead of ids, percentages where the prose uses percentages and p-values at three decimals; and the one home of
the labels readers see for events and claims (:func:`event_labels`, :func:`claim_labels`, used by tables and by
:func:`crackdown.words.display_names`) and of the rule that shortens a name or label for a figure (:func:`shorten`).

Every raw column a notebook shows has one entry in :data:`COLUMNS` (its label, with the unit, and how its values
are written). A frame with a column that has no entry is refused, naming the column, so a new raw column cannot
reach a page unlabelled; columns whose names are data values (event types, years) are labelled by the caller
with ``columns=``. Tables are display only: nothing here changes what a notebook computes or writes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from IPython.display import HTML
from pandas.io.formats.style import Styler

from crackdown.errors import CrackdownError
from crackdown.text import code_words as label_words  # notebooks label columns with it

MISSING = "–"  # what an empty cell shows
KINDS = ("text", "label", "int", "num", "pct", "p", "date", "bool", "firm", "firms", "list", "event", "events", "claim")
LIST_SEPARATORS = re.compile(r"\s*[;,]\s*")


@dataclass(frozen=True)
class Column:
    """How one raw column is shown: its ``label`` (with the unit), the ``kind`` of its values and the decimals.

    Kinds: ``text`` (as is), ``label`` (a code such as ``aligned_ai`` written as words: ``aligned AI``), ``int``,
    ``num``, ``pct`` (a fraction shown as a percentage: 0.0123 -> 1.23), ``p`` (a p-value, three decimals,
    ``< 0.001``), ``date`` (YYYY-MM-DD), ``bool`` (yes/no), ``firm`` (a firm id shown as the firm's name),
    ``firms`` (a list of firm ids, as names), ``list`` (a list of ids, in full), ``event`` (an event id shown as
    its :func:`event_labels` label), ``events`` (a list of event ids, as labels joined by semicolons) and
    ``claim`` (a claim id shown as its :func:`claim_labels` label). Tables keep the id column beside a label
    column (the site links the ids to their data rows and sources).
    """

    label: str
    kind: str = "text"
    decimals: int = 2

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CrackdownError(f"Column {self.label!r}: unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}")


def _c(label: str, kind: str = "text", decimals: int = 2) -> Column:
    return Column(label, kind, decimals)


T, P = "num", "p"
#: The label and kind of every raw column the notebooks show, one home for all of them.
COLUMNS: dict[str, Column] = {
    # identities
    "firm_id": _c("firm", "firm"), "firm_ids": _c("firms named", "firms"), "targets": _c("firms named", "firms"),
    "name": _c("name"), "symbol": _c("symbol"), "exchange": _c("exchange"), "market": _c("market (venue)"),
    "venue": _c("venue"), "event_id": _c("event id (data row)"), "ipo_id": _c("IPO attempt"),
    "claim_id": _c("claim id (data row)"), "event": _c("event", "event"), "claim_label": _c("claim", "claim"),
    "merged_ids": _c("events merged (same day 0)", "list"), "event_ids": _c("events", "list"),
    "counted_events": _c("events counted", "list"), "punished_by": _c("punished by (events)", "list"),
    "group": _c("firm group", "label"), "sector_group": _c("sector group", "label"), "lane": _c("sector group", "label"),
    "security_type": _c("security type", "label"), "price_basis": _c("price basis", "label"),
    "type": _c("event type", "label"), "kind": _c("kind", "label"), "actor": _c("actor"),
    "indicator": _c("indicator", "label"), "axis": _c("choice axis", "label"), "choice": _c("choice"),
    "event_set": _c("event set", "label"), "grouping": _c("aligned group rule", "label"),
    "rule": _c("rule", "label"), "test": _c("test", "label"), "regressor": _c("regressor", "label"),
    "case": _c("case"), "classification": _c("aligned across the weightings"), "reason": _c("reason dropped"),
    "period_label": _c("period", "label"), "listing_regime": _c("listing regime", "label"),
    "outcome": _c("outcome", "label"), "delayed_by": _c("delayed by", "label"), "currency": _c("currency"),
    "price_currency": _c("price currency"), "window": _c("event window (sessions)"), "alike": _c("both legs alike", "bool"),
    "benchmark (local market)": _c("benchmark (local market)"), "year": _c("year"), "coding": _c("coding", "label"), "measure": _c("measure", "label"),
    "quantity": _c("quantity"), "value": _c("value"),
    "line_of_evidence": _c("line of evidence"), "notebook": _c("notebook"), "statistic": _c("test"),
    "direction": _c("direction"), "verdict": _c("verdict"), "verdict_later": _c("verdict later"),
    "verdict_as_of": _c("verdict (at the evaluation date)"), "verdict_at_article": _c("verdict (at the article)"), "aged": _c("aged"),
    "change": _c("change"), "claim": _c("claim"), "who": _c("who says it"), "evidence": _c("evidence"),
    "computed_by": _c("computed by"), "data_rows": _c("data rows", "list"),
    "at_article": _c("status at the article", "label"), "at_as_of": _c("status at the evaluation date", "label"),
    "aged_badly": _c("aged badly", "bool"), "starts_before": _c("return starts before the window", "bool"),
    "ends_after": _c("resumption just after the window", "bool"), "not_estimated": _c("not estimated (why)"),
    # dates
    "date": _c("date", "date"), "day0": _c("day 0", "date"), "first": _c("first price", "date"),
    "last": _c("last price", "date"), "first_priced": _c("first price", "date"), "last_priced": _c("last price", "date"),
    "first_enforcement": _c("first enforcement action", "date"), "start": _c("first step", "date"),
    "outcome_date": _c("outcome date", "date"), "filing_date": _c("filing date", "date"),
    "listing_date": _c("listing date", "date"), "decided": _c("decided", "date"),
    # flags
    "aligned": _c("aligned", "bool"), "listed": _c("listed", "bool"), "us_listed": _c("on a US list", "bool"),
    "listed_baseline": _c("listed (baseline)", "bool"), "listed_by_end": _c("listed by the period's end", "bool"),
    "in_curve": _c("in the curve", "int"),
    # counts
    "n": _c("n", "int"), "n_events": _c("events", "int"), "n_pairs": _c("event-firm pairs", "int"),
    "n_firms": _c("firms", "int"), "n_indicators": _c("indicators recorded", "int"), "sessions": _c("sessions", "int"),
    "priced": _c("sessions priced", "int"), "missing": _c("sessions missing", "int"), "securities": _c("securities", "int"),
    "events_with_car": _c("events with a CAR", "int"), "max_span": _c("longest return (sessions)", "int"),
    "n_days": _c("sessions in the window", "int"), "total": _c("total", "int"), "actions": _c("punitive actions", "int"),
    "penalties": _c("penalties", "int"), "amount_unstated": _c("penalties without a stated amount", "int"),
    "attempts": _c("IPO attempts", "int"), "n_attempts": _c("IPO attempts", "int"), "n_listed": _c("listed", "int"),
    "firms_with_fact": _c("firms with a fact", "int"), "above_zero": _c("firms above zero", "int"),
    "at_zero": _c("firms at zero", "int"), "found_true": _c("found true", "int"), "found_false": _c("found false", "int"),
    "not_found": _c("searched, not found", "int"), "no_row": _c("no row", "int"), "rank": _c("rank (1 = most aligned)", "int"),
    "specifications": _c("specifications", "int"), "n_specs": _c("specifications", "int"),
    "min_events": _c("events (fewest)", "int"), "max_events": _c("events (most)", "int"),
    "targeted_firms": _c("targeted firms", "int"), "min_aligned_firms": _c("aligned firms (fewest)", "int"),
    "max_aligned_firms": _c("aligned firms (most)", "int"), "firms": _c("firms", "int"),
    "permutations": _c("permutations", "int"), "claims": _c("claims", "int"), "n_priced": _c("listings with a price", "int"),
    "n_no_amount": _c("listings without an amount", "int"), "securities_targeted": _c("securities, targeted", "int"),
    "securities_aligned": _c("securities, aligned AI", "int"), "days_to_list": _c("days to list", "int"),
    "median_days_to_list": _c("days to list (median)", "num", 1), "n_clusters": _c("clusters", "int"),
    # returns (fractions shown as percentages, like the prose)
    "caar": _c("CAAR (%)", "pct"), "car": _c("CAR (%)", "pct"), "bhar": _c("BHAR (%)", "pct"),
    "portfolio_car": _c("portfolio CAR (%)", "pct"), "portfolio_se": _c("portfolio CAR SE (%)", "pct"),
    "se": _c("SE (%)", "pct"), "median_estimate": _c("median long-short CAR (%)", "pct"),
    "spread": _c("spread of the medians (percentage points)", "pct"), "long_short": _c("long-short CAR (%)", "pct"),
    "caar_targeted": _c("CAAR targeted (%)", "pct"), "caar_aligned": _c("CAAR aligned AI (%)", "pct"),
    "estimate": _c("estimate (%; calendar time: mean daily AR)", "pct"), "target": _c("estimate of", "label"), "coef": _c("coefficient (percentage points of CAR)", "pct"),
    "sanction_coef": _c("sanction coefficient (percentage points of CAR)", "pct"),
    "first_day_return": _c("first-day return (%)", "pct"), "median_first_day_return": _c("first-day return, median (%)", "pct"),
    # shares (fractions shown as percentages)
    "missing_share": _c("sessions missing (%)", "pct", 1), "listed_share": _c("listed (%)", "pct", 1),
    "share_listed": _c("listed (%)", "pct", 1), "share_aligned": _c("draws scoring it aligned (%)", "pct", 1),
    "listed_share_aligned": _c("listed, aligned (%)", "pct", 1), "listed_share_not_aligned": _c("listed, others (%)", "pct", 1),
    "max_share_of_revenue": _c("largest fine, share of revenue (%)", "pct", 1),
    # scores and other numbers
    "score": _c("alignment score (0 to 1)", "num", 3), "median_score": _c("alignment score, median", "num", 3),
    "median_rank": _c("rank, median", "num", 1), "rank_p05": _c("rank, 5th percentile", "num", 1),
    "rank_p25": _c("rank, 25th percentile", "num", 1), "rank_p75": _c("rank, 75th percentile", "num", 1),
    "rank_p95": _c("rank, 95th percentile", "num", 1), "mean_recorded": _c("mean of recorded values", "num", 3),
    "normalised weight": _c("normalised weight", "num", 3), "rho": _c("Spearman rho", "num", 3),
    "odds_ratio": _c("odds ratio", "num", 2), "rbar": _c("mean residual correlation", "num", 3),
    "rbar_overlap": _c("mean residual correlation (overlapping events)", "num", 3),
    "fined_CNY": _c("fines stated (CNY million)", "num", 1), "amount": _c("amount raised (million)", "num", 1),
    "raised_CNY": _c("raised (CNY million)", "num", 1), "raised_HKD": _c("raised (HKD million)", "num", 1),
    "raised_USD": _c("raised (USD million)", "num", 1), "offer_price": _c("offer price", "num", 2),
    "first_day_close": _c("first-day close", "num", 2),
    # test statistics and p-values
    "t": _c("t", T), "t_cs": _c("t (cross-sectional)", T), "bmp_t": _c("t (BMP)", T),
    "kp_t": _c("t (BMP, Kolari-Pynnönen)", T), "kp_overlap_t": _c("t (Kolari-Pynnönen, overlapping events)", T),
    "corrado_t": _c("t (Corrado rank)", T), "gsign_z": _c("z (generalized sign)", T), "portfolio_t": _c("t (portfolio)", T),
    "p": _c("p", P), "p_value": _c("p", P), "p_holm": _c("p (Holm-adjusted)", P), "p_cs": _c("p (cross-sectional)", P),
    "p_bmp": _c("p (BMP)", P), "p_kp": _c("p (BMP, Kolari-Pynnönen)", P),
    "p_kp_overlap": _c("p (Kolari-Pynnönen, overlapping events)", P), "p_corrado": _c("p (Corrado rank)", P),
    "p_gsign": _c("p (generalized sign)", P), "p_portfolio": _c("p (portfolio)", P),
    "permutation p": _c("p (permutation)", P), "asymptotic p": _c("p (asymptotic)", P),
}


@cache
def firm_names() -> dict[str, str]:
    """Firm id -> name, from data/firms.csv."""
    from crackdown.data import load_firms

    firms = load_firms()
    return dict(zip(firms["firm_id"], firms["name"], strict=True))


ELLIPSIS = "…"
TRAILING_NOTE = re.compile(r"\s*\([^()]*\)$")
#: Longest event or claim label in tables and prose (characters); figures pass a shorter limit.
LABEL_CHARS = 80


def shorten(text: str, max_chars: int) -> str:
    """``text`` in at most ``max_chars`` characters, by one documented rule: as is when it fits; else without a
    trailing note in parentheses ("Ping An Insurance (Group)" -> "Ping An Insurance") when that makes it fit; else
    cut after the last whole word that fits, with "…" (trailing punctuation dropped)."""
    if max_chars < 2:
        raise CrackdownError(f"max_chars: expected at least 2, got {max_chars}")
    text = " ".join(str(text).split())
    if len(text) <= max_chars:
        return text
    bare = TRAILING_NOTE.sub("", text)
    if bare and len(bare) <= max_chars:
        return bare
    cut = text[: max_chars - 1]
    if text[max_chars - 1] != " " and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–(") + ELLIPSIS


def event_label_series(events: pd.DataFrame, max_chars: int = LABEL_CHARS) -> pd.Series:
    """Event id -> the reader's label of each event of ``events`` (columns ``event_id`` and ``description``): its
    description up to the first semicolon, shortened by :func:`shorten` (the date is not in the label: tables show
    it in its own column and prose next to it)."""
    missing = {"event_id", "description"} - set(events.columns)
    if missing:
        raise CrackdownError(f"events: column(s) {', '.join(sorted(missing))} missing; an event label needs the "
                             "event_id and description columns")
    first = events["description"].fillna("").astype(str).str.split(";", n=1).str[0].str.strip()
    labels = first.map(lambda t: shorten(t, max_chars)).where(first != "", events["event_id"])
    return pd.Series(labels.to_numpy(), index=events["event_id"].to_numpy(), name="event")


def claim_label_series(claims: pd.DataFrame, max_chars: int = LABEL_CHARS) -> pd.Series:
    """Claim id -> the reader's label of each claim of ``claims`` (columns ``claim_id`` and ``claim``): the claim
    in our words, shortened by :func:`shorten`."""
    missing = {"claim_id", "claim"} - set(claims.columns)
    if missing:
        raise CrackdownError(f"claims: column(s) {', '.join(sorted(missing))} missing; a claim label needs the "
                             "claim_id and claim columns")
    text = claims["claim"].fillna("").astype(str).str.strip()
    labels = text.map(lambda t: shorten(t, max_chars)).where(text != "", claims["claim_id"])
    return pd.Series(labels.to_numpy(), index=claims["claim_id"].to_numpy(), name="claim")


def event_labels(max_chars: int = LABEL_CHARS) -> dict[str, str]:
    """Event id -> label (:func:`event_label_series`), from data/events.csv."""
    from crackdown.data import load_events

    return event_label_series(load_events(), max_chars).to_dict()


def claim_labels(max_chars: int = LABEL_CHARS) -> dict[str, str]:
    """Claim id -> label (:func:`claim_label_series`), from data/claims.csv (none when the optional register is
    absent)."""
    from crackdown import paths
    from crackdown.data.loaders import load_claims_table

    if not (paths.data_dir() / "claims.csv").is_file():
        return {}
    return claim_label_series(load_claims_table(_claim_evaluators), max_chars).to_dict()


def _claim_evaluators() -> dict[str, frozenset[str]]:
    """The claims evaluators' parameters, imported only when claims.csv must be validated (the claims package
    imports the event-study engine, which pages that only show labels do not need)."""
    from crackdown.claims import evaluator_parameters

    return evaluator_parameters()


#: Longest firm name on a figure's axis or annotation (characters).
FIGURE_NAME_CHARS = 28


def short_names(ids: Iterable[str], max_chars: int = FIGURE_NAME_CHARS, names: Mapping[str, str] | None = None) -> list[str]:
    """Figure labels of firm ids: each firm's name (:func:`firm_names`, or ``names``) shortened by
    :func:`shorten` to ``max_chars``; an id without a name stays as it is."""
    lookup = names if names is not None else firm_names()
    return [shorten(lookup.get(i, i), max_chars) for i in ids]


def _as_list(value) -> list[str]:
    if isinstance(value, (list, tuple, set, np.ndarray, pd.Series)):
        return [str(v) for v in value]
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return []
    return [t for t in LIST_SEPARATORS.split(str(value)) if t]


def format_values(values: pd.Series, column: Column, names: Mapping[str, str] | None = None) -> pd.Series:
    """``values`` as the text a reader sees, by ``column.kind`` (``–`` where a value is missing)."""
    kind, d = column.kind, column.decimals
    if kind in ("firms", "list"):
        lookup = names if names is not None else firm_names()
        mapped = values.map(_as_list)
        if kind == "firms":
            mapped = mapped.map(lambda ids: [lookup.get(i, i) for i in ids])
        return mapped.map(", ".join).replace("", MISSING)
    missing = values.isna()
    if kind in ("int", "num", "pct", "p"):
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        missing = numbers.isna()
        if kind == "int":
            text = numbers.fillna(0).round().astype(np.int64).map("{:,}".format)
        elif kind == "num":
            text = numbers.map(f"{{:,.{d}f}}".format)
        elif kind == "pct":
            text = (100 * numbers).map(f"{{:,.{d}f}}".format)
        else:
            text = numbers.map("{:.3f}".format).where(numbers >= 0.001, "< 0.001")
    elif kind == "date":
        dates = pd.to_datetime(values, errors="coerce")
        missing = dates.isna()
        text = dates.dt.strftime("%Y-%m-%d")
    elif kind == "bool":
        text = values.map({True: "yes", False: "no"}).fillna(values.astype(str))  # 1 and 0 match True and False
    elif kind == "firm":
        lookup = names if names is not None else firm_names()
        text = values.map(lambda v: lookup.get(v, v))
    elif kind == "events":
        lookup = event_labels()
        text = values.map(_as_list).map(lambda ids: "; ".join(lookup.get(i, i) for i in ids)).replace("", MISSING)
    elif kind in ("event", "claim"):
        lookup = event_labels() if kind == "event" else claim_labels()
        text = values.map(lambda v: lookup.get(v, v))
    elif kind == "label":
        text = values.map(label_words)
    else:
        text = values.astype(str)
    return text.where(~missing, MISSING).astype(object)


def _flat_name(name) -> str:
    return " ".join(str(p) for p in name if str(p)) if isinstance(name, tuple) else str(name)


def reader_frame(frame: pd.DataFrame, columns: Mapping[str, Column] | None = None,
                 names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` as a reader sees it: a named index becomes the first column(s) (an unnamed integer index, row
    numbers, is dropped; any other unnamed index is an error), every column labelled and its values written out
    (all text). ``columns`` labels columns not in :data:`COLUMNS` (or overrides them); a column in neither is an
    error naming it."""
    vocabulary = {**COLUMNS, **(columns or {})}
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    elif not pd.api.types.is_integer_dtype(frame.index.dtype):
        raise CrackdownError("reader table: the index has no name, so its column could not be labelled; name it "
                             "(frame.rename_axis(...)) or reset it")
    unknown = [str(c) for c in frame.columns if _key(c, vocabulary) is None]
    if unknown:
        raise CrackdownError(f"reader table: column(s) {', '.join(map(repr, unknown))} have no label in "
                             "crackdown.display.COLUMNS; add one there or pass columns={...}")
    out = {}
    for c in frame.columns:
        column = vocabulary[_key(c, vocabulary)]
        if column.label in out:
            raise CrackdownError(f"reader table: two columns would show as {column.label!r}; label one of them "
                                 "differently with columns={...}")
        out[column.label] = format_values(frame[c].reset_index(drop=True), column, names)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _key(name, vocabulary: Mapping) -> object | None:
    if name in vocabulary:
        return name
    flat = _flat_name(name)
    return flat if flat in vocabulary else None


def reader_table(frame: pd.DataFrame, columns: Mapping[str, Column] | None = None, *, uuid: str | None = None,
                 caption: str | None = None, shade: Mapping[str, pd.Series] | None = None,
                 names: Mapping[str, str] | None = None) -> HTML:
    """:func:`reader_frame` as an HTML table without row numbers, with a fixed table id (``uuid``, by default
    derived from the table's content, so a rerun gives the same output). ``shade`` colours the cells of the
    labelled columns it names by the given values (a red-blue scale centred on zero)."""
    shown = reader_frame(frame, columns, names)
    uuid = uuid or "t" + hashlib.sha256(shown.to_csv().encode()).hexdigest()[:10]
    styler = Styler(shown, uuid=uuid, cell_ids=False)  # ids only on shaded cells: smaller pages
    styler = styler.hide(axis="index").format(escape="html").format_index(escape="html", axis=1)
    if caption:
        styler = styler.set_caption(caption)
    for label, values in (shade or {}).items():
        if label not in shown.columns:
            raise CrackdownError(f"reader table: shade names {label!r}, which is not a shown column")
        numbers = pd.to_numeric(pd.Series(values).reset_index(drop=True), errors="coerce").astype(float)
        bound = float(np.nanmax(np.abs(numbers))) if numbers.notna().any() else 1.0
        styler = styler.background_gradient(cmap="RdBu", subset=[label], gmap=numbers.to_numpy(), vmin=-bound or -1,
                                            vmax=bound or 1)
    return HTML(styler.set_table_attributes('class="reader-table"').to_html())


#: The unit of each line of evidence's headline estimate (crackdown.summary.EVIDENCE), as its page writes it.
HEADLINE_UNITS = {"04_market_reaction": "%", "05_ipo_outcomes": "percentage points", "06_enforcement": "rho",
                  "09_after_the_crackdown": "percentage points"}


def headline_value(estimate: float | None, unit: str) -> str:
    """A headline estimate in the unit the pages use: ``%`` and ``percentage points`` scale a fraction by 100,
    anything else (``rho``) is written with two decimals."""
    if estimate is None or not np.isfinite(estimate):
        return MISSING
    if unit == "%":
        return f"{100 * estimate:.1f}%"  # as crackdown.text.pct writes it in the answers
    if unit == "percentage points":
        return f"{100 * estimate:+.1f} percentage points"
    return f"{unit} {estimate:+.2f}"

"""The one definition of every data table: columns, vocabularies, checks (pandera) and typed conversion.

``crackdown data check`` and the loaders both go through :func:`validate_table`, so a rule lives in one
place. Tables are read as text (:func:`read_table`) with the CSV line number as index, so a failing row is
reported by the line a user sees in an editor (header = line 1, first data row = line 2).
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from crackdown.data.violations import Violation
from crackdown.errors import CrackdownError

if TYPE_CHECKING:  # pandera is imported where a table is validated: kernels reading the data cache never need it
    import pandera.pandas as pa

# --- vocabularies (see data/README.md) -------------------------------------------------------------------
SECTOR_GROUPS = (
    "consumer_platform", "fintech", "education", "recruitment_logistics", "crypto",
    "ai_vision_speech", "hard_tech", "telecom_equipment", "telecom_operator", "cybersecurity_it",
    "robotics_autonomy", "large_models",
)
LISTING_STATUSES = ("listed", "private", "delisted")
SECURITY_TYPES = ("adr", "ordinary_share", "a_share", "etf", "index")
EXCHANGES = ("XNYS", "XNAS", "XHKG", "XSHG", "XSHE")
CURRENCIES = ("USD", "HKD", "CNY")
PRICE_BASES = ("raw_and_adjusted", "adjusted_only", "index_points", "none")
EVENT_TYPES = (
    "policy", "designation", "rule", "law", "probe", "review", "summons", "fine", "app_removal",
    "merger_block", "freeze", "restructuring_order", "golden_share", "ipo_filing", "ipo_approval",
    "ipo_listed", "ipo_suspended", "ipo_postponed", "ipo_withdrawn", "ipo_shelved", "ipo_lapsed",
    "delisting", "sanction", "easing", "media_signal",
)
#: ``pending``: attempt started (tutoring, board plan or filing), no decision found in any source;
#: ``under_review``: the exchange accepted the application and no committee result was found
IPO_OUTCOMES = ("listed", "postponed", "suspended", "withdrawn", "shelved", "lapsed", "stalled", "pending",
                "under_review")
#: attempts still open at the data's end (neither listed nor ended)
OPEN_IPO_OUTCOMES = ("pending", "under_review")
#: the listing route (data/README.md): HKEX Main Board (standard, secondary or dual-primary; Chapter 18C not
#: established), HKEX Chapter 18A (pre-revenue biotech) and 18C (specialist technology) stated by a source, SSE
#: STAR Market with the numbered standard unverified or the fifth (no-profit) standard stated, Nasdaq/NYSE, other
LISTING_REGIMES = ("hkex_main_board", "hkex_chapter_18a", "hkex_chapter_18c", "star_standard", "star_fifth_standard",
                   "nasdaq", "nyse", "other")
DELAYED_BY = ("none", "beijing_regulators", "us_sanctions", "market_conditions", "firm_decision", "unknown")
#: the indicators every firm must have at least one alignment row for (found or not_found)
CORE_INDICATORS = (
    "govt_revenue_share", "state_shareholder", "ai_platform_member", "golden_share", "us_entity_list",
    "ns_cmic_list", "dod_1260h_list",
)
SHARE_INDICATORS = ("govt_revenue_share", "smart_city_revenue_share", "public_security_revenue_share",
                    "state_shareholder_stake", "platform_shareholder_stake")
BOOL_INDICATORS = ("state_shareholder", "ai_platform_member", "golden_share", "us_entity_list", "ns_cmic_list",
                   "dod_1260h_list", "sdn_list", "party_committee_in_articles", "state_fund_cornerstone",
                   "fcc_covered_list", "ndaa_889_procurement_ban")
INDICATORS = tuple(dict.fromkeys((*CORE_INDICATORS, *SHARE_INDICATORS, *BOOL_INDICATORS)))
UNITS = ("share", "bool", "year")
INDICATOR_UNITS = {**dict.fromkeys(SHARE_INDICATORS, "share"), **dict.fromkeys(BOOL_INDICATORS, "bool")}
#: ``found``: the fact was established (value holds it); ``not_found``: searched, nothing found (value empty,
#: sources name what was searched, notes say what was looked for)
ALIGNMENT_STATUSES = ("found", "not_found")
#: source hosts that are not an original outlet: staging/test servers, proxies, mirrors, bare IP addresses
BLOCKED_SOURCE_HOSTS: dict[str, str] = {
    r"(?:^|\.)(?:testing|staging|stage|test|web-qa|qa|dev|uat|preprod)(?:-[a-z0-9]+)?\.": "a staging or test server",
    r"proxy": "a proxy host",
    (r"wikipedia-on-ipfs\.org$|(?:^|\.)owiki\.org$|\.cloudfront\.net$|^mcdn\.i-scmp\.com$|"
     r"(?:^|\.)(?:vdocuments\.net|pdfslide\.net|docslib\.org|fdocuments\.us|taowenge\.com)$"): "a mirror host",
    r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$": "a bare IP address (mirror of unclear origin)",
}
PENALTY_TYPES = ("fine", "confiscation", "rectification_order", "warning", "business_suspension")
CONFIDENCES = ("high", "medium", "low")
#: IANA zones an announcement time may be stated in (``events.tz``)
TIME_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Seoul", "Asia/Tokyo", "America/New_York",
              "America/Los_Angeles", "Europe/London", "Europe/Brussels", "UTC")
#: ``events.time_source`` of a row without a time
TIME_NOT_STATED = "not stated in the sources"
BOOLS = ("true", "false")

ID_PATTERN = r"[a-z0-9_]+"
URL_PATTERN = r"https?://[^\s;]+"
LIST_SEP = ";"


@dataclass(frozen=True)
class Col:
    """A column: its name, kind (what its text must look like), whether it may be empty, its vocabulary."""

    name: str
    kind: str
    required: bool = False
    vocab: tuple[str, ...] = ()
    unique: bool = False


@dataclass(frozen=True)
class RowCheck:
    """A rule across columns of one row; a failing row is reported against ``column``."""

    column: str
    reason: str
    passes: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Col, ...]
    row_checks: tuple[RowCheck, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class Refs:
    """Ids other tables may point to."""

    firm_ids: frozenset[str] = frozenset()
    symbols: frozenset[str] = frozenset()
    event_ids: frozenset[str] = frozenset()


# --- element tests (vectorised; cells are text, "" = empty) ----------------------------------------------
def _empty(s: pd.Series) -> pd.Series:
    return s.str.strip() == ""


def _items(s: pd.Series) -> pd.Series:
    """One row per ``;``-separated item, stripped, indexed by the cell's line (empty cells give no items)."""
    items = s.str.split(LIST_SEP).explode().str.strip()
    return items[items != ""]


def _all_items(s: pd.Series, ok: Callable[[pd.Series], pd.Series]) -> pd.Series:
    items = _items(s)
    good = ok(items).groupby(level=0).all()
    return good.reindex(s.index, fill_value=True).astype(bool)


def _iso_date(s: pd.Series) -> pd.Series:
    shaped = s.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    return shaped & pd.to_datetime(s.where(shaped), format="%Y-%m-%d", errors="coerce").notna()


def _month(s: pd.Series) -> pd.Series:
    shaped = s.str.fullmatch(r"\d{4}-\d{2}")
    return shaped & pd.to_datetime(s.where(shaped) + "-01", format="%Y-%m-%d", errors="coerce").notna()


def _number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.where(s.str.fullmatch(r"-?\d+(\.\d+)?")), errors="coerce")


KIND_TESTS: dict[str, tuple[Callable[..., pd.Series], str]] = {
    # kind: (test(series, col, refs) -> bool Series for non-empty cells, reason)
    "id": (lambda s, c, r: s.str.fullmatch(ID_PATTERN), "must be a snake_case id (a-z, 0-9, _)"),
    "text": (lambda s, c, r: pd.Series(True, index=s.index), ""),
    "vocab": (lambda s, c, r: s.isin(c.vocab), "must be one of {vocab}"),
    "vocab_list": (lambda s, c, r: _all_items(s, lambda i: i.isin(c.vocab)),
                   "every ';'-separated item must be one of {vocab}"),
    "firm": (lambda s, c, r: s.isin(r.firm_ids), "unknown firm_id (not in firms.csv)"),
    "firm_list": (lambda s, c, r: _all_items(s, lambda i: i.isin(r.firm_ids)),
                  "unknown firm_id (not in firms.csv)"),
    "symbol": (lambda s, c, r: s.isin(r.symbols), "unknown symbol (not in securities.csv)"),
    "event": (lambda s, c, r: s.isin(r.event_ids), "unknown event_id (not in events.csv)"),
    "date": (lambda s, c, r: _iso_date(s), "must be a valid ISO date YYYY-MM-DD"),
    "date_or_month": (lambda s, c, r: _iso_date(s) | _month(s),
                      "must be a valid ISO date YYYY-MM-DD or a month YYYY-MM"),
    "time": (lambda s, c, r: s.str.fullmatch(r"([01]\d|2[0-3]):[0-5]\d"), "must be a time HH:MM (24h)"),
    "amount": (lambda s, c, r: _number(s) >= 0, "must be a non-negative number"),
    "share": (lambda s, c, r: _number(s).between(0, 1), "must be a fraction between 0 and 1"),
    "bool": (lambda s, c, r: s.isin(BOOLS), "must be true or false"),
    "sources": (lambda s, c, r: _all_items(s, lambda i: i.str.fullmatch(URL_PATTERN)) & (_items(s).groupby(
        level=0).size().reindex(s.index, fill_value=0) > 0),
                "every ';'-separated source must be a full http(s) URL"),
}
LIST_KINDS = {"vocab_list", "firm_list", "sources"}
REF_KINDS = {"firm": "firm_ids", "firm_list": "firm_ids", "symbol": "symbols", "event": "event_ids"}


def _column_checks(col: Col, refs: Refs) -> list[pa.Check]:
    """The checks of one column: not empty (if required), then its kind's test on the non-empty cells."""
    import pandera.pandas as pa

    test, reason = KIND_TESTS[col.kind]

    def check(s: pd.Series) -> pd.Series:
        empty = _empty(s)
        return (test(s.where(~empty, ""), col, refs).fillna(False).astype(bool) & ~empty) | empty

    checks = [pa.Check(lambda s: ~_empty(s), error="must not be empty")] if col.required else []
    if reason:
        checks.append(pa.Check(check, error=reason.format(vocab=", ".join(col.vocab))))
    return checks


def _filled(df: pd.DataFrame, column: str) -> pd.Series:
    return ~_empty(df[column])


def _implies(condition: pd.Series, consequence: pd.Series) -> pd.Series:
    return ~condition | consequence


def _currency_with_amount(df: pd.DataFrame) -> pd.Series:
    return _filled(df, "amount") == _filled(df, "currency")


def _alignment_value_matches_unit(df: pd.DataFrame) -> pd.Series:
    number = _number(df["value"])
    return (
        ((df["unit"] == "share") & number.between(0, 1))
        | ((df["unit"] == "bool") & df["value"].isin(BOOLS))
        | ((df["unit"] == "year") & (number % 1 == 0) & number.between(1900, 2100))
        | ~df["unit"].isin(UNITS)  # the unit's own check reports that
    ).fillna(False)


def _alignment_value_by_status(df: pd.DataFrame) -> pd.Series:
    return ((df["status"] == "found") & _filled(df, "value")) | ((df["status"] == "not_found") & _empty(df["value"])) \
        | ~df["status"].isin(ALIGNMENT_STATUSES)  # the status's own check reports that


def source_hosts(sources: pd.Series) -> pd.Series:
    """The host of every ``;``-separated source URL, indexed by the cell's line (lower case, no port)."""
    hosts = _items(sources).str.extract(r"^https?://([^/?#\s]+)", expand=False).str.lower()
    return hosts.str.replace(r"^[^@]*@", "", regex=True).dropna()


def blocked_host_reason(hosts: pd.Series) -> pd.Series:
    """Per host: why it is not an acceptable source (see :data:`BLOCKED_SOURCE_HOSTS`), empty if it is fine."""
    reason = pd.Series("", index=hosts.index, dtype=object)
    for pattern, why in reversed(BLOCKED_SOURCE_HOSTS.items()):
        reason = reason.mask(hosts.str.contains(pattern, regex=True), why)
    return reason


def _time_zone_with_time(df: pd.DataFrame) -> pd.Series:
    return _filled(df, "time") == _filled(df, "tz")


def _time_source_matches_time(df: pd.DataFrame) -> pd.Series:
    stated = df["time_source"].str.strip() != TIME_NOT_STATED
    return (_filled(df, "time") & _filled(df, "time_source") & stated) | (_empty(df["time"]) & ~stated)


def _delisted_after_listed(df: pd.DataFrame) -> pd.Series:
    listed = pd.to_datetime(df["listing_date"], format="%Y-%m-%d", errors="coerce")
    delisted = pd.to_datetime(df["delisting_date"], format="%Y-%m-%d", errors="coerce")
    return ~(delisted < listed)


_STOCKS = ("adr", "ordinary_share", "a_share")
_SRC = (Col("sources", "sources", required=True), Col("confidence", "vocab", True, CONFIDENCES))
_CURRENCY_RULE = RowCheck("currency", "currency must be given exactly when amount is", _currency_with_amount)

TABLES: dict[str, TableSpec] = {
    "firms": TableSpec("firms", (
        Col("firm_id", "id", True, unique=True), Col("name", "text", True), Col("name_zh", "text"),
        Col("sector_group", "vocab", True, SECTOR_GROUPS), Col("is_ai_firm", "bool", True),
        Col("listing_status", "vocab", True, LISTING_STATUSES), Col("hq_city", "text"),
        *_SRC, Col("notes", "text"),
    )),
    "securities": TableSpec("securities", (
        Col("symbol", "text", True, unique=True), Col("firm_id", "firm"), Col("name", "text", True),
        Col("security_type", "vocab", True, SECURITY_TYPES), Col("exchange", "vocab", True, EXCHANGES),
        Col("currency", "vocab", True, CURRENCIES), Col("listing_date", "date"), Col("delisting_date", "date"),
        Col("price_basis", "vocab", True, PRICE_BASES), Col("benchmark_symbol", "symbol"),
        Col("yahoo_symbol", "text"), *_SRC, Col("notes", "text"),
    ), (
        RowCheck("symbol", "must not contain whitespace, '/' or '^' (write ^HSI as IDX_HSI)",
                 lambda d: ~d["symbol"].str.contains(r"[\s/^\\]", regex=True)),
        RowCheck("firm_id", "firm_id is required for adr, ordinary_share and a_share rows",
                 lambda d: _implies(d["security_type"].isin(_STOCKS), _filled(d, "firm_id"))),
        RowCheck("benchmark_symbol", "benchmark_symbol is required for adr, ordinary_share and a_share rows",
                 lambda d: _implies(d["security_type"].isin(_STOCKS), _filled(d, "benchmark_symbol"))),
        RowCheck("benchmark_symbol", "a security cannot be its own benchmark",
                 lambda d: d["benchmark_symbol"] != d["symbol"]),
        RowCheck("delisting_date", "delisting_date is before listing_date", _delisted_after_listed),
    )),
    "events": TableSpec("events", (
        Col("event_id", "id", True, unique=True), Col("date", "date_or_month", True), Col("time", "time"),
        Col("tz", "vocab", vocab=TIME_ZONES), Col("time_source", "text", True),
        Col("type", "vocab", True, EVENT_TYPES), Col("actor", "text", True), Col("firm_ids", "firm_list"),
        Col("sectors", "vocab_list", vocab=SECTOR_GROUPS), Col("amount", "amount"),
        Col("currency", "vocab", vocab=CURRENCIES), Col("description", "text", True), *_SRC,
        Col("notes", "text"),
    ), (
        _CURRENCY_RULE,
        RowCheck("tz", "tz must be given exactly when time is (the IANA zone the time was stated in)",
                 _time_zone_with_time),
        RowCheck("time_source", f"time_source must say where a given time comes from, and be "
                 f"'{TIME_NOT_STATED}' when time is empty", _time_source_matches_time),
    )),
    "ipos": TableSpec("ipos", (
        Col("ipo_id", "id", True, unique=True), Col("firm_id", "firm", True), Col("venue", "text", True),
        Col("exchange", "vocab", vocab=EXCHANGES), Col("filing_date", "date_or_month"),
        Col("approval_date", "date_or_month"), Col("planned_listing_date", "date_or_month"),
        Col("listing_date", "date_or_month"), Col("outcome", "vocab", True, IPO_OUTCOMES),
        Col("outcome_date", "date_or_month"), Col("amount", "amount"), Col("currency", "vocab", vocab=CURRENCIES),
        Col("delayed_by", "vocab", True, DELAYED_BY), Col("ticker", "text"),
        Col("listing_regime", "vocab", vocab=LISTING_REGIMES), Col("offer_price", "amount"),
        Col("first_day_close", "amount"), Col("price_currency", "vocab", vocab=CURRENCIES), *_SRC,
        Col("notes", "text"),
    ), (
        _CURRENCY_RULE,
        RowCheck("price_currency", "price_currency must be given exactly when offer_price or first_day_close is",
                 lambda d: _filled(d, "offer_price").where(_empty(d["first_day_close"]), True)
                 == _filled(d, "price_currency")),
        RowCheck("first_day_close", "offer_price and first_day_close need a listed outcome",
                 lambda d: _implies(_filled(d, "offer_price") | _filled(d, "first_day_close"),
                                    d["outcome"] == "listed")),
        RowCheck("listing_date", "an open attempt (pending, under_review) has no listing_date or outcome_date",
                 lambda d: _implies(d["outcome"].isin(OPEN_IPO_OUTCOMES),
                                    _empty(d["listing_date"]) & _empty(d["outcome_date"]))),
        RowCheck("listing_date", "listing_date is required when outcome is listed",
                 lambda d: _implies(d["outcome"] == "listed", _filled(d, "listing_date"))),
    )),
    "alignment": TableSpec("alignment", (
        Col("firm_id", "firm", True), Col("indicator", "vocab", True, INDICATORS),
        Col("status", "vocab", True, ALIGNMENT_STATUSES), Col("value", "text"),
        Col("unit", "vocab", True, UNITS), Col("as_of", "date_or_month", True), *_SRC, Col("notes", "text"),
    ), (
        RowCheck("value", "a found row needs a value and a not_found row must leave value empty",
                 _alignment_value_by_status),
        RowCheck("value", "value must match unit (share: number 0-1, bool: true/false, year: 1900-2100)",
                 lambda d: _alignment_value_matches_unit(d) | _empty(d["value"])),
        RowCheck("notes", "a not_found row must say in notes what was looked for",
                 lambda d: _implies(d["status"] == "not_found", _filled(d, "notes"))),
        RowCheck("unit", "unit must be share for revenue shares and stakes, bool for memberships",
                 lambda d: d["unit"] == d["indicator"].map(INDICATOR_UNITS).fillna(d["unit"])),
        RowCheck("as_of", "duplicate of an earlier row with the same firm_id, indicator and as_of",
                 lambda d: ~d.duplicated(["firm_id", "indicator", "as_of"])),
    )),
    "penalties": TableSpec("penalties", (
        Col("penalty_id", "id", True, unique=True), Col("firm_id", "firm", True), Col("date", "date_or_month", True),
        Col("regulator", "text", True), Col("penalty_type", "vocab", True, PENALTY_TYPES), Col("amount", "amount"),
        Col("currency", "vocab", vocab=CURRENCIES), Col("legal_basis", "text"), Col("share_of_revenue", "share"),
        Col("batch_id", "id"), Col("event_id", "event", True), Col("description", "text", True), *_SRC,
        Col("notes", "text"),
    ), (_CURRENCY_RULE,)),
}
TABLE_ORDER = ("firms", "securities", "events", "ipos", "alignment", "penalties")


def _row_check(rule: RowCheck) -> pa.Check:
    import pandera.pandas as pa

    def check(df: pd.DataFrame) -> pd.Series:
        try:
            return rule.passes(df).fillna(False).astype(bool)
        except KeyError:  # a column it needs is missing: reported as a missing column already
            return pd.Series(True, index=df.index)

    return pa.Check(check, error=f"{rule.column}|{rule.reason}")


def table_schema(spec: TableSpec, refs: Refs) -> pa.DataFrameSchema:
    """The pandera schema of a table read as text; ``refs`` are the ids its reference columns may name."""
    import pandera.pandas as pa

    columns = {
        c.name: pa.Column(str, _column_checks(c, refs), unique=c.unique, report_duplicates="exclude_first")
        for c in spec.columns
    }
    return pa.DataFrameSchema(columns, checks=[_row_check(r) for r in spec.row_checks], strict=True)


# --- reading ------------------------------------------------------------------------------------------------
def read_table(path: Path, shown_as: str) -> tuple[pd.DataFrame, list[Violation]]:
    """A CSV as text cells, indexed by each record's line number, plus problems with its shape.

    Rows with the wrong number of fields and blank lines are reported and left out.
    """
    if not path.is_file():
        return pd.DataFrame(), [Violation(shown_as, 0, "-", "file is missing")]
    problems: list[Violation] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return pd.DataFrame(), [Violation(shown_as, 0, "-", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        rows, lines, start = [], [], reader.line_num + 1
        for record in reader:
            if not record:
                problems.append(Violation(shown_as, start, "-", "blank line"))
            elif len(record) != len(header):
                problems.append(Violation(shown_as, start, "-",
                                          f"expected {len(header)} fields, found {len(record)}"))
            else:
                rows.append(record)
                lines.append(start)
            start = reader.line_num + 1
    if not header:
        return pd.DataFrame(), [Violation(shown_as, 1, "-", "file has no header")]
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=str)
    return frame, problems


def _violation_from_failure(case: pd.Series, df: pd.DataFrame, spec: TableSpec, refs: Refs,
                            shown_as: str) -> Violation:
    check = str(case["check"])
    if check == "column_in_dataframe":
        return Violation(shown_as, 1, str(case["failure_case"]), "missing column")
    if check == "column_in_schema":
        return Violation(shown_as, 1, str(case["failure_case"]), "unexpected column")
    line = int(case["index"]) if pd.notna(case["index"]) else 0
    if case["schema_context"] == "DataFrameSchema" and "|" in check:
        column, reason = check.split("|", 1)
        return Violation(shown_as, line, column, f"{reason} (got {df.at[line, column]!r})")
    column, value = str(case["column"]), case["failure_case"]
    if check == "field_uniqueness":
        first = int(df.index[df[column] == value][0])
        return Violation(shown_as, line, column, f"duplicate value {value!r} (first on line {first})")
    return Violation(shown_as, line, column, f"{check} (got {value!r}){_hint(spec, column, value, refs)}")


def _hint(spec: TableSpec, column: str, value: str, refs: Refs) -> str:
    """For references to unknown ids: the unknown items and their closest known ids."""
    col = next((c for c in spec.columns if c.name == column), None)
    if col is None or col.kind not in REF_KINDS:
        return ""
    known = getattr(refs, REF_KINDS[col.kind])
    items = [i.strip() for i in str(value).split(LIST_SEP)] if col.kind in LIST_KINDS else [str(value)]
    parts = []
    for item in (i for i in items if i and i not in known):
        close = difflib.get_close_matches(item, sorted(known), n=3, cutoff=0.5)
        parts.append(f"{item!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
    return f"; unknown: {', '.join(parts)}" if parts else ""


def validate_table(df: pd.DataFrame, spec: TableSpec, refs: Refs, shown_as: str) -> list[Violation]:
    """Every violation of ``spec`` in a table read by :func:`read_table` (pandera lazy validation)."""
    from pandera.errors import SchemaErrors

    try:
        table_schema(spec, refs).validate(df, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        found = {_violation_from_failure(case, df, spec, refs, shown_as) for _, case in cases.iterrows()}
        return sorted(found, key=lambda v: (v.line, spec.column_names.index(v.column)
                                            if v.column in spec.column_names else -1, v.reason))
    return []


# --- typed conversion (for the loaders) -------------------------------------------------------------------
def to_typed(df: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """A validated text table with typed columns: dates as datetime64 (``YYYY-MM`` -> the 1st, with a
    ``<col>_precision`` column "day"/"month"), amounts/shares as float, booleans as bool, empty text as NaN."""
    out = df.reset_index(drop=True).copy()
    for col in spec.columns:
        s = out[col.name].str.strip()
        empty = s == ""
        if col.kind in ("date", "date_or_month"):
            is_month = s.str.fullmatch(r"\d{4}-\d{2}")
            out[col.name] = pd.to_datetime(s.where(~is_month, s + "-01").where(~empty), format="%Y-%m-%d")
            if col.kind == "date_or_month":
                out[f"{col.name}_precision"] = np.where(empty, None, np.where(is_month, "month", "day"))
        elif col.kind in ("amount", "share"):
            out[col.name] = pd.to_numeric(s.where(~empty), errors="raise").astype(float)
        elif col.kind == "bool":
            out[col.name] = s == "true"
        else:
            out[col.name] = s.where(~empty)
    if spec.name == "alignment":  # not_found rows (empty value) are unknown: NaN, never 0
        number = pd.to_numeric(out["value"].where(out["unit"] != "bool"), errors="coerce")
        boolean = out["value"].map({"true": 1.0, "false": 0.0})
        out["value_num"] = number.where(out["unit"] != "bool", boolean).where(out["status"] == "found")
    return out


# --- claims.csv ----------------------------------------------------------------------------------------------
# The claims register's table. Its evaluator column names functions of crackdown.claims; the data layer does not
# import them: :func:`check_claims_table` takes ``evaluators`` (name -> the parameter names it accepts).
CLAIM_KINDS = ("fact", "interpretation", "forecast")
CLAIM_THEMES = ("ipo_outcomes", "enforcement", "ai_and_the_state", "us_sanctions", "markets", "policy_and_rules")


def _parse_claim_value(text: str) -> object:
    text = text.strip()
    if "|" in text:
        return tuple(_parse_claim_value(t) for t in text.split("|"))
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_claim_parameters(cell: str) -> dict[str, object]:
    """``"max_days=3;firms=a|b"`` -> ``{"max_days": 3, "firms": ("a", "b")}`` (empty cell -> ``{}``); a CrackdownError
    naming the item that is not ``key=value``."""
    items = [i.strip() for i in str(cell or "").split(";") if i.strip()]
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CrackdownError(f"parameters: expected key=value, got {item!r}")
        out[key.strip()] = _parse_claim_value(value)
    return out


def claims_spec(evaluators: dict[str, frozenset[str]]) -> TableSpec:
    """The claims.csv table; ``evaluators``: evaluator name -> the parameter names it accepts."""

    def parameters_ok(d: pd.DataFrame) -> pd.Series:
        def ok(name: str, cell: str) -> bool:
            if name not in evaluators:
                return True  # reported by the evaluator check
            try:
                keys = parse_claim_parameters(cell)
            except CrackdownError:
                return False
            return set(keys) <= evaluators[name]
        return pd.Series([ok(n, c) for n, c in zip(d["evaluator"], d["parameters"], strict=True)], index=d.index)

    return TableSpec("claims", (
        Col("claim_id", "id", True, unique=True), Col("claim", "text", True), Col("claimant", "text", True),
        Col("kind", "vocab", True, CLAIM_KINDS), Col("theme", "vocab", True, CLAIM_THEMES),
        Col("testable_form", "text", True), Col("evaluator", "text", True), Col("parameters", "text"),
        Col("notes", "text"), Col("sources", "sources", required=True),
    ), (
        RowCheck("evaluator", "unknown evaluator (not a registered function in crackdown.claims)",
                 lambda d: d["evaluator"].isin(list(evaluators))),
        RowCheck("parameters", "must be key=value items separated by ';', keys among the evaluator's arguments",
                 parameters_ok),
    ))


def check_claims_table(path: Path, shown_as: str, evaluators: dict[str, frozenset[str]]) -> list[Violation]:
    """Every violation in a claims table (an absent file is not an error: the table is optional)."""
    if not path.is_file():
        return []
    frame, problems = read_table(path, shown_as)
    if not frame.columns.empty:
        problems += validate_table(frame, claims_spec(evaluators), Refs(), shown_as)
    return problems

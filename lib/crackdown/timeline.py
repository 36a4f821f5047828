"""Who was hit, when, and by what: events laid out on one lane per sector group, with counts.

A *lane* is a sector group of ``data/firms.csv``. An event is placed on the lane of every firm it names (one row
per firm) and, for each sector it lists that none of its named firms belongs to, on that sector's lane with no
firm (``firm_id`` missing). An event with neither firms nor sectors goes to the lane :data:`ECONOMY_WIDE`.
Month-precision dates (``date_precision == "month"``) are stored as the 1st of the month and keep that flag, so
plots can mark them as approximate.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from crackdown import params
from crackdown.data import explode_list, load_events, load_firms, load_ipos
from crackdown.data.schemas import EVENT_TYPES, SECTOR_GROUPS
from crackdown.errors import CrackdownError
from crackdown.vocab import ENFORCEMENT_TYPES

ECONOMY_WIDE = "economy_wide"  # lane of events that name neither a firm nor a sector
LANES = (*SECTOR_GROUPS, ECONOMY_WIDE)

PUNITIVE_TYPES = ENFORCEMENT_TYPES  # old name of crackdown.vocab.ENFORCEMENT_TYPES, kept for existing imports
IPO_TYPES = tuple(t for t in EVENT_TYPES if t.startswith("ipo_"))

# Each event type belongs to one category (colour family and marker shape of the timeline).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Beijing enforcement": ENFORCEMENT_TYPES,
    "Beijing rules and signals": ("policy", "rule", "law", "media_signal", "golden_share"),
    "Beijing support": ("designation", "easing"),
    "US measures": ("sanction", "delisting"),
    "IPO steps": tuple(t for t in IPO_TYPES if t not in ENFORCEMENT_TYPES),
}
TYPE_CATEGORY: dict[str, str] = {t: c for c, types in CATEGORIES.items() for t in types}
CATEGORY_MARKERS = {
    "Beijing enforcement": "X", "Beijing rules and signals": "s", "Beijing support": "^", "US measures": "D",
    "IPO steps": "o",
}
# IPO outcomes of data/ipos.csv drawn on the timeline (``stalled`` has no outcome date and is left out).
OUTCOME_MARKERS = {"listed": "P", "suspended": "v", "withdrawn": "v", "lapsed": "v", "shelved": "v", "postponed": "v"}

_LANE_COLUMNS = ["event_id", "date", "date_precision", "type", "category", "actor", "firm_id", "lane", "via"]


def check_lanes(name: str, lanes: Iterable[str]) -> list[str]:
    """The chosen lanes (empty = all of :data:`LANES`), each checked against the vocabulary."""
    return params.subset(name, lanes, LANES, kind="sector group")


def check_event_types(name: str, types: Iterable[str]) -> list[str]:
    """The chosen event types (empty = all), each checked against the events vocabulary."""
    return params.subset(name, types, EVENT_TYPES, kind="event type")


def event_lanes(events: pd.DataFrame | None = None, firms: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per event x lane target: the event on each named firm's lane, and on each listed sector's lane
    that no named firm covers (``firm_id`` missing, ``via`` = "sector"). Columns: :data:`_LANE_COLUMNS`."""
    events = load_events() if events is None else events
    firms = load_firms() if firms is None else firms
    base = events.reset_index(drop=True)
    group = firms.set_index("firm_id")["sector_group"]

    by_firm = explode_list(base[["firm_ids"]], "firm_ids").rename(columns={"firm_ids": "firm_id"})
    unknown = sorted(set(by_firm["firm_id"]) - set(group.index))
    if unknown:
        raise CrackdownError(f"events: firm_ids not in firms.csv: {', '.join(unknown)}")
    by_firm["lane"] = by_firm["firm_id"].map(group)
    by_firm["via"] = "firm"

    by_sector = explode_list(base[["sectors"]], "sectors").rename(columns={"sectors": "lane"})
    covered = pd.MultiIndex.from_arrays([by_firm.index, by_firm["lane"]])
    by_sector = by_sector[~pd.MultiIndex.from_arrays([by_sector.index, by_sector["lane"]]).isin(covered)]
    by_sector = by_sector.assign(firm_id=pd.NA, via="sector")

    untargeted = base.index.difference(by_firm.index.union(by_sector.index))
    general = pd.DataFrame({"lane": ECONOMY_WIDE, "firm_id": pd.NA, "via": "none"}, index=untargeted)

    targets = pd.concat([by_firm, by_sector, general]).rename_axis("row").reset_index().drop_duplicates()
    out = base.drop(columns=["firm_ids", "sectors"]).join(targets.set_index("row"), how="inner")
    out["category"] = out["type"].map(TYPE_CATEGORY)
    out["firm_id"] = out["firm_id"].astype("string")
    return out.sort_values(["date", "event_id", "lane"], kind="stable").reset_index(drop=True)[_LANE_COLUMNS]


def select(lanes: pd.DataFrame, start: object, end: object, types: Iterable[str], groups: Iterable[str]) -> pd.DataFrame:
    """Rows of :func:`event_lanes` with date in [start, end] (inclusive), type in ``types`` and lane in ``groups``."""
    keep = (lanes["date"].between(pd.Timestamp(start), pd.Timestamp(end)) & lanes["type"].isin(list(types))
            & lanes["lane"].isin(list(groups)))
    return lanes[keep].reset_index(drop=True)


def lane_markers(lanes: pd.DataFrame) -> pd.DataFrame:
    """One marker per event and lane (several firms of a lane hit by one event share a marker), with the
    number of the lane's firms it names (``firms``; 0 for a sector-wide entry)."""
    return (lanes.groupby(["event_id", "lane"], sort=False)
            .agg(date=("date", "first"), date_precision=("date_precision", "first"), type=("type", "first"),
                 category=("category", "first"), firms=("firm_id", "count"))
            .reset_index().sort_values(["date", "lane"], kind="stable").reset_index(drop=True))


def ipo_outcomes(ipos: pd.DataFrame | None = None, firms: pd.DataFrame | None = None) -> pd.DataFrame:
    """IPO attempts with an outcome date, on their firm's lane: ipo_id, firm_id, lane, date, date_precision,
    outcome, delayed_by. Attempts without an outcome date (``stalled``) are left out."""
    ipos = load_ipos() if ipos is None else ipos
    firms = load_firms() if firms is None else firms
    out = ipos[ipos["outcome_date"].notna()].assign(
        lane=lambda d: d["firm_id"].map(firms.set_index("firm_id")["sector_group"]))
    out = out.rename(columns={"outcome_date": "date", "outcome_date_precision": "date_precision"})
    cols = ["ipo_id", "firm_id", "lane", "date", "date_precision", "outcome", "delayed_by"]
    return out[cols].sort_values("date", kind="stable").reset_index(drop=True)


def counts_by_firm_and_type(lanes: pd.DataFrame) -> pd.DataFrame:
    """Events naming each firm, one column per event type plus ``total``; firms by total (descending), then name.
    Sector-wide entries (no firm) are not counted."""
    named = lanes.dropna(subset=["firm_id"])
    table = pd.crosstab(named["firm_id"], named["type"])
    table.columns.name = None
    table = table.assign(total=table.sum(axis=1))
    return table.sort_values("total", ascending=False, kind="stable")  # ties stay alphabetical


def cumulative_by_group(lanes: pd.DataFrame, freq: str = "MS") -> pd.DataFrame:
    """Cumulative number of distinct events per lane at each period start (``freq``, default month starts):
    index = period, one column per lane that has events."""
    if lanes.empty:
        return pd.DataFrame()
    markers = lane_markers(lanes)
    periods = markers["date"].dt.to_period(freq.removesuffix("S")).dt.start_time
    counts = pd.crosstab(periods, markers["lane"])
    full = pd.date_range(counts.index.min(), counts.index.max(), freq=freq)
    out = counts.reindex(full, fill_value=0).cumsum()
    out.index.name = "period"
    out.columns.name = "lane"
    return out


def category_by_lane(lanes: pd.DataFrame) -> pd.DataFrame:
    """Distinct events per lane and category (rows: lanes by total, descending; columns: categories + total),
    with ``first_enforcement``: the earliest Beijing enforcement action on the lane (NaT if none)."""
    markers = lane_markers(lanes)
    table = pd.crosstab(markers["lane"], markers["category"]).reindex(columns=list(CATEGORIES), fill_value=0)
    table.columns.name = None
    table["total"] = table.sum(axis=1)
    hits = markers[markers["category"] == "Beijing enforcement"]
    table["first_enforcement"] = hits.groupby("lane")["date"].min().reindex(table.index)
    return table.sort_values("total", ascending=False, kind="stable")


# --- results of notebook 02 ----------------------------------------------------------------------------------
ENFORCEMENT = "Beijing enforcement"


def outcomes_in(outcomes: pd.DataFrame, start: object, end: object, groups: Iterable[str]) -> pd.DataFrame:
    """Rows of :func:`ipo_outcomes` dated in [start, end] (inclusive) on a lane of ``groups``."""
    return outcomes[outcomes["date"].between(pd.Timestamp(start), pd.Timestamp(end))
                    & outcomes["lane"].isin(list(groups))]


def _findings(lanes: pd.DataFrame) -> dict:
    """Per-lane enforcement and US-measure counts, the most-enforced lane and firms, first actions per lane."""
    by_lane = category_by_lane(lanes)
    hit = by_lane[ENFORCEMENT]
    firm_enf = lanes[lanes["category"] == ENFORCEMENT].dropna(subset=["firm_id"])
    firm_enf = firm_enf.groupby("firm_id")["event_id"].nunique().sort_values(ascending=False, kind="stable")
    total_hits = int(hit.sum())
    return {"by_lane": by_lane, "hit": hit, "us": by_lane["US measures"], "total_hits": total_hits,
            "top_lane": hit.idxmax() if total_hits else None, "top_firms": firm_enf.head(5),
            "first": by_lane["first_enforcement"].dropna().sort_values()}


def event_span(events: pd.DataFrame | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last event date of data/events.csv (month-only dates count from the 1st): the period a
    timeline can show, read from the data."""
    dates = (load_events() if events is None else events)["date"]
    return dates.min(), dates.max()


def timeline_record(lanes: pd.DataFrame, outcomes: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                    parameters: dict) -> dict:
    """Notebook 02's results: event counts per lane, Beijing enforcement and US measures per lane, first
    enforcement per lane, most-enforced firms and lane, the window, the IPO attempts shown that did not list, and
    ``parameters`` (its words and answer: :mod:`crackdown.words.timeline`).

    ``lanes``: the selected :func:`event_lanes` rows; ``outcomes``: the IPO outcomes shown (:func:`outcomes_in`).
    """
    f = _findings(lanes)
    hit, us, top_lane, top_firms, total_hits = f["hit"], f["us"], f["top_lane"], f["top_firms"], f["total_hits"]
    markers = lane_markers(lanes)
    results: dict = {
        "n_events": int(markers["event_id"].nunique()),
        "n_lane_markers": int(len(markers)),
        "n_ipo_outcomes": int(len(outcomes)),
        "events_by_lane": f["by_lane"]["total"].to_dict(),
        "enforcement_by_lane": hit.to_dict(),
        "us_measures_by_lane": us.to_dict(),
        "first_enforcement_by_lane": {k: v.date().isoformat() for k, v in f["first"].items()},
        "most_enforced_firms": top_firms.to_dict(),
        "top_enforced_lane": top_lane,
        "top_enforced_lane_share": float(hit.max() / total_hits) if total_hits else None,
        "window": [start.date().isoformat(), end.date().isoformat()],
        "ipo_outcomes_not_listed": outcomes.loc[outcomes["outcome"] != "listed",
                                                ["ipo_id", "outcome", "delayed_by"]].to_dict(orient="records"),
    }
    return {**results, "parameters": parameters}

"""A tiny synthetic data folder for claim-evaluator tests: write only the rows a test needs.

Every table starts empty (headers of the project's schema) except a few firms that evaluators filter on by id;
tests add rows as dicts with only the columns that matter (the others get neutral defaults). The rows are
synthetic test data (``notes`` says so), validated by the same loaders as the real data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from crackdown import claims
from crackdown.data import schemas

# the article under test: a source that every synthetic row can name
SOURCE = claims.ARTICLE_URL
NOTE = "synthetic test row"
HEADERS = {
    "firms": "firm_id,name,name_zh,sector_group,is_ai_firm,listing_status,hq_city,sources,confidence,notes",
    "securities": "symbol,firm_id,name,security_type,exchange,currency,listing_date,delisting_date,price_basis,"
    "benchmark_symbol,yahoo_symbol,sources,confidence,notes",
    "events": "event_id,date,time,tz,time_source,type,actor,firm_ids,sectors,amount,currency,description,sources,"
    "confidence,notes",
    "ipos": "ipo_id,firm_id,venue,exchange,filing_date,approval_date,planned_listing_date,listing_date,outcome,"
    "outcome_date,amount,currency,delayed_by,ticker,listing_regime,offer_price,first_day_close,price_currency,"
    "sources,confidence,notes",
    "alignment": "firm_id,indicator,status,value,unit,as_of,sources,confidence,notes",
    "penalties": "penalty_id,firm_id,date,regulator,penalty_type,amount,currency,legal_basis,share_of_revenue,"
    "batch_id,event_id,description,sources,confidence,notes",
}
# firms some evaluators name by id (load_events rejects an unknown firm id): present in every world
BASE_FIRMS = [
    {"firm_id": "ant_group", "sector_group": "fintech"},
    {"firm_id": "didi", "sector_group": "recruitment_logistics"},
    {"firm_id": "bytedance", "sector_group": "recruitment_logistics"},
]
DEFAULTS = {
    "firms": {"name": "Firm", "is_ai_firm": "false", "listing_status": "listed", "confidence": "high"},
    "securities": {"name": "Security", "currency": "USD", "price_basis": "index_points", "confidence": "high"},
    "events": {"actor": "SAMR", "description": "Synthetic event.", "confidence": "high",
               "time_source": "not stated in the sources"},
    "ipos": {"venue": "Venue", "delayed_by": "none", "confidence": "high"},
    "alignment": {"confidence": "high", "status": "found"},
    "penalties": {"regulator": "SAMR", "penalty_type": "fine", "currency": "CNY", "description": "Synthetic fine.",
                  "confidence": "high"},
}
UNITS = {"govt_revenue_share": "share", "smart_city_revenue_share": "share", "public_security_revenue_share": "share",
         "state_shareholder_stake": "share"}


def firm(firm_id: str, sector: str, ai: bool = False) -> dict[str, Any]:
    return {"firm_id": firm_id, "sector_group": sector, "is_ai_firm": "true" if ai else "false"}


def fact(firm_id: str, indicator: str, value: Any, as_of: str) -> dict[str, Any]:
    unit = UNITS.get(indicator, "bool")
    text = ("true" if value else "false") if unit == "bool" else str(value)
    return {"firm_id": firm_id, "indicator": indicator, "value": text, "unit": unit, "as_of": as_of}


def write_world(root: Path, **tables: list[dict[str, Any]]) -> Path:
    """Write a data folder under ``root`` with the given rows per table; returns its path."""
    from crackdown.data import clear_cache, write_manifest

    data = root / "data"
    (data / "prices").mkdir(parents=True, exist_ok=True)
    rows = {name: [dict(r) for r in tables.get(name, [])] for name in HEADERS}
    known = {r["firm_id"] for r in rows["firms"]}
    rows["firms"] = [f for f in BASE_FIRMS if f["firm_id"] not in known] + rows["firms"]
    # the alignment panel must be complete: every firm gets a not_found row for each core indicator it lacks
    have = {(r["firm_id"], r["indicator"]) for r in rows["alignment"]}
    rows["alignment"] += [
        {"firm_id": f["firm_id"], "indicator": i, "status": "not_found", "value": "", "as_of": "2017-01-01",
         "unit": schemas.INDICATOR_UNITS.get(i, "bool"), "notes": "synthetic: searched, nothing found"}
        for f in rows["firms"] for i in schemas.CORE_INDICATORS if (f["firm_id"], i) not in have]
    # every penalty names an event: a fine event of the same firm and day unless the row gives one
    for r in rows["penalties"]:
        if not r.get("event_id"):
            r["event_id"] = f"{r['penalty_id']}_event"
            rows["events"].append({"event_id": r["event_id"], "date": r.get("date", ""), "type": "fine",
                                   "actor": r.get("regulator", "SAMR"), "firm_ids": r["firm_id"]})
    for name, header in HEADERS.items():
        columns = header.split(",")
        filled = [{**DEFAULTS[name], "sources": SOURCE, "notes": NOTE, **r} for r in rows[name]]
        frame = pd.DataFrame(filled, columns=columns, dtype=object).fillna("")
        frame.to_csv(data / f"{name}.csv", index=False)
    (data / "prices" / "PROVENANCE.csv").write_text(
        "symbol,source_repo,source_path,source_commit,first_date,last_date,rows,has_adj_close,currency,"
        "price_basis,notes\n"
    )
    write_manifest(data)
    clear_cache()
    return data


def context(data: Path, **kw: Any) -> claims.Context:
    """A claims Context on the synthetic folder (article 2021-11-01, as_of 2023-12-31 unless given)."""
    for key in ("article_date", "as_of"):
        if key in kw:
            kw[key] = pd.Timestamp(kw[key])
    return claims.Context(data_dir=data, **kw)

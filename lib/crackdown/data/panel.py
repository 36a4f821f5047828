"""The firm x indicator alignment panel: per firm and indicator, was a fact found (true / false) or not found?

One home for the panel's coverage, used by notebook 03 and by the table in data/README.md
(``python -m crackdown.data.panel`` prints it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crackdown import params
from crackdown.data.schemas import CORE_INDICATORS

#: panel cell states: a found fact that holds (true, or a share above 0), a found fact that does not (false,
#: a share of 0), searched and not found, no row at all
PANEL_STATES = ("found_true", "found_false", "not_found", "no_row")


def panel_status(alignment: pd.DataFrame, firm_ids: list[str] | pd.Index,
                 indicators: tuple[str, ...] = CORE_INDICATORS, as_of: str | None = None) -> pd.DataFrame:
    """Firms x ``indicators``: each cell one of :data:`PANEL_STATES`.

    ``alignment`` is long (firm_id, indicator, status, value or value_num, as_of). A cell takes its latest
    ``found`` row dated on or before ``as_of`` (all rows if None; a month-only date counts from the month's end):
    ``found_true`` when its value is true or above 0, else ``found_false``. With no such found row it is
    ``not_found`` when a ``not_found`` row exists (at any date: a later search that found nothing still says the
    fact is unknown), else ``no_row``. A ``not_found`` row never counts as false.
    """
    facts = alignment[alignment["indicator"].isin(indicators)].copy()
    status = facts["status"].astype(str).str.strip() if "status" in facts else pd.Series("found", facts.index)
    value = facts["value_num"] if "value_num" in facts else pd.to_numeric(
        facts["value"].astype(str).str.strip().str.lower().replace({"true": "1", "false": "0"}), errors="coerce")
    raw = facts["as_of"].astype(str).str.strip().str[:10]
    dates = pd.to_datetime(raw.where(~raw.str.fullmatch(r"\d{4}-\d{2}"), raw + "-01"), format="%Y-%m-%d")
    effective = dates.where(~raw.str.fullmatch(r"\d{4}-\d{2}"), dates + pd.offsets.MonthEnd(0))
    found = (status == "found") & value.notna()
    if as_of is not None:
        found &= effective <= params.date("as_of", as_of)
    latest = (facts.assign(value=value, effective=effective)[found].sort_values(["effective", "value"])
              .groupby(["firm_id", "indicator"])["value"].last())
    searched = facts[status == "not_found"].groupby(["firm_id", "indicator"]).size()
    index = pd.Index(sorted(set(firm_ids)), name="firm_id")
    holds = latest.gt(0).astype(float).unstack().reindex(index=index, columns=list(indicators))
    seen = searched.unstack().reindex(index=index, columns=list(indicators)).notna()
    cells = np.where(holds.notna(), np.where(holds == 1.0, "found_true", "found_false"),
                     np.where(seen, "not_found", "no_row"))
    return pd.DataFrame(cells, index=index, columns=pd.Index(list(indicators), name="indicator"))


def panel_counts(status: pd.DataFrame) -> pd.DataFrame:
    """Indicators x :data:`PANEL_STATES`: how many firms are in each state (from :func:`panel_status`)."""
    counts = status.apply(lambda column: column.value_counts()).reindex(list(PANEL_STATES)).fillna(0).astype(int)
    return counts.T.rename_axis("indicator")


def markdown_table(counts: pd.DataFrame) -> str:
    """The counts as a markdown table (the form used in data/README.md)."""
    header = "| indicator | " + " | ".join(counts.columns) + " |"
    rule = "|---|" + "---:|" * len(counts.columns)
    rows = [f"| {name} | " + " | ".join(str(v) for v in row) + " |" for name, row in counts.iterrows()]
    return "\n".join([header, rule, *rows])


README_START, README_END = "<!-- panel-table:start -->", "<!-- panel-table:end -->"


def readme_with_table(readme: str, table: str) -> str:
    """``readme`` with the text between the panel-table markers replaced by ``table``."""
    from crackdown.text import replace_block

    return replace_block(readme, README_START, README_END, table)


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a thin printer of the shipped data's table
    """Print the coverage table of the shipped data; with ``--readme`` also write it into data/README.md."""
    import sys

    from crackdown import paths
    from crackdown.data import load_alignment, load_firms

    table = markdown_table(panel_counts(panel_status(load_alignment(), load_firms()["firm_id"])))
    print(table)
    if "--readme" in (sys.argv[1:] if argv is None else argv):
        readme = paths.data_dir() / "README.md"
        readme.write_text(readme_with_table(readme.read_text(encoding="utf-8"), table), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()

"""Notebook 01's words (data coverage), from its record (the snapshot's securities and sessions in the window)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def answer(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One line: securities and priced sessions in the window, how many are gappy or end early."""
    start, end = record["window"]
    return (f"{record['securities']} securities with {record['priced_sessions']:,} priced sessions in "
            f"{start}..{end}; {len(record['securities_missing_over_1pct'])} miss more than 1% of their sessions, "
            f"{len(record['securities_ending_early'])} end more than a month early.")


def narrative(record: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Notebook 01's "What this shows" (markdown): coverage, gaps, early ends, price basis, unpriced securities
    (securities by symbol: the page is about their price files)."""
    gappy, short = record["missing_over_1pct_by_share"], record["ending_early_in_table_order"]
    unpriced = record["unpriced"]
    return (
        f"The snapshot covers **{record['securities']} securities** in this window, with "
        f"**{record['priced_sessions']:,} priced sessions**. "
        f"{len(gappy)} of them lack a price on more than 1% of their own exchange's sessions"
        + (f" ({', '.join(gappy[:8])}{'...' if len(gappy) > 8 else ''})" if gappy else "")
        + f"; {len(short)} stop more than a month before {record['window'][1]}"
        + (f" ({', '.join(short)})" if short else "")
        + f". {record['adjusted_only']} files hold adjusted prices only, so their levels sit below the prices "
        "quoted at the time; returns are unaffected by that adjustment except around dividends and splits. "
        + (f"Securities without a price file ({', '.join(u['symbol'] + ' ' + u['name'] for u in unpriced)}) do not "
           "appear here: see data/README.md." if unpriced else
           "Every security in data/securities.csv has a price file.")
    )

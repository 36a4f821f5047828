"""Options shared by several commands (one definition each)."""

from __future__ import annotations

import argparse


def add_gap_options(p: argparse.ArgumentParser) -> None:
    """``--gaps`` and ``--max-span``: how returns across trading suspensions are treated."""
    p.add_argument("--gaps", choices=["resumption", "drop"], default="drop",
                   help="returns across suspensions: drop (default, the daily rule) or resumption (the move is "
                   "booked on the resumption session against the benchmark over the same sessions)")
    p.add_argument("--max-span", type=int, default=10, metavar="N",
                   help="with --gaps resumption: drop returns spanning more than N sessions (default 10)")

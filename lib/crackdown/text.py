"""Text formatting shared by the notebooks' computed words (:mod:`crackdown.words`: percentages, p-values)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def _missing(x: float | None) -> bool:
    return x is None or not np.isfinite(x)


def pct(x: float | None) -> str:
    """A fraction as a percentage with one decimal (``-0.0123`` -> ``"-1.2%"``); ``"n/a"`` for None or NaN."""
    return "n/a" if _missing(x) else f"{x:.1%}"


def fmt_p(p: float | None) -> str:
    """A p-value with its relation for prose: ``"= 0.042"``, ``"< 0.001"``; ``"n/a"`` for None or NaN."""
    if _missing(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def names(ids: Iterable[str], limit: int | None = None) -> str:
    """Comma-separated ids (``"a, b"``); ``"none"`` when empty; beyond ``limit`` ids ``"a, b and 3 more"``."""
    ids = list(ids)
    if limit is not None and len(ids) > limit:
        return ", ".join(ids[:limit]) + f" and {len(ids) - limit} more"
    return ", ".join(ids) if ids else "none"


def replace_block(text: str, start: str, end: str, block: str) -> str:
    """``text`` with what stands between the marker lines ``start`` and ``end`` replaced by ``block`` (used to
    write computed tables and findings into the READMEs)."""
    if start not in text or end not in text:
        raise ValueError(f"no {start} ... {end} block")
    head, rest = text.split(start, 1)
    return head + start + "\n" + block + "\n" + end + rest.split(end, 1)[1]

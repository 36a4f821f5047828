"""Text formatting shared by the notebooks' computed words (:mod:`crackdown.words`: percentages, p-values)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

#: Words the data's codes spell in lower case that a reader expects written otherwise: acronyms, and the names
#: of places, regulators and firms that appear in codes (``delayed_by`` is ``beijing_regulators``).
READER_CASE = {"ai": "AI", "ipo": "IPO", "ipos": "IPOs", "us": "US", "beijing": "Beijing", "china": "China",
               "cac": "CAC", "samr": "SAMR", "csrc": "CSRC", "miit": "MIIT", "pboc": "PBoC", "didi": "DiDi",
               "nyse": "NYSE", "hkex": "HKEX"}
_READER_CASE_WORDS = re.compile(r"\b(" + "|".join(READER_CASE) + r")\b")


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


def code_words(code: object) -> str:
    """A data code written as words: underscores as spaces, ``;`` lists with commas, acronyms and names in their
    usual case (:data:`READER_CASE`; ``aligned_ai`` -> ``aligned AI``, ``beijing_regulators`` -> ``Beijing
    regulators``), ``long short`` as ``long-short``. Tables (:mod:`crackdown.display`) and prose use it alike."""
    text = str(code).replace("_", " ").replace(";", ", ")
    return _READER_CASE_WORDS.sub(lambda m: READER_CASE[m.group(1)], text).replace("long short", "long-short")


def sentence_start(text: str) -> str:
    """``text`` with its first letter in capitals and the rest as written, for words that open a sentence
    (``consumer platform took`` -> ``Consumer platform took``; ``AI vision`` stays as it is, unlike
    :meth:`str.capitalize`, which would lower the rest)."""
    return text[:1].upper() + text[1:]


def replace_block(text: str, start: str, end: str, block: str) -> str:
    """``text`` with what stands between the marker lines ``start`` and ``end`` replaced by ``block`` (used to
    write computed tables and findings into the READMEs)."""
    if start not in text or end not in text:
        raise ValueError(f"no {start} ... {end} block")
    head, rest = text.split(start, 1)
    return head + start + "\n" + block + "\n" + end + rest.split(end, 1)[1]

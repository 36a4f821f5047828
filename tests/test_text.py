"""Text helpers shared by the notebooks' computed narratives."""

from __future__ import annotations

from crackdown import text


def test_names_joins_and_says_none_when_empty() -> None:
    assert text.names(["a", "b"]) == "a, b"
    assert text.names([]) == "none"
    assert text.names(iter(["x"])) == "x"


def test_names_limit_counts_the_rest() -> None:
    ids = [f"f{i}" for i in range(7)]
    shown = text.names(ids, limit=5)
    assert shown.endswith(" and 2 more")
    assert shown.count(",") == 4
    assert text.names(ids, limit=7) == ", ".join(ids)

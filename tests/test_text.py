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


def test_code_words_spells_codes_as_a_reader_writes_them() -> None:
    assert text.code_words("beijing_regulators") == "Beijing regulators"
    assert text.code_words("china_market") == "China market"
    assert text.code_words("us_sanctions;ipos") == "US sanctions, IPOs"
    assert text.code_words("aligned_ai") == "aligned AI"
    assert text.code_words("long_short") == "long-short"
    assert text.code_words("usage_of_aid_by_beijinger") == "usage of aid by beijinger"  # whole words only
    assert text.code_words(3) == "3"


def test_sentence_start_capitalises_only_the_first_letter() -> None:
    assert text.sentence_start("consumer platform took") == "Consumer platform took"
    assert text.sentence_start("aI vision") == "AI vision"  # the rest is kept as written
    assert text.sentence_start("AI vision speech") == "AI vision speech"
    assert text.sentence_start("") == ""

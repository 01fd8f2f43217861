from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.keywords import (
    HELP_WORDS,
    OPT_IN_WORDS,
    OPT_OUT_WORDS,
    SPANISH_HELP_WORDS,
    SPANISH_OPT_IN_WORDS,
    SPANISH_OPT_OUT_WORDS,
    Keyword,
    classify,
    classify_with_language,
)

ENGLISH_WORDS = {
    **{w: Keyword.OPT_OUT for w in OPT_OUT_WORDS},
    **{w: Keyword.OPT_IN for w in OPT_IN_WORDS},
    **{w: Keyword.HELP for w in HELP_WORDS},
}
SPANISH_WORDS = {
    **{w: Keyword.OPT_OUT for w in SPANISH_OPT_OUT_WORDS},
    **{w: Keyword.OPT_IN for w in SPANISH_OPT_IN_WORDS},
    **{w: Keyword.HELP for w in SPANISH_HELP_WORDS},
}
ALL_WORDS = {**ENGLISH_WORDS, **SPANISH_WORDS}


def test_the_contract_word_lists() -> None:
    assert {"PARAR", "DETENER", "CANCELAR", "BAJA", "ALTO"} == SPANISH_OPT_OUT_WORDS
    assert {"COMENZAR", "INICIAR"} == SPANISH_OPT_IN_WORDS
    assert {"AYUDA"} == SPANISH_HELP_WORDS
    assert not (ENGLISH_WORDS.keys() & SPANISH_WORDS.keys())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("PARAR", (Keyword.OPT_OUT, "es")),
        ("párar", (Keyword.OPT_OUT, "es")),
        (" alto ", (Keyword.OPT_OUT, "es")),
        ("Alto", (Keyword.OPT_OUT, "es")),
        ("ÁLTO", (Keyword.OPT_OUT, "es")),
        ("detener", (Keyword.OPT_OUT, "es")),
        ("Cancelar", (Keyword.OPT_OUT, "es")),
        ("baja\n", (Keyword.OPT_OUT, "es")),
        ("\u00a0bája\t", (Keyword.OPT_OUT, "es")),
        ("comenzar", (Keyword.OPT_IN, "es")),
        ("INICIAR", (Keyword.OPT_IN, "es")),
        ("Iniciár", (Keyword.OPT_IN, "es")),
        ("Ayúda", (Keyword.HELP, "es")),
        ("ayuda", (Keyword.HELP, "es")),
        ("ayu\u0301da", (Keyword.HELP, "es")),  # the accent sent as a combining mark
        ("CANCEL", (Keyword.OPT_OUT, "en")),
        ("cancel ", (Keyword.OPT_OUT, "en")),
        ("STOP", (Keyword.OPT_OUT, "en")),
        ("Yes", (Keyword.OPT_IN, "en")),
        ("help", (Keyword.HELP, "en")),
        ("INFO", (Keyword.HELP, "en")),
    ],
)
def test_keywords_and_their_language(body: str, expected: tuple[Keyword, str]) -> None:
    assert classify_with_language(body) == expected
    assert classify(body) is expected[0]


@pytest.mark.parametrize(
    "body",
    [
        "alto al impuesto",
        "ALTO AL IMPUESTO",
        "hay que parar esta ley",
        "necesito ayuda para votar",
        "¡Alto!",
        "alto.",
        "ayuda?",
        "baja la renta",
        "si",
        "Sí",
        "SI",
        "sí, claro",
        "parar parar",
        "PARA",
        "comenzamos",
        "iniciar sesión",
        "a-l-t-o",
        "",
        "   ",
    ],
)
def test_messages_that_are_not_keywords(body: str) -> None:
    assert classify_with_language(body) is None
    assert classify(body) is None


@pytest.mark.parametrize("body", ["stóp", "HÉLP", "yés", "\uff33\uff34\uff2f\uff30"])  # the last is fullwidth STOP
def test_english_words_match_exactly_as_before(body: str) -> None:
    # Accent folding is for the Spanish words; English ones keep their old exact match.
    assert classify_with_language(body) is None


@pytest.mark.parametrize(
    ("body", "opt_out_type", "expected"),
    [
        ("arret", "STOP", (Keyword.OPT_OUT, None)),  # a custom Twilio keyword: only Twilio knew
        ("parar", "STOP", (Keyword.OPT_OUT, "es")),
        ("stop", "STOP", (Keyword.OPT_OUT, "en")),
        ("stop", "START", (Keyword.OPT_IN, None)),  # Twilio wins; the body said something else
        ("ayuda", "stop", (Keyword.OPT_OUT, None)),
        ("comenzar", " start ", (Keyword.OPT_IN, "es")),
        ("alto al impuesto", "HELP", (Keyword.HELP, None)),
        ("alto", "", (Keyword.OPT_OUT, "es")),
        ("alto", "SOMETHING_ELSE", (Keyword.OPT_OUT, "es")),
        ("hola", "SOMETHING_ELSE", None),
    ],
)
def test_twilio_opt_out_type_still_wins(
    body: str, opt_out_type: str, expected: tuple[Keyword, str | None] | None
) -> None:
    assert classify_with_language(body, opt_out_type) == expected
    assert classify(body, opt_out_type) is (expected[0] if expected else None)


# ---------------------------------------------------------------- properties

keywords = st.sampled_from(sorted(ALL_WORDS))
spanish_keywords = st.sampled_from(sorted(SPANISH_WORDS))
padding = st.text(alphabet=" \t\n\r\u00a0", max_size=4)
# Other words: at least one character that is not whitespace, so that the body is more than the keyword.
other_words = st.text(min_size=1, max_size=12).filter(lambda w: w.strip() != "")


def random_case(word: str, flips: list[bool]) -> str:
    return "".join(ch.lower() if flip else ch for ch, flip in zip(word, flips + [False] * len(word), strict=False))


@given(keywords, st.lists(other_words, min_size=1, max_size=4), st.integers(min_value=0, max_value=4), st.data())
def test_a_keyword_among_other_words_is_never_a_keyword(
    keyword: str, others: list[str], position: int, data: st.DataObject
) -> None:
    flips = data.draw(st.lists(st.booleans(), max_size=len(keyword)))
    words = list(others)
    words.insert(min(position, len(words)), random_case(keyword, flips))
    separator = data.draw(st.sampled_from([" ", "  ", "\n", ", ", " - "]))
    body = separator.join(words)
    assert classify_with_language(body) is None
    assert classify(body) is None


@given(keywords, padding, padding, st.lists(st.booleans(), max_size=12))
def test_a_keyword_alone_in_any_case_and_padding_is_a_keyword(
    keyword: str, before: str, after: str, flips: list[bool]
) -> None:
    found = classify_with_language(before + random_case(keyword, flips) + after)
    language = "es" if keyword in SPANISH_WORDS else "en"
    assert found == (ALL_WORDS[keyword], language)


@given(spanish_keywords, st.lists(st.sampled_from(["\u0301", "\u0300", "\u0308", "\u0303", ""]), max_size=8))
def test_accents_anywhere_on_a_spanish_keyword_change_nothing(keyword: str, marks: list[str]) -> None:
    accented = "".join(ch + (marks[i] if i < len(marks) else "") for i, ch in enumerate(keyword))
    assert classify_with_language(accented) == (SPANISH_WORDS[keyword], "es")


@given(st.text(max_size=60), st.one_of(st.none(), st.text(max_size=10)))
def test_classify_is_classify_with_language_without_the_language(body: str, opt_out_type: str | None) -> None:
    found = classify_with_language(body, opt_out_type)
    assert classify(body, opt_out_type) is (found[0] if found else None)
    assert found is None or found[1] in {None, "en", "es"}

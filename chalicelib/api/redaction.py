"""Personal data never reaches a log line: phone numbers, email addresses and message bodies.

:func:`redact` walks any value a log record carries (the message, extra keys, nested dicts) and
masks phone numbers (E.164 and the usual national shapes) and email addresses wherever they
appear, and replaces whole fields whose name says they hold what someone wrote (``body``,
``text``, ``Body``...). :class:`RedactingFormatter` applies it to Powertools' JSON log lines;
:class:`RedactingFilter` to any other handler (the Lambda runtime's own root handler).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

PHONE_MASK = "[phone]"
EMAIL_MASK = "[email]"
BODY_MASK = "[redacted]"

# Fields that hold what a person wrote, whatever their case.
BODY_FIELDS = frozenset({"body", "text", "transcriptiontext", "transcription_text", "caption", "content"})

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"""
    (?<![\w+])(?:
        \+\d[\d\s().-]{6,18}\d                                    # +16175550100, +44 20 7946 0958
      | (?:1[\s.-]?)?\(\d{3}\)[\s.-]?\d{3}[\s.-]?\d{4}             # (617) 555-0100, 1 (617) 555 0100
      | (?:1[\s.-])?\d{3}[\s.-]\d{3}[\s.-]\d{4}                    # 617-555-0100, 617.555.0100, 1 617 555 0100
      | 1?\d{10}                                                  # 6175550100, 16175550100
    )(?![\w])
    """,
    re.VERBOSE,
)


# Every shape _PHONE matches holds "+" and a digit, or three digits in a row; every email an "@".
# Most strings in a log line (levels, names, paths) hold neither and skip the full patterns.
_PHONE_HINT = re.compile(r"\+\d|\d{3}")


def redact_text(text: str) -> str:
    if "@" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    if _PHONE_HINT.search(text):
        text = _PHONE.sub(PHONE_MASK, text)
    return text


def redact(value: Any, key: str | None = None) -> Any:
    """A copy of ``value`` with personal data masked (``key``: the field that holds it)."""
    if key is not None and key.lower() in BODY_FIELDS and value not in (None, ""):
        return BODY_MASK
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    # Anything else is written with str() (Powertools' json_default): exceptions, datetimes, models.
    return redact_text(str(value))


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON log line, redacted just before it is written."""

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        return super().serialize(redact(log))


class RedactingFilter(logging.Filter):
    """For plain handlers: redact the formatted message and any extra fields of the record."""

    _STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args or isinstance(record.msg, str | dict):
            record.msg = redact(record.getMessage() if record.args else record.msg)
            record.args = None
        for name, value in list(record.__dict__.items()):
            if name not in self._STANDARD:
                setattr(record, name, redact(value, name))
        if record.exc_info and record.exc_info[1] is not None:
            # The traceback text is built later from exc_info: render and redact it now.
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True

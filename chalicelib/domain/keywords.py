"""SMS compliance keywords (carrier and Twilio defaults), in English and Spanish.

Only a whole message counts: "we have got to STOP this bill" and "alto al impuesto" are ordinary
messages. The body is trimmed and compared without regard to case; Spanish words also without
regard to accents ("párar", "Ayúda"), since phones add and drop them at will. English words match
exactly as they always have.
"""

from __future__ import annotations

import enum
import unicodedata


class Keyword(enum.StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


ENGLISH = "en"
SPANISH = "es"

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

SPANISH_OPT_OUT_WORDS = frozenset({"PARAR", "DETENER", "CANCELAR", "BAJA", "ALTO"})
# Not "SI": a "sí" answers a volunteer's question far more often than it asks to be texted again.
SPANISH_OPT_IN_WORDS = frozenset({"COMENZAR", "INICIAR"})
SPANISH_HELP_WORDS = frozenset({"AYUDA"})

_ENGLISH = (
    {w: Keyword.OPT_OUT for w in OPT_OUT_WORDS}
    | {w: Keyword.OPT_IN for w in OPT_IN_WORDS}
    | {w: Keyword.HELP for w in HELP_WORDS}
)
_SPANISH = (
    {w: Keyword.OPT_OUT for w in SPANISH_OPT_OUT_WORDS}
    | {w: Keyword.OPT_IN for w in SPANISH_OPT_IN_WORDS}
    | {w: Keyword.HELP for w in SPANISH_HELP_WORDS}
)
# Twilio's Advanced Opt-Out reports what it recognised (including custom keywords).
_BY_OPT_OUT_TYPE = {"STOP": Keyword.OPT_OUT, "START": Keyword.OPT_IN, "HELP": Keyword.HELP}


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _from_body(body: str) -> tuple[Keyword, str] | None:
    word = body.strip().upper()
    if word in _ENGLISH:
        return _ENGLISH[word], ENGLISH
    spanish = _SPANISH.get(_without_accents(word))
    return (spanish, SPANISH) if spanish is not None else None


def classify_with_language(body: str, opt_out_type: str | None = None) -> tuple[Keyword, str | None] | None:
    """The keyword a message is, and the language it was said in, or ``None`` for a message.

    Twilio's ``OptOutType`` wins over the body, as Twilio has already acted on it. The language
    is then the body's only when the body is that same keyword in a language we know ("PARAR"
    with ``STOP``); when only ``OptOutType`` told us (a custom Twilio keyword), it is ``None``.
    """
    from_body = _from_body(body)
    if opt_out_type:
        reported = _BY_OPT_OUT_TYPE.get(opt_out_type.strip().upper())
        if reported:
            if from_body is not None and from_body[0] is reported:
                return reported, from_body[1]
            return reported, None
    return from_body


def classify(body: str, opt_out_type: str | None = None) -> Keyword | None:
    found = classify_with_language(body, opt_out_type)
    return found[0] if found else None

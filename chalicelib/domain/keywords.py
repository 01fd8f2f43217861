"""SMS compliance keywords (carrier and Twilio defaults).

Only a whole message counts: "we have got to STOP this bill" is an ordinary message.
"""

from __future__ import annotations

import enum


class Keyword(enum.StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

_BY_WORD = (
    {w: Keyword.OPT_OUT for w in OPT_OUT_WORDS}
    | {w: Keyword.OPT_IN for w in OPT_IN_WORDS}
    | {w: Keyword.HELP for w in HELP_WORDS}
)
# Twilio's Advanced Opt-Out reports what it recognised (including custom keywords).
_BY_OPT_OUT_TYPE = {"STOP": Keyword.OPT_OUT, "START": Keyword.OPT_IN, "HELP": Keyword.HELP}


def classify(body: str, opt_out_type: str | None = None) -> Keyword | None:
    if opt_out_type:
        found = _BY_OPT_OUT_TYPE.get(opt_out_type.strip().upper())
        if found:
            return found
    return _BY_WORD.get(body.strip().upper())

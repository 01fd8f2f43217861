"""Twilio Voice webhooks: the call, its voicemail recording and the transcription."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.adapters.channels import twilio, voice
from chalicelib.api.errors import http_errors
from chalicelib.api.requests import raw_request
from chalicelib.api.wiring import deps
from chalicelib.bootstrap import Container
from chalicelib.domain.model import Channel
from chalicelib.services import calls

bp = Blueprint(__name__)
FORM = [twilio.FORM_CONTENT_TYPE]
XML: dict[str, str | list[str]] = {"Content-Type": "text/xml"}
PLAIN: dict[str, str | list[str]] = {"Content-Type": "text/plain"}


def _form(c: Container) -> twilio.FormParams:
    return twilio.verified_form(
        raw_request(bp.current_request), c.settings.twilio_auth_token, c.settings.public_base_url
    )


@bp.route(voice.VOICE_PATH, methods=["POST"], content_types=FORM)
@http_errors
def twilio_voice() -> Response:
    c = deps()
    s = c.settings
    inbound = voice.parse_call(_form(c), c.clock(), calls.NO_MESSAGE)
    texts = c.answer_texts(Channel.VOICE)
    answer = calls.receive_call(c, inbound, texts, s.task_sla_minutes)
    # A caller always hears the greeting; only a new task stores it as the acknowledgement.
    say = answer.reply_text or texts.ack
    body = voice.twiml_greeting(
        say, s.voice_say_voice, s.voice_language, s.public_base_url, s.voice_max_recording_seconds
    )
    return Response(body=body, status_code=200, headers=XML)


@bp.route(voice.RECORDING_PATH, methods=["POST"], content_types=FORM)
@http_errors
def twilio_voice_recording() -> Response:
    c = deps()
    s = c.settings
    inbound, recording = voice.parse_recording(_form(c), c.clock(), calls.NO_MESSAGE)
    calls.attach_recording(c, inbound, recording, c.answer_texts(Channel.VOICE), s.task_sla_minutes)
    body = voice.twiml_goodbye(s.render(s.voice_goodbye_text), s.voice_say_voice, s.voice_language)
    return Response(body=body, status_code=200, headers=XML)


@bp.route(voice.TRANSCRIPTION_PATH, methods=["POST"], content_types=FORM)
@http_errors
def twilio_voice_transcription() -> Response:
    c = deps()
    s = c.settings
    inbound, transcript = voice.parse_transcription(_form(c), c.clock(), calls.NO_MESSAGE)
    calls.attach_transcript(c, inbound, transcript, c.answer_texts(Channel.VOICE), s.task_sla_minutes)
    return Response(body="", status_code=200, headers=PLAIN)

"""Calls to the campaign's Twilio number: the spoken acknowledgement, the voicemail and its
transcription. A call is answered by text (the caller's number is an SMS identity too).

Requests are verified exactly like SMS (:func:`chalicelib.adapters.channels.twilio.verified_form`).
Only TwiML is imported here (``twilio.twiml``), on the first call, never ``twilio.rest``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chalicelib.adapters.channels.base import CallRoute, ChannelSpec, HttpReply, RawRequest, part
from chalicelib.adapters.channels.twilio import (
    FORM_CONTENT_TYPE,
    CallerForm,
    FormParams,
    TwilioSettings,
    _validated,
    verified_form,
)
from chalicelib.domain.channels import SMS, Channel, ChannelRules, define
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.model import PHONE
from chalicelib.domain.texts import TextKind
from chalicelib.services.calls import NO_MESSAGE, CallRecording, CallTranscript

if TYPE_CHECKING:
    from twilio.twiml.voice_response import VoiceResponse

    from chalicelib.settings import CoreSettings

VOICE = define(ChannelRules(Channel("voice"), address_kind=PHONE, reply_channel=SMS, van_contact_type="Phone"))


class VoiceSettings(BaseSettings):
    """The spoken acknowledgement's voice and language (Twilio ``<Say>``), the voicemail's length."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    voice_say_voice: str = "Polly.Joanna"
    voice_language: str = "en-US"
    voice_max_recording_seconds: int = Field(default=120, ge=2, le=120)
    voice_goodbye_text: str = "Thank you. Goodbye."


VOICE_PATH = "/webhooks/twilio/voice"
RECORDING_PATH = "/webhooks/twilio/voice/recording"
TRANSCRIPTION_PATH = "/webhooks/twilio/voice/transcription"


class CallForm(CallerForm):
    call_sid: str = Field(alias="CallSid", min_length=2, max_length=64)

    def inbound(self, received_at: datetime, placeholder: str) -> InboundMessage:
        """The call as a message (one per CallSid), its text a placeholder until a transcript."""
        return InboundMessage(
            channel=VOICE,
            provider_id=self.call_sid,
            address=self.from_,
            text=placeholder,
            received_at=received_at,
            meta=self.geo,
            answers_inline=True,
        )


class RecordingForm(CallForm):
    recording_sid: str | None = Field(default=None, alias="RecordingSid", max_length=64)
    recording_url: str | None = Field(default=None, alias="RecordingUrl", max_length=2048)
    recording_duration: int | None = Field(default=None, alias="RecordingDuration", ge=0, le=86_400)

    @field_validator("recording_duration", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value


class TranscriptionForm(CallForm):
    transcription_status: str = Field(default="completed", alias="TranscriptionStatus")
    transcription_text: str = Field(default="", alias="TranscriptionText", max_length=10_000)
    recording_url: str | None = Field(default=None, alias="RecordingUrl", max_length=2048)


def parse_call(form: FormParams, received_at: datetime, placeholder: str) -> InboundMessage:
    """An incoming call is a message from the moment it rings: if the caller hangs up before
    the tone, the task it opens still says someone called."""
    call = _validated(CallForm, form)
    return call.inbound(received_at, placeholder)


def parse_recording(form: FormParams, received_at: datetime, placeholder: str) -> tuple[InboundMessage, CallRecording]:
    rec = _validated(RecordingForm, form)
    inbound = rec.inbound(received_at, placeholder)
    has_audio = bool(rec.recording_url) and (rec.recording_duration or 0) > 0
    recording = CallRecording(
        call_sid=rec.call_sid,
        url=rec.recording_url if has_audio else None,
        duration=rec.recording_duration or 0,
    )
    return inbound, recording


def parse_transcription(
    form: FormParams, received_at: datetime, placeholder: str
) -> tuple[InboundMessage, CallTranscript]:
    tr = _validated(TranscriptionForm, form)
    inbound = tr.inbound(received_at, placeholder)
    completed = tr.transcription_status.lower() == "completed" and bool(tr.transcription_text.strip())
    transcript = CallTranscript(
        call_sid=tr.call_sid,
        text=tr.transcription_text.strip() if completed else None,
        recording_url=tr.recording_url,
    )
    return inbound, transcript


def _voice_response() -> VoiceResponse:
    # Imported on the first call, not with the app: no SMS cold start pays for voice TwiML.
    from twilio.twiml.voice_response import VoiceResponse

    return VoiceResponse()


def twiml_greeting(say: str, voice: str, language: str, public_base_url: str, max_length: int) -> str:
    """Speak the acknowledgement, then record a voicemail with transcription."""
    response = _voice_response()
    response.say(say, voice=voice, language=language)
    response.record(
        action=public_base_url + RECORDING_PATH,
        method="POST",
        max_length=max_length,
        timeout=5,
        play_beep=True,
        finish_on_key="#",
        transcribe=True,
        transcribe_callback=public_base_url + TRANSCRIPTION_PATH,
    )
    return str(response)


def twiml_goodbye(say: str, voice: str, language: str) -> str:
    response = _voice_response()
    response.say(say, voice=voice, language=language)
    response.hangup()
    return str(response)


def _form(request: RawRequest, settings: CoreSettings) -> FormParams:
    return verified_form(request, part(settings, TwilioSettings).twilio_auth_token, settings.public_base_url)


def _read_call(request: RawRequest, settings: CoreSettings, now: datetime) -> tuple[InboundMessage, None]:
    return parse_call(_form(request, settings), now, NO_MESSAGE), None


def _read_recording(request: RawRequest, settings: CoreSettings, now: datetime) -> tuple[InboundMessage, CallRecording]:
    return parse_recording(_form(request, settings), now, NO_MESSAGE)


def _read_transcript(
    request: RawRequest, settings: CoreSettings, now: datetime
) -> tuple[InboundMessage, CallTranscript]:
    return parse_transcription(_form(request, settings), now, NO_MESSAGE)


def _greet(settings: CoreSettings, say: str) -> HttpReply:
    voice = part(settings, VoiceSettings)
    body = twiml_greeting(say, voice.voice_say_voice, voice.voice_language, settings.public_base_url,
                          voice.voice_max_recording_seconds)  # fmt: skip
    return HttpReply(body, content_type="text/xml")


def _goodbye(settings: CoreSettings, _say: str) -> HttpReply:
    voice = part(settings, VoiceSettings)
    text = settings.render(voice.voice_goodbye_text)
    return HttpReply(twiml_goodbye(text, voice.voice_say_voice, voice.voice_language), content_type="text/xml")


FORM = (FORM_CONTENT_TYPE,)

CHANNEL = ChannelSpec(
    rules=VOICE.rules,
    label="Voice",
    colour="#6d28d9",
    icon='<path fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" '
    'd="M6 3h3l2 5-2.5 1.5a11 11 0 0 0 6 6L16 13l5 2v3a2 2 0 0 1-2 2A16 16 0 0 1 4 5a2 2 0 0 1 2-2z"/>',
    texts={
        TextKind.ACK: "Thanks for calling {campaign}. Please leave your name and message after the tone; "
        "a volunteer will get back to you soon.",
        # "Reply STOP" only means something where keywords are read: not on a call.
        TextKind.FIRST_CONTACT_NOTICE: "",
    },
    settings=VoiceSettings,
    routes=(
        CallRoute(VOICE_PATH, "ring", _read_call, _greet, FORM, inbound_metric="voice"),
        CallRoute(RECORDING_PATH, "recording", _read_recording, _goodbye, FORM),
        CallRoute(TRANSCRIPTION_PATH, "transcription", _read_transcript, lambda _s, _t: HttpReply(), FORM),
    ),
)

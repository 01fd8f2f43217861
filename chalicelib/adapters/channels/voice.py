"""Twilio Voice: the spoken acknowledgement, the voicemail and its transcription.

Requests are verified exactly like SMS (:func:`chalicelib.adapters.channels.twilio.verified_form`).
Only TwiML is imported here (``twilio.twiml``), never ``twilio.rest``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from chalicelib.adapters.channels.twilio import CallerForm, FormParams, _validated
from chalicelib.domain.inbound import InboundMessage
from chalicelib.domain.model import Channel
from chalicelib.services.calls import CallRecording, CallTranscript

if TYPE_CHECKING:
    from twilio.twiml.voice_response import VoiceResponse

VOICE_PATH = "/webhooks/twilio/voice"
RECORDING_PATH = "/webhooks/twilio/voice/recording"
TRANSCRIPTION_PATH = "/webhooks/twilio/voice/transcription"


class CallForm(CallerForm):
    call_sid: str = Field(alias="CallSid", min_length=2, max_length=64)

    def inbound(self, received_at: datetime, placeholder: str) -> InboundMessage:
        """The call as a message (one per CallSid), its text a placeholder until a transcript."""
        return InboundMessage(
            channel=Channel.VOICE,
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

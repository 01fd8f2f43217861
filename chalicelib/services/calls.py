"""Use cases: a phone call, its voicemail and the voicemail's transcription.

The call is recorded as one inbound message from the moment it rings (provider id = CallSid),
so a caller who hangs up before leaving a message still gets a task and a call back. The
recording and its transcription arrive later, in either order, and fill that message in:
a transcript is final and always wins over the provisional "voicemail" text, whichever
callback is processed first (the store applies both fills order-independently).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.inbound import Answer, AnswerTexts, InboundMessage
from chalicelib.domain.model import preview_of
from chalicelib.services.inbound import receive_message
from chalicelib.services.ports.inbound import InboundStore
from chalicelib.services.ports.messages import MessageFill, MessageRef, MessageStore
from chalicelib.services.ports.outbound import OutboundQueue
from chalicelib.services.ports.tasks import TaskStore

log = logging.getLogger(__name__)

NO_MESSAGE = "called, left no message"
PENDING = "voicemail (transcription pending)"
NO_TRANSCRIPT = "voicemail (no transcription: listen to the recording)"
# Task previews that are only placeholders and may be replaced by what the caller said.
PLACEHOLDERS = (preview_of(NO_MESSAGE), preview_of(PENDING))


@dataclass(frozen=True)
class CallRecording:
    call_sid: str
    url: str | None  # None: the caller left no audio
    duration: int


@dataclass(frozen=True)
class CallTranscript:
    call_sid: str
    text: str | None  # None: transcription failed or was empty
    recording_url: str | None = None


class CallDeps(Protocol):
    @property
    def inbound(self) -> InboundStore: ...
    @property
    def messages(self) -> MessageStore: ...
    @property
    def tasks(self) -> TaskStore: ...
    @property
    def queue(self) -> OutboundQueue: ...


def receive_call(deps: CallDeps, msg: InboundMessage, texts: AnswerTexts, sla: int) -> Answer:
    """Record the call (opening or joining the caller's task); safe to run twice."""
    answer = receive_message(msg, deps.inbound, deps.queue, texts, sla)
    if not answer.duplicate:
        # Lets the recording and transcription callbacks find this message by CallSid.
        ref = MessageRef(answer.person_id, answer.message_id, msg.received_at)
        deps.messages.link_provider_id(msg.channel, msg.provider_id, ref)
    return answer


def attach_recording(
    deps: CallDeps, msg: InboundMessage, recording: CallRecording, texts: AnswerTexts, sla: int
) -> None:
    ref = _call_message(deps, msg, texts, sla)
    if ref is None or recording.url is None:
        return  # no audio: the message keeps saying the person called and left no message
    fill = MessageFill(
        provisional_text=PENDING,
        media_urls=(recording.url,),
        meta={"recording_duration": str(recording.duration)},
    )
    _fill(deps, ref, fill)


def attach_transcript(
    deps: CallDeps, msg: InboundMessage, transcript: CallTranscript, texts: AnswerTexts, sla: int
) -> None:
    ref = _call_message(deps, msg, texts, sla)
    if ref is None:
        return
    fill = MessageFill(
        final_text=transcript.text or NO_TRANSCRIPT,
        media_urls=(transcript.recording_url,) if transcript.recording_url else None,
    )
    _fill(deps, ref, fill)


def _call_message(deps: CallDeps, msg: InboundMessage, texts: AnswerTexts, sla: int) -> MessageRef | None:
    """The call's message; recorded now if the call webhook never was (it failed, or timed out)."""
    ref = deps.messages.find_by_provider_id(msg.channel, msg.provider_id)
    if ref is None:
        receive_call(deps, msg, texts, sla)
        ref = deps.messages.find_by_provider_id(msg.channel, msg.provider_id)
    if ref is None:
        log.warning("voice callback: the call's message cannot be found; fill skipped")
    return ref


def _fill(deps: CallDeps, ref: MessageRef, fill: MessageFill) -> None:
    updated = deps.messages.fill_message(ref, fill)
    if updated is not None and updated.task_id:
        deps.tasks.set_task_preview(updated.task_id, preview_of(updated.text), PLACEHOLDERS)

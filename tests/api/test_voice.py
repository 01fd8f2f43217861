"""Twilio Voice: the call is answered in TwiML, the voicemail and transcription fill the task."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.bootstrap import Container
from chalicelib.domain.model import Address, Direction, MessageStatus
from chalicelib.services import calls
from tests.support.channels import acknowledgements, conversation, open_tasks, queued_ids, replay
from tests.support.signing import event, signed_twilio, sms_fields

VOICE = "/webhooks/twilio/voice"
RECORDING = "/webhooks/twilio/voice/recording"
TRANSCRIPTION = "/webhooks/twilio/voice/transcription"
CALL = "CAffffffffffffffffffffffffffffff05"
CALLER = "+16175550199"
REC_URL = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000001/Recordings/RE11111111111111111111111111111111"
SPOKEN = "Hi this is Pat, the streetlight on Elm is out again."


def call_fields(call: str = CALL, caller: str = CALLER, **extra: str) -> dict[str, str]:
    return {
        "CallSid": call,
        "From": caller,
        "To": "+16175550100",
        "AccountSid": "AC00000000000000000000000000000001",
        **extra,
    }


def call(client: Any, call_sid: str = CALL, caller: str = CALLER) -> Any:
    headers, body = signed_twilio(VOICE, call_fields(call_sid, caller, CallStatus="ringing"))
    return client.http.post(VOICE, headers=headers, body=body)


def recording(client: Any, duration: str = "14", call_sid: str = CALL, with_url: bool = True) -> Any:
    extra = {
        "RecordingSid": "RE11111111111111111111111111111111",
        "RecordingDuration": duration,
        "CallStatus": "completed",
    }
    if with_url:
        extra["RecordingUrl"] = REC_URL
    headers, body = signed_twilio(RECORDING, call_fields(call_sid, **extra))
    return client.http.post(RECORDING, headers=headers, body=body)


def the_call(container: Container) -> Any:
    [message] = [
        m for m in conversation(container, "phone", CALLER) if m.direction is Direction.INBOUND and m.channel == "voice"
    ]
    return message


def test_call_is_answered_with_a_spoken_acknowledgement_and_a_voicemail(client: Any, container: Container) -> None:
    response = replay(client, "twilio_voice_inbound")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml"
    body = response.body.decode()
    for fragment in event("twilio_voice_inbound")["expected"]["body_contains"]:
        assert fragment in body
    assert "Jane for Council" in body and 'voice="Polly.Joanna"' in body
    assert 'maxLength="120"' in body and 'transcribe="true"' in body
    base = "https://abc123defg.execute-api.us-east-1.amazonaws.com/api"
    assert f'action="{base}{RECORDING}"' in body and f'transcribeCallback="{base}{TRANSCRIPTION}"' in body
    assert "STOP" not in body  # nothing to reply to on a call
    # The acknowledgement was spoken: stored as sent, never queued.
    [ack] = acknowledgements(conversation(container, "phone", CALLER))
    assert ack.status is MessageStatus.SENT and ack.channel == "voice"
    assert queued_ids(container) == []


def test_a_call_that_hangs_up_without_a_message_still_opens_a_task(client: Any, container: Container) -> None:
    replay(client, "twilio_voice_inbound")
    response = recording(client, duration="0", with_url=False)

    assert response.status_code == 200 and "<Hangup" in response.body.decode()
    [task] = open_tasks(container)
    assert task.preview == calls.NO_MESSAGE and task.channel == "voice"
    assert the_call(container).text == calls.NO_MESSAGE


def test_voicemail_then_transcription_fills_in_the_message(client: Any, container: Container) -> None:
    replay(client, "twilio_voice_inbound")
    recording(client)
    [task] = open_tasks(container)
    assert task.preview == calls.PENDING
    message = the_call(container)
    assert message.media_urls == [REC_URL] and message.meta["recording_duration"] == "14"

    response = replay(client, "twilio_voice_transcription_callback")

    assert response.status_code == 200
    assert the_call(container).text == SPOKEN
    [task] = open_tasks(container)
    assert task.preview == SPOKEN


def test_transcription_before_the_recording_callback_is_not_overwritten(client: Any, container: Container) -> None:
    replay(client, "twilio_voice_inbound")
    replay(client, "twilio_voice_transcription_callback")
    recording(client)

    message = the_call(container)
    assert message.text == SPOKEN and message.media_urls == [REC_URL]
    [task] = open_tasks(container)
    assert task.preview == SPOKEN


def test_callbacks_for_a_call_we_never_saw_still_record_it_once(client: Any, container: Container) -> None:
    replay(client, "twilio_voice_transcription_callback")
    recording(client)

    assert the_call(container).text == SPOKEN
    assert len(open_tasks(container)) == 1


def test_redelivery_is_one_message_one_task_one_acknowledgement(client: Any, container: Container) -> None:
    first = replay(client, "twilio_voice_inbound")
    second = replay(client, "twilio_voice_inbound")
    for _ in range(2):
        recording(client)
        replay(client, "twilio_voice_transcription_callback")

    assert second.body == first.body
    messages = conversation(container, "phone", CALLER)
    assert len([m for m in messages if m.direction is Direction.INBOUND]) == 1
    assert len(acknowledgements(messages)) == 1
    assert len(open_tasks(container)) == 1


def test_caller_is_the_same_person_as_their_sms_number(client: Any, container: Container) -> None:
    headers, body = signed_twilio("/webhooks/twilio/sms", sms_fields("texting first", "SM" + "d" * 32, CALLER))
    client.http.post("/webhooks/twilio/sms", headers=headers, body=body)

    response = replay(client, "twilio_voice_inbound")

    [task] = open_tasks(container)
    assert task.inbound_count == 2 and task.channel == "voice"
    assert "Jane for Council" in response.body.decode()  # a caller always hears the greeting
    assert len(acknowledgements(conversation(container, "phone", CALLER))) == 1


def test_failed_transcription_says_to_listen(client: Any, container: Container) -> None:
    call(client)
    recording(client)
    headers, body = signed_twilio(
        TRANSCRIPTION, call_fields(TranscriptionStatus="failed", TranscriptionText="", RecordingUrl=REC_URL)
    )
    assert client.http.post(TRANSCRIPTION, headers=headers, body=body).status_code == 200
    assert the_call(container).text == calls.NO_TRANSCRIPT


def test_preview_is_not_taken_over_by_a_late_transcript_when_the_caller_wrote_since(
    client: Any, container: Container, clock: Any
) -> None:
    call(client)
    recording(client)
    clock.advance(minutes=1)
    headers, body = signed_twilio("/webhooks/twilio/sms", sms_fields("also: Elm & 3rd", "SM" + "e" * 32, CALLER))
    client.http.post("/webhooks/twilio/sms", headers=headers, body=body)
    replay(client, "twilio_voice_transcription_callback")

    [task] = open_tasks(container)
    assert task.preview == "also: Elm & 3rd"
    assert the_call(container).text == SPOKEN


@pytest.mark.parametrize("path", [VOICE, RECORDING, TRANSCRIPTION])
def test_unsigned_callbacks_are_forbidden_and_store_nothing(client: Any, container: Container, path: str) -> None:
    headers, body = signed_twilio(path, call_fields())
    headers["X-Twilio-Signature"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    assert client.http.post(path, headers=headers, body=body).status_code == 403
    assert container.people.find_identity(Address("phone", CALLER)) is None


@pytest.mark.parametrize("path", [VOICE, RECORDING, TRANSCRIPTION])
def test_missing_call_sid_is_a_400(client: Any, path: str) -> None:
    fields = call_fields()
    del fields["CallSid"]
    headers, body = signed_twilio(path, fields)
    response = client.http.post(path, headers=headers, body=body)
    assert response.status_code == 400 and "CallSid" in response.json_body["Message"]

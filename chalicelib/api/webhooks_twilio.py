"""Twilio Messaging webhooks: inbound SMS/MMS and message status callbacks."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.adapters.channels import twilio
from chalicelib.api.errors import http_errors
from chalicelib.api.requests import raw_request
from chalicelib.api.wiring import deps
from chalicelib.services.delivery import record_status
from chalicelib.services.inbound import receive_message
from chalicelib.services.shifts import lookup_sender, staff_text

bp = Blueprint(__name__)
FORM = [twilio.FORM_CONTENT_TYPE]
XML: dict[str, str | list[str]] = {"Content-Type": "text/xml"}
PLAIN: dict[str, str | list[str]] = {"Content-Type": "text/plain"}


@bp.route("/webhooks/twilio/sms", methods=["POST"], content_types=FORM)
@http_errors
def twilio_sms() -> Response:
    c = deps()
    form = twilio.verified_form(
        raw_request(bp.current_request), c.settings.twilio_auth_token, c.settings.public_base_url
    )
    inbound = twilio.parse_sms(form, c.clock())
    # One read tells a constituent from a volunteer's or organizer's own
    # phone, whose texts are commands; the constituent path reuses it.
    lookup = lookup_sender(c, inbound)
    if lookup.staff is not None:
        staff_answer = staff_text(c, inbound, lookup.staff)
        return Response(body=twilio.twiml_message(staff_answer or None), status_code=200, headers=XML)
    answer = receive_message(
        inbound, c.inbound, c.queue, c.answer_texts(inbound.channel), c.settings.task_sla_minutes, lookup=lookup
    )
    return Response(body=twilio.twiml_message(answer.reply_text), status_code=200, headers=XML)


@bp.route("/webhooks/twilio/status", methods=["POST"], content_types=FORM)
@http_errors
def twilio_status() -> Response:
    c = deps()
    form = twilio.verified_form(
        raw_request(bp.current_request), c.settings.twilio_auth_token, c.settings.public_base_url
    )
    report = twilio.parse_status(form)
    if report is not None:
        record_status(report, c.messages, c.people)
    return Response(body="", status_code=200, headers=PLAIN)

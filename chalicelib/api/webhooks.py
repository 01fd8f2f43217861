"""Every provider's webhook, registered from the channel registry.

Each route a channel module declares becomes a Chalice route (or an SNS subscription) here,
and its kind says which use case it feeds: messages and statuses, a text answered inline
(with the volunteers' own phones told apart), a call and its voicemail, a subscription
handshake. Channel modules verify and parse; this module calls the services and shapes
the answer; nothing here knows a channel by name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response
from chalice.app import SNSEvent

from chalicelib.adapters.channels.base import (
    CallRoute,
    Delivery,
    HandshakeRoute,
    HttpReply,
    MessagesRoute,
    Route,
    TextRoute,
    TopicRoute,
)
from chalicelib.adapters.channels.registry import routes
from chalicelib.api.errors import http_errors
from chalicelib.api.requests import raw_request
from chalicelib.api.wiring import deps
from chalicelib.bootstrap import Container
from chalicelib.domain.inbound import Answer
from chalicelib.services import calls
from chalicelib.services.batch import receive_batch
from chalicelib.services.delivery import record_status
from chalicelib.services.inbound import receive_message
from chalicelib.services.shifts import lookup_sender, staff_text
from chalicelib.services.suppression import suppress

bp = Blueprint(__name__)
log = logging.getLogger(__name__)


def _response(reply: HttpReply) -> Response:
    return Response(body=reply.body, status_code=reply.status, headers={"Content-Type": reply.content_type})


def record(c: Container, delivery: Delivery) -> list[Answer]:
    """Statuses, suppressions and messages of one delivery; one message that cannot be recorded
    now does not stop the others (see receive_batch)."""
    for report in delivery.statuses:
        record_status(report, c.messages, c.people)
    for channel, address in delivery.suppress:
        suppress(c.people, channel, [address.value])
    return receive_batch(delivery.messages, c.inbound, c.queue, c.answer_texts, c.settings.task_sla_minutes)


def _messages(route: MessagesRoute) -> Callable[[], Response]:
    def view() -> Response:
        c = deps()
        delivery = route.read(raw_request(bp.current_request), c.settings, c.clock())
        return _response(route.reply(record(c, delivery)))

    return view


def _handshake(route: HandshakeRoute) -> Callable[[], Response]:
    def view() -> Response:
        c = deps()
        return _response(route.answer(raw_request(bp.current_request), c.settings))

    return view


def _text(route: TextRoute) -> Callable[[], Response]:
    def view() -> Response:
        c = deps()
        inbound = route.read(raw_request(bp.current_request), c.settings, c.clock())
        # One read tells a constituent from a volunteer's or organizer's own phone, whose texts
        # are commands; the constituent path reuses it.
        lookup = lookup_sender(c, inbound)
        if lookup.staff is not None:
            return _response(route.reply(staff_text(c, inbound, lookup.staff) or None))
        texts = c.answer_texts(inbound.channel)
        answer = receive_message(inbound, c.inbound, c.queue, texts, c.settings.task_sla_minutes, lookup=lookup)
        return _response(route.reply(answer.reply_text))

    return view


def _call(route: CallRoute) -> Callable[[], Response]:
    def view() -> Response:
        c = deps()
        inbound, part = route.read(raw_request(bp.current_request), c.settings, c.clock())
        texts, sla = c.answer_texts(inbound.channel), c.settings.task_sla_minutes
        say = ""
        if isinstance(part, calls.CallRecording):
            calls.attach_recording(c, inbound, part, texts, sla)
        elif isinstance(part, calls.CallTranscript):
            calls.attach_transcript(c, inbound, part, texts, sla)
        else:
            # A caller always hears the greeting; only a new task stores it as the acknowledgement.
            say = calls.receive_call(c, inbound, texts, sla).reply_text or texts.ack
        return _response(route.reply(c.settings, say))

    return view


_VIEWS: dict[type, Callable[[Any], Callable[[], Response]]] = {
    MessagesRoute: _messages,
    HandshakeRoute: _handshake,
    TextRoute: _text,
    CallRoute: _call,
}


def _topic(route: TopicRoute) -> Callable[[SNSEvent], None]:
    def handler(event: SNSEvent) -> None:
        """Bad notifications are counted and dropped (a retry cannot fix them); a delivery being
        processed concurrently raises, so Lambda's asynchronous retry tries it again."""
        c = deps()
        delivery = route.read(event.to_dict(), c.settings, c.clock())
        record(c, delivery)
        log.info(
            "%s: %d message(s), %d suppression(s), %d ignored, %d invalid",
            route.topic, len(delivery.messages), len(delivery.suppress), delivery.ignored, delivery.invalid,
        )  # fmt: skip

    return handler


def _register(route: Route, n: int) -> None:
    if isinstance(route, TopicRoute):
        handler = _topic(route)
        handler.__name__ = route.name
        bp.on_sns_message(topic=route.topic)(handler)
        return
    view = http_errors(_VIEWS[type(route)](route))
    view.__name__ = f"webhook_{n}_{route.method.lower()}_{route.path.strip('/').replace('/', '_')}"
    options: dict[str, Any] = {"methods": [route.method]}
    if not isinstance(route, HandshakeRoute):
        options["content_types"] = list(route.content_types)
    bp.route(route.path, **options)(view)


for _n, _route in enumerate(routes()):
    _register(_route, _n)

"""Inbound email: SES receipt rule -> SNS topic -> this Lambda (no HTTP route).

SNS invokes the function directly, so its subscription is the trust boundary (there is no
request signature to forge from outside AWS); the topic ARN is checked when configured.
"""

from __future__ import annotations

import logging

from chalice import Blueprint
from chalice.app import SNSEvent

from chalicelib.api.channel_support import receive_all
from chalicelib.api.wiring import deps
from chalicelib.domain.model import Channel
from chalicelib.services.suppression import suppress

bp = Blueprint(__name__)
log = logging.getLogger(__name__)

# The SNS topic the SES receipt rule publishes to (created by the deployment template).
INBOUND_EMAIL_TOPIC = "hearback-inbound-email"


@bp.on_sns_message(topic=INBOUND_EMAIL_TOPIC)
def inbound_email(event: SNSEvent) -> None:
    """Record inbound mail; bounces and complaints suppress the address.

    Bad notifications are logged and dropped (a retry cannot fix them); a delivery being
    processed concurrently raises, so Lambda's asynchronous retry tries it again.
    """
    from chalicelib.adapters.channels import email  # MIME and HTML parsing: only this function needs them

    c = deps()
    batch = email.parse_sns_event(event.to_dict(), c.settings.inbound_email_topic_arn, c.clock())
    suppress(c.people, Channel.EMAIL, batch.suppress)
    receive_all(c, batch.messages)
    log.info(
        "email: %d message(s), %d suppression(s), %d ignored, %d invalid",
        len(batch.messages), len(batch.suppress), batch.ignored, batch.invalid,
    )  # fmt: skip

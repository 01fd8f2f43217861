"""Queue workers: the outbound queue, sent through the channels' senders.

Powertools' ``BatchProcessor`` reports partial batch failures: only the records that
failed are offered again (``ReportBatchItemFailures`` is set on the event source mapping in
the deployment template). A transient provider error delays its record with a growing
visibility timeout; a record that keeps failing (a poison message) goes to the dead-letter
queue through the queue's redrive policy.

Powertools' batch utilities (with the parser models they load, ~50-80 ms) are imported when a
batch arrives: every function loads this module with ``app.py``, and the webhooks never use them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from chalice import Blueprint
from chalice.app import SQSEvent

from chalicelib.adapters.sqs import decode_ref
from chalicelib.api.wiring import deps
from chalicelib.services.outbound import RetryLaterError, deliver

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

bp = Blueprint(__name__)
log = logging.getLogger(__name__)

# Chalice needs the queue's name when the app is packaged; it matches settings.outbound_queue_name.
OUTBOUND_QUEUE = "hearback-outbound"


def send_record(record: SQSRecord) -> str:
    """One queue message. Raising marks this record failed; the others in the batch are kept."""
    ref = decode_ref(record.body)  # a body that is not a reference fails until it is dead-lettered
    attempt = int(record.attributes.approximate_receive_count or 1)
    container = deps()
    try:
        return deliver(container, ref, attempt).value
    except RetryLaterError as retry:
        container.queue.retry_after(record.receipt_handle, retry.delay_seconds)
        log.info("message %s: transient error, retry in %s s", ref.message_id, retry.delay_seconds)
        raise


def handle_outbound_batch(raw_event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(process_partial_response(raw_event, send_record, processor, context))


@bp.on_sqs_message(queue=OUTBOUND_QUEUE, batch_size=10)
def outbound_worker(event: SQSEvent) -> dict[str, Any]:
    return handle_outbound_batch(event.to_dict(), event.context)

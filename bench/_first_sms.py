"""One signed Twilio SMS from a new sender, handled by the deployed app as Lambda would call it.

``bench/cold_import.py`` runs :func:`handle_one_sms` in fresh interpreters, so that the
first-request figure covers everything the first SMS webhook of a container really does:
importing ``app``, building the container (settings, DynamoDB client, senders), the
middleware's logger and metrics, verifying the signature, validating the form, planning the
inbound message and serializing its writes. Only the network is left out: a
``botocore.stub.Stubber`` on the store's DynamoDB client answers the three calls a new sender
costs (BatchGetItem, GetItem for the suppression list, TransactWriteItems), after botocore has
validated each request against the service model.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlencode

PATH = "/webhooks/twilio/sms"
FIELDS = {
    "MessageSid": "SMbench000000000000000000000000001",
    "SmsSid": "SMbench000000000000000000000000001",
    "AccountSid": "AC00000000000000000000000000000001",
    "From": "+16175550123",
    "To": "+16175550100",
    "Body": "Pothole on Main St & 3rd, please fix",
    "NumMedia": "0",
    "FromZip": "02139",
    "FromCity": "CAMBRIDGE",
    "FromState": "MA",
    "FromCountry": "US",
}


class _LambdaContext:
    function_name = "hearback-dev"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:hearback-dev"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-0000-0000-000000000001"
    log_group_name = "/aws/lambda/hearback-dev"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def _event() -> dict[str, Any]:
    """An API Gateway (REST, proxy) event for the SMS webhook, signed as Twilio signs it."""
    from twilio.request_validator import RequestValidator

    url = os.environ["PUBLIC_BASE_URL"] + PATH
    signature = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"]).compute_signature(url, FIELDS)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return {
        "resource": PATH,
        "path": PATH,
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": PATH,
            "httpMethod": "POST",
            "path": "/api" + PATH,
            "stage": "api",
            "requestId": "bench-request-1",
        },
        "body": urlencode(FIELDS),
        "isBase64Encoded": False,
    }


def _stub_new_sender(client: Any, table: str) -> Any:
    """The DynamoDB answers for a sender never seen before: nothing found, the writes accepted."""
    from botocore.stub import Stubber

    stubber = Stubber(client)
    stubber.add_response("batch_get_item", {"Responses": {table: []}, "UnprocessedKeys": {}})
    stubber.add_response("get_item", {})  # not on the suppression list
    stubber.add_response("transact_write_items", {})
    stubber.activate()
    return stubber


def handle_one_sms() -> None:
    import app
    from chalicelib.bootstrap import get_container

    container = get_container()
    stubber = _stub_new_sender(container.stores.inbound.table.db, container.settings.table_name)
    response = app.app(_event(), _LambdaContext())
    stubber.assert_no_pending_responses()
    assert response["statusCode"] == 200, response
    assert "<Message>" in response["body"], response["body"]


def handle_one_minimal() -> None:
    """The floor for a first request: a minimal Chalice handler (one PutItem, TwiML back), its
    client built and its one call answered by a Stubber, invoked with the same kind of event."""
    import boto3
    from botocore.stub import Stubber
    from chalice import Chalice, Response

    client = boto3.client("dynamodb", region_name="us-east-1")
    minimal = Chalice(app_name="minimal")

    @minimal.route(PATH, methods=["POST"], content_types=["application/x-www-form-urlencoded"])
    def sms() -> Response:
        body = minimal.current_request.raw_body
        client.put_item(TableName="minimal", Item={"pk": {"S": f"MIN#{hash(body)}"}, "sk": {"S": "X"}})
        return Response(
            body='<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks</Message></Response>',
            headers={"Content-Type": "text/xml"},
        )

    stubber = Stubber(client)
    stubber.add_response("put_item", {})
    stubber.activate()
    response = minimal(_event(), _LambdaContext())
    stubber.assert_no_pending_responses()
    assert response["statusCode"] == 200, response

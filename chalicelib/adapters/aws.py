"""boto3 clients for the configured endpoint (embedded moto locally, AWS otherwise).

One session per process, clients made on first use where a request may never need them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.settings import CoreSettings


def aws_client(service: str, settings: CoreSettings, config: Any = None) -> Any:
    """A boto3 client for the configured region and endpoint."""
    session = _shared_session()
    return session.client(
        service, region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url, config=config
    )


def s3v4_client(settings: CoreSettings) -> Any:
    """S3 with Signature Version 4, which presigned links need (SigV2 is retired)."""
    from botocore.config import Config

    return aws_client("s3", settings, Config(signature_version="s3v4"))


def store_client(settings: CoreSettings) -> Any:
    """The store's DynamoDB client, without botocore's client-side parameter validation.

    Every request on it is built by the repositories from typed models, never from caller
    input, and DynamoDB validates each request again on arrival. Walking the request against
    the service model costs ~0.2 ms per inbound SMS (most of it the five-item transaction),
    on the hot path of every webhook (``make bench``, inbound).
    """
    from botocore.config import Config

    return aws_client("dynamodb", settings, Config(parameter_validation=False))


_session_lock = threading.Lock()
_session: tuple[Any, int] | None = None  # (session, number of botocore built-in handlers when made)


def _shared_session() -> Any:
    """One boto3 session per process.

    A new session re-reads botocore's endpoint and model files: two clients from two sessions
    cost ~300 ms more CPU at cold start than from one (``make bench``, cold_import). The session
    is remade if botocore's built-in handlers changed since (moto adds its own when imported).
    """
    global _session
    import boto3  # imported here so that importing the app stays cheap for tools and tests
    from botocore.handlers import BUILTIN_HANDLERS

    with _session_lock:  # sessions are not thread-safe; the local stack builds clients from threads
        if _session is None or _session[1] != len(BUILTIN_HANDLERS):
            _session = (boto3.session.Session(), len(BUILTIN_HANDLERS))
        return _session[0]


class LazyClient:
    """A boto3 client made on first use: an SMS webhook answers without touching SQS, so its
    cold start skips building the SQS client (~40-80 ms)."""

    def __init__(self, service: str, settings: CoreSettings) -> None:
        self._service = service
        self._settings = settings
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = aws_client(self._service, self._settings)
        return getattr(self._client, name)

"""The one small HTTP function the senders call, so tests hand them a fake transport.

Standard library only (urllib): the senders need one POST each, not a client library.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.services.ports.outbound import SendError

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


HttpFn = Callable[[HttpRequest], HttpResponse]


def urllib_transport(request: HttpRequest) -> HttpResponse:
    """Send with urllib; an HTTP error status is a response, a network failure a transient SendError."""
    # Imported on first send: urllib.request pulls in ssl and http.client, which the webhooks never need.
    import urllib.error
    import urllib.request

    req = urllib.request.Request(request.url, data=request.body or None, method=request.method)
    for name, value in request.headers.items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:
            return HttpResponse(resp.status, resp.read(), {k.lower(): v for k, v in resp.headers.items()})
    except urllib.error.HTTPError as exc:
        body = exc.read() if exc.fp else b""
        return HttpResponse(exc.code, body, {k.lower(): v for k, v in (exc.headers or {}).items()})
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SendError(f"network error: {type(exc).__name__}", code="network", permanent=False) from None


def post_json(http: HttpFn, url: str, payload: Any, headers: Mapping[str, str] | None = None) -> HttpResponse:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return http(HttpRequest("POST", url, {"Content-Type": "application/json", **(headers or {})}, body))


def status_error(response: HttpResponse, reason: str, code: str | None = None) -> SendError:
    """The default mapping: throttling and server errors are retried, other refusals are not."""
    transient = response.status == 429 or response.status >= 500
    return SendError(reason, code=code or str(response.status), permanent=not transient)

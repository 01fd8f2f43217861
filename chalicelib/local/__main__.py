"""`make run`: ``python -m chalicelib.local`` from the project root.

Serves every route, the queue workers and the scheduled jobs on an embedded store, prints
the URL, the organizer token, the development secrets and a signed sample SMS, and stops
cleanly (tables saved, exit status 0) on Ctrl-C or SIGTERM. A second Ctrl-C while stopping
falls back to Python's default handling and interrupts immediately.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from chalicelib.local.banner import render_banner
from chalicelib.local.stack import LocalStack

log = logging.getLogger("chalicelib.local")


def _install_stop_handlers(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        # A second signal while stopping gets the default behaviour (interrupt now).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def main() -> int:
    # Same choice as `chalice local`: handler logs on stdout, as in Lambda's log stream.
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # werkzeug logs every moto request at INFO, botocore every new client's credentials:
    # noise next to the app's own logs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("botocore.credentials").setLevel(logging.WARNING)
    stop = threading.Event()
    _install_stop_handlers(stop)
    stack = LocalStack()
    try:
        stack.start()
        print(
            render_banner(
                url=stack.url,
                environ=os.environ,
                dev_defaults=stack.dev_defaults,
                endpoint_url=stack.endpoint_url,
                embedded=stack.embedded,
                data_dir=str(stack.data_dir),
            ),
            flush=True,
        )
        while not stop.wait(0.5):
            pass
        log.info("stopping")
    finally:
        stack.stop()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A real webhook receiver: an HTTP server on a free loopback port, in a thread, that keeps
every request and checks its signature with the receiver side of the Standard Webhooks
specification (standardwebhooks.webhooks.Webhook.verify)."""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    verified: bool
    payload: dict | None

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


class WebhookReceiver:
    def __init__(self, secret: str = ""):
        self.secret = secret  # set once the endpoint exists
        self.received: list[Received] = []
        # Status codes to answer with, in turn; empty: 200.
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except (WebhookVerificationError, ValueError):
                    payload, verified = None, False
                with receiver.lock:
                    receiver.received.append(Received(self.path, headers, body, verified, payload))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                answer = json.dumps({"ok": status < 300}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/pulse"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def all(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def wait_for(self, n: int, timeout: float = 30.0) -> list[Received]:
        """Poll, with a bound, until at least n requests arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.all()) < n:
            time.sleep(0.05)
        return self.all()


# Fixtures (import them into a test module): a receiver, and an endpoint for it.


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def webhook_endpoint(webhook_receiver, admin_user, settings):
    """An endpoint of every event, owned by the administrator, pointing at the receiver."""
    from surveys.models import WebhookEndpoint
    from surveys.webhooks import webhook_endpoint_save

    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on loopback
    endpoint = webhook_endpoint_save(url=webhook_receiver.url, events=list(WebhookEndpoint.Event.values),
                                     by=admin_user)
    webhook_receiver.secret = endpoint.secret
    return endpoint

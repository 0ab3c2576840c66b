"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping what it receives."""

import email
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Keep:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        if self.sink.reject_next:
            code = self.sink.reject_next.pop(0)
            return f"{code} rejected by test"
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append(message)
            self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpSink:
    def __init__(self):
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        # Codes to answer the next DATA commands with, e.g. ["451", "550"].
        self.reject_next: list[str] = []
        self.lock = threading.Lock()
        self.controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def wait_for(self, n: int, timeout: float = 30.0) -> list:
        """Poll, with a bound, until at least n messages arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= n:
                break
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

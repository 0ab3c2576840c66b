"""A real chat webhook for tests: an HTTP server on a free loopback port that keeps each
JSON post and answers with the statuses it is told (200 "ok" once they run out)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the name http.server calls
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with receiver.lock:
            status = receiver.answers.pop(0) if receiver.answers else 200
            receiver.requests.append({"path": self.path, "headers": dict(self.headers), "status": status,
                                      "json": json.loads(body or b"null")})
        text = b"ok" if status < 300 else b"no_service"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


class ChatReceiver:
    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.receiver = self
        self.requests: list[dict] = []
        self.answers: list[int] = []  # statuses for the next posts, e.g. [503]
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/secret"

    @property
    def posts(self) -> list[dict]:
        """The bodies of the posts it took (answered 2xx)."""
        with self.lock:
            return [r["json"] for r in self.requests if r["status"] < 300]

    def start(self) -> "ChatReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

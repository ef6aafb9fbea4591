"""A local stand-in for a provider's HTTP API: records every request byte for byte and answers
what the test queued (by default 201 with the provider's usual JSON)."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeProvider:
    default: tuple[int, dict]
    requests: list[Recorded] = field(default_factory=list)
    answers: list[tuple[int, dict]] = field(default_factory=list)
    url: str = ""


def serve(default: tuple[int, dict]):
    """Start a fake on 127.0.0.1 (a free port); returns (fake, stop)."""
    fake = FakeProvider(default=default)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the standard library's name
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            fake.requests.append(Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, answer = fake.answers.pop(0) if fake.answers else fake.default
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return fake, stop

"""Local fakes of the two dialers, speaking their real protocols and keeping every byte they
receive: VICIdial's Agent API (HTTP GET on /agc/api.php) and Asterisk's AMI (TCP, asyncio)."""

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeVicidial:
    """Answers /agc/api.php with `answer` and keeps each request's path and query as sent."""

    def __init__(self, answer: str):
        self.answer = answer
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                fake.requests.append(self.path)
                body = fake.answer.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")  # as api.php sends it
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FakeAmi:
    """An AMI server: greets, answers Login (accepting `secret` only), Originate (after an
    unrelated event, as a busy server would) and Logoff; keeps the raw bytes of each action."""

    def __init__(self, *, username: str, secret: str, originate_response: str = "Success"):
        self.username, self.secret, self.originate_response = username, secret, originate_response
        self.actions: list[bytes] = []
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        threading.Thread(target=self._run, args=(started,), daemon=True).start()
        started.wait(5)

    def _run(self, started):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        started.set()
        self.loop.run_forever()

    async def _session(self, reader, writer):
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        await writer.drain()
        while True:
            raw = await reader.readuntil(b"\r\n\r\n")
            self.actions.append(raw)
            fields = dict(line.split(": ", 1) for line in raw.decode().strip().split("\r\n"))
            action, action_id = fields.get("Action"), fields.get("ActionID", "")
            if action == "Login":
                if fields.get("Username") == self.username and fields.get("Secret") == self.secret:
                    writer.write(_message(Response="Success", ActionID=action_id, Message="Authentication accepted"))
                else:
                    writer.write(_message(Response="Error", ActionID=action_id, Message="Authentication failed"))
                    await writer.drain()
                    writer.close()
                    return
            elif action == "Originate":
                writer.write(_message(Event="PeerStatus", Privilege="system,all", Peer="PJSIP/999"))
                message = (
                    "Originate successfully queued" if self.originate_response == "Success" else "Originate failed"
                )
                writer.write(_message(Response=self.originate_response, ActionID=action_id, Message=message))
            elif action == "Logoff":
                writer.write(_message(Response="Goodbye", Message="Thanks for all the fish."))
                await writer.drain()
                writer.close()
                return
            await writer.drain()

    def close(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)


def _message(**fields) -> bytes:
    return "".join(f"{name}: {value}\r\n" for name, value in fields.items()).encode() + b"\r\n"

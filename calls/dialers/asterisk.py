"""Asterisk's Manager Interface (AMI): Login, Originate, Logoff over one TCP connection.

The protocol is lines of `Key: Value` ending in CRLF, a blank line ending each message; the
server greets with `Asterisk Call Manager/<version>`. Originate rings the collector's own
channel (ASTERISK_CHANNEL, e.g. `PJSIP/{extension}`) and, when they answer, dials the debtor's
number in ASTERISK_CONTEXT; Async makes the answer "Originate successfully queued" at once.
One short synchronous exchange per click: no event loop is kept for it.
"""

import socket

from django.conf import settings
from django.utils.translation import gettext as _

from calls.dialers import Dial, DialerError

TIMEOUT_SECONDS = 5
RING_MILLISECONDS = 30_000


def _action(fields: list[tuple[str, str]]) -> bytes:
    for _name, value in fields:
        if any(ch in str(value) for ch in "\r\n"):
            raise DialerError(_("A dialer setting holds a line break: ask an admin to check it."))
    return "".join(f"{name}: {value}\r\n" for name, value in fields).encode() + b"\r\n"


class _Connection:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def line(self) -> str:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise DialerError(_("The dialer closed the connection."))
            self.buffer += chunk
            if len(self.buffer) > 65_536:
                raise DialerError(_("The dialer's answer is not AMI."))
        line, _sep, self.buffer = self.buffer.partition(b"\n")
        return line.decode("utf-8", "replace").rstrip("\r")

    def message(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        while True:
            line = self.line()
            if not line:
                if fields:
                    return fields
                continue
            name, _colon, value = line.partition(":")
            fields.setdefault(name.strip().lower(), value.strip())

    def response_to(self, action_id: str) -> dict[str, str]:
        """The response to our action; events in between are skipped."""
        while True:
            message = self.message()
            if "response" in message and message.get("actionid", action_id) == action_id:
                return message


def originate(call: Dial) -> str:
    if not call.extension:
        raise DialerError(_("You have no extension: ask an admin to set it on your user."))
    exten = f"{settings.ASTERISK_DIAL_PREFIX}{call.number.lstrip('+')}"
    try:
        with socket.create_connection(
            (settings.ASTERISK_AMI_HOST, settings.ASTERISK_AMI_PORT), TIMEOUT_SECONDS
        ) as sock:
            sock.settimeout(TIMEOUT_SECONDS)
            ami = _Connection(sock)
            if not ami.line().startswith("Asterisk Call Manager/"):
                raise DialerError(_("The dialer's answer is not AMI."))
            sock.sendall(
                _action(
                    [
                        ("Action", "Login"),
                        ("ActionID", f"{call.reference}-login"),
                        ("Username", settings.ASTERISK_AMI_USERNAME),
                        ("Secret", settings.ASTERISK_AMI_SECRET),
                        ("Events", "off"),
                    ]
                )
            )
            if ami.response_to(f"{call.reference}-login").get("response", "").lower() != "success":
                raise DialerError(_("The dialer refused the CRM's AMI user: ask an admin to check its settings."))
            sock.sendall(
                _action(
                    [
                        ("Action", "Originate"),
                        ("ActionID", call.reference),
                        ("Channel", settings.ASTERISK_CHANNEL.format(extension=call.extension)),
                        ("Context", settings.ASTERISK_CONTEXT),
                        ("Exten", exten),
                        ("Priority", "1"),
                        ("CallerID", f"{settings.ASTERISK_CALLER_NAME} <{exten}>"),
                        ("Timeout", str(RING_MILLISECONDS)),
                        ("Async", "true"),
                        ("Variable", f"CRM_DEBTOR_ID={call.debtor_id}"),
                        ("Variable", f"CRM_PHONE_ID={call.phone_id}"),
                    ]
                )
            )
            answer = ami.response_to(call.reference)
            sock.sendall(_action([("Action", "Logoff")]))
    except (TimeoutError, OSError):
        raise DialerError(_("The dialer did not answer: call from your phone, or try again in a moment.")) from None
    if answer.get("response", "").lower() != "success":
        raise DialerError(_("The dialer refused the call: %(why)s.") % {"why": answer.get("message", "")[:200]})
    return call.reference

"""A local fake of Stripe for tests: the Checkout Sessions endpoint, a hosted checkout page, and
signed webhooks, on 127.0.0.1 (a free port) in a background thread.

It checks what we send against Stripe's published format (form encoding, bearer key,
parameter names and values, idempotency) and answers with Stripe's shapes: a session object,
or `{"error": {"type", "code", "message", "param", "doc_url"}}` with Stripe's status codes.

    with FakeStripe(webhook_url=live_server.url + "/stripe/webhook") as stripe:
        session = checkout_session_create(request, api_key=stripe.api_key, api_base=stripe.api_base)
        # a browser (or the test) opens session.url and presses "Pay"
"""

import html
import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

from selfservice.paylinks.stripe import from_minor_units, webhook_signature

# The account's default API version: what a session's events carry when no Stripe-Version came.
API_VERSION = "2024-06-20"
MAX_UNIT_AMOUNT = 99_999_999  # Stripe's ceiling for an amount: eight digits

_LINE_ITEM = "line_items[0]"
_CURRENCY = f"{_LINE_ITEM}[price_data][currency]"
_UNIT_AMOUNT = f"{_LINE_ITEM}[price_data][unit_amount]"
_NAME = f"{_LINE_ITEM}[price_data][product_data][name]"
_QUANTITY = f"{_LINE_ITEM}[quantity]"
# What Stripe requires of a payment-mode session with one inline-priced line item.
REQUIRED = ("mode", _CURRENCY, _UNIT_AMOUNT, _NAME, _QUANTITY, "success_url")
OPTIONAL = ("cancel_url", "client_reference_id", "expires_at", "customer_email", "locale")
_REPEATED = re.compile(r"metadata\[[^\[\]]+\]|payment_method_types\[[0-9]+\]")
_POSITIVE = re.compile(r"[1-9][0-9]*")
_LOCALE = re.compile(r"auto|[a-z]{2}(-[A-Z]{2}|-[0-9]{3})?")
_ID_CHARACTERS = string.ascii_letters + string.digits


class Recorded(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]  # names in lower case: HTTP's are case-insensitive
    body: bytes


class _Refusal(Exception):
    def __init__(self, status: int, message: str, *, type="invalid_request_error", code=None, param=None):
        super().__init__(message)
        error = {"message": message, "type": type}
        if code:
            error["code"] = code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            error["param"] = param
        self.status = status
        self.answer = {"error": error}


def _missing(name):
    return _Refusal(400, f"Missing required param: {name}.", code="parameter_missing", param=name)


def _invalid_integer(name, value):
    return _Refusal(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)


def _random_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ID_CHARACTERS) for _ in range(length))


def _masked(key: str) -> str:
    # As Stripe quotes a wrong key: its kind and last four characters, the rest starred.
    prefix = re.match(r"(?:sk|rk|pk)_(?:test|live)_", key)
    head = prefix.group(0) if prefix else ""
    rest = key[len(head) :]
    if len(rest) <= 4:
        return head + "*" * len(rest)
    return head + "*" * (len(rest) - 4) + rest[-4:]


class FakeStripe:
    """Stripe's Checkout API and hosted page, in memory. Thread-safe; state is public for tests:
    `requests` (every request, refused ones too), `sessions` (id → the session object),
    `webhook_responses` (the HTTP status each delivered webhook got, None if unreachable)."""

    def __init__(
        self, api_key: str = "sk_test_fake", webhook_secret: str = "whsec_fake", webhook_url: str | None = None
    ):
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.api_base = ""
        self.requests: list[Recorded] = []
        self.sessions: dict[str, dict] = {}
        self.webhook_responses: list[int | None] = []
        self._names: dict[str, str] = {}  # session id → its line item's name, for the page
        self._idempotent: dict[str, tuple[str, list, bytes]] = {}  # key → (path, params, answer)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Life cycle

    def start(self) -> "FakeStripe":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.api_base = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll: stop() waits for the loop to notice, and every test stops one fake.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-stripe", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> "FakeStripe":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # What Stripe does when the customer pays, or the session lapses

    def complete(self, session_id: str) -> tuple[bytes, str]:
        """Mark the session paid; returns its checkout.session.completed event as Stripe would
        post it: (raw JSON body, Stripe-Signature header). Nothing is delivered."""
        return self._finish(session_id, "complete")

    def expire(self, session_id: str) -> tuple[bytes, str]:
        """Let the session lapse unpaid; returns its checkout.session.expired event, signed."""
        return self._finish(session_id, "expired")

    def deliver(self, payload: bytes, signature_header: str) -> int | None:
        """POST an event to webhook_url as Stripe does; records and returns the HTTP status."""
        request = urllib.request.Request(self.webhook_url, data=payload, method="POST")
        request.add_header("Content-Type", "application/json; charset=utf-8")
        request.add_header("Stripe-Signature", signature_header)
        request.add_header("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = None
        self.webhook_responses.append(status)
        return status

    def _finish(self, session_id: str, status: str) -> tuple[bytes, str]:
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise ValueError(f"{session_id} is {session['status']}, no longer open")
            session["status"] = status
            if status == "complete":
                session["payment_status"] = "paid"
                session["payment_intent"] = _random_id("pi_test_")
            event = {
                "id": _random_id("evt_test_"),
                "object": "event",
                "api_version": session.get("_api_version", API_VERSION),
                "created": int(time.time()),
                "data": {"object": json.loads(json.dumps(self._public(session)))},
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": f"checkout.session.{'completed' if status == 'complete' else 'expired'}",
            }
        # Stripe posts its JSON indented; the signature covers these exact bytes.
        payload = json.dumps(event, indent=2).encode()
        return payload, webhook_signature(payload, self.webhook_secret, int(time.time()))

    # The API

    def _authenticate(self, headers: dict[str, str]) -> None:
        authorization = headers.get("authorization", "")
        if not authorization:
            raise _Refusal(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        scheme, _, key = authorization.partition(" ")
        if scheme != "Bearer" or not secrets.compare_digest(key.encode(), self.api_key.encode()):
            raise _Refusal(401, f"Invalid API Key provided: {_masked(key if scheme == 'Bearer' else authorization)}")

    def _api(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        """(status, extra headers, JSON body) for a request under /v1/."""
        try:
            self._authenticate(headers)
            version = headers.get("stripe-version", "")
            if version and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(\.[a-z]+)?", version):
                raise _Refusal(400, f"Invalid Stripe API version: {version}")
            if method == "POST" and path == "/v1/checkout/sessions":
                return self._create(path, headers, body, version)
            match = re.fullmatch(r"/v1/checkout/sessions/([A-Za-z0-9_]+)", path)
            if method == "GET" and match:
                with self._lock:
                    session = self._public(self.sessions.get(match.group(1)))
                if session is None:
                    raise _Refusal(
                        404,
                        f"No such checkout.session: '{match.group(1)}'",
                        code="resource_missing",
                        param="session",
                    )
                return 200, {}, json.dumps(session).encode()
            raise _Refusal(404, f"Unrecognized request URL ({method}: {path}).")
        except _Refusal as refusal:
            return refusal.status, {}, json.dumps(refusal.answer).encode()

    def _create(self, path: str, headers: dict[str, str], body: bytes, version: str) -> tuple[int, dict, bytes]:
        if headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            raise _Refusal(400, "Content-Type must be application/x-www-form-urlencoded.")
        try:
            pairs = urllib.parse.parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError) as error:
            raise _Refusal(400, "The request body is not form-encoded ASCII.") from error
        params = dict(pairs)
        if len(params) != len(pairs):
            raise _Refusal(400, "A parameter was sent twice.")
        key = headers.get("idempotency-key", "")
        if len(key) > 255:
            raise _Refusal(400, "Idempotency-Key must be at most 255 characters.", code="idempotency_key_too_long")
        # One request at a time: Stripe answers a concurrent duplicate with 409, never twice.
        with self._lock:
            if key in self._idempotent:
                first_path, first_params, answer = self._idempotent[key]
                if (first_path, first_params) != (path, sorted(pairs)):
                    raise _Refusal(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                return 200, {"Idempotent-Replayed": "true"}, answer
            session = self._session_from(params, version)
            answer = json.dumps(self._public(session)).encode()
            # Stripe keeps a result only once the endpoint ran: a refused request can be fixed
            # and sent again under the same key.
            if key:
                self._idempotent[key] = (path, sorted(pairs), answer)
            return 200, {}, answer

    def _session_from(self, params: dict[str, str], version: str) -> dict:
        for name in params:
            if name not in REQUIRED and name not in OPTIONAL and not _REPEATED.fullmatch(name):
                raise _Refusal(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)
        for name in REQUIRED:
            if name not in params:
                raise _missing(name)
            if params[name] == "":
                raise _Refusal(
                    400,
                    f"You passed an empty string for '{name}'. We assume empty values are an attempt to unset a "
                    f"parameter; however '{name}' cannot be unset. You should remove '{name}' from your request or "
                    "supply a non-empty value.",
                    code="parameter_invalid_empty",
                    param=name,
                )
        if params["mode"] != "payment":
            raise _Refusal(400, "Invalid mode: this fake takes payment only.", param="mode")
        currency = params[_CURRENCY]
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise _Refusal(
                400, f"Invalid currency: {currency}. Use a three-letter ISO code in lower case.", param=_CURRENCY
            )
        if not _POSITIVE.fullmatch(params[_UNIT_AMOUNT]):
            raise _invalid_integer(_UNIT_AMOUNT, params[_UNIT_AMOUNT])
        unit_amount = int(params[_UNIT_AMOUNT])
        if unit_amount > MAX_UNIT_AMOUNT:
            raise _Refusal(
                400,
                f"This value must be less than or equal to {MAX_UNIT_AMOUNT} (it currently is '{unit_amount}').",
                code="parameter_invalid_integer",
                param=_UNIT_AMOUNT,
            )
        if params[_QUANTITY] != "1":
            raise _invalid_integer(_QUANTITY, params[_QUANTITY])
        for name in ("success_url", "cancel_url"):
            if name in params:
                url = urllib.parse.urlsplit(params[name])
                if url.scheme not in ("http", "https") or not url.netloc:
                    raise _Refusal(400, f"Not a valid URL: {params[name]}", code="url_invalid", param=name)
        if len(params.get("client_reference_id", "")) > 200:
            raise _Refusal(400, "client_reference_id must be at most 200 characters.", param="client_reference_id")
        if "customer_email" in params and "@" not in params["customer_email"]:
            raise _Refusal(
                400,
                f"Invalid email address: {params['customer_email']}",
                code="email_invalid",
                param="customer_email",
            )
        if "locale" in params and not _LOCALE.fullmatch(params["locale"]):
            raise _Refusal(400, f"Invalid locale: {params['locale']}", param="locale")
        metadata = {
            name[len("metadata[") : -1]: value for name, value in params.items() if name.startswith("metadata[")
        }
        for name, value in metadata.items():
            if len(name) > 40 or len(value) > 500:
                raise _Refusal(400, f"Invalid metadata: key '{name}' or its value is too long.", param="metadata")
        if len(metadata) > 50:
            raise _Refusal(400, "Invalid metadata: at most 50 keys.", param="metadata")

        created = int(time.time())
        expires_at = created + 24 * 3600  # Stripe's default
        if "expires_at" in params:
            if not _POSITIVE.fullmatch(params["expires_at"]):
                raise _invalid_integer("expires_at", params["expires_at"])
            expires_at = int(params["expires_at"])
            if expires_at < created + 30 * 60:
                raise _Refusal(
                    400,
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                    param="expires_at",
                )
            if expires_at > created + 24 * 3600:
                raise _Refusal(
                    400,
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                    param="expires_at",
                )

        session_id = _random_id("cs_test_", 58)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": unit_amount,
            "amount_total": unit_amount,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": created,
            "currency": currency,
            "customer_email": params.get("customer_email"),
            "expires_at": expires_at,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": metadata,
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "url": f"{self.api_base}/c/pay/{session_id}",
            "_api_version": version or API_VERSION,
        }
        self.sessions[session_id] = session
        self._names[session_id] = params[_NAME]
        return session

    @staticmethod
    def _public(session: dict | None) -> dict | None:
        if session is None:
            return None
        return {name: value for name, value in session.items() if not name.startswith("_")}

    # The hosted checkout page

    def _page(self, session_id: str) -> tuple[int, dict, bytes]:
        with self._lock:
            session = self.sessions.get(session_id)
            name = self._names.get(session_id, "")
        if session is None:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<!doctype html><p>Not found</p>"
        amount = from_minor_units(session["amount_total"], session["currency"])
        if session["status"] == "open":
            action = f'<form method="post" action="/c/pay/{session_id}"><button type="submit">Pay</button></form>'
        else:
            action = "<p>This Checkout Session is no longer active.</p>"
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout (fake Stripe)</title></head>'
            f'<body><h1 class="description">{html.escape(name)}</h1>'
            f'<p class="amount">{html.escape(session["currency"].upper())} {amount}</p>{action}</body></html>'
        )
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def _pay(self, session_id: str) -> tuple[int, dict, bytes]:
        with self._lock:
            session = self.sessions.get(session_id)
            state = session["status"] if session else None
            if state == "open":
                payload, signature = self.complete(session_id)
        if session is None:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<!doctype html><p>Not found</p>"
        if state == "expired":
            return 400, {"Content-Type": "text/html; charset=utf-8"}, b"<!doctype html><p>This session expired.</p>"
        if state == "open" and self.webhook_url:
            self.deliver(payload, signature)
        # Stripe fills in the template variable Checkout documents for success_url.
        location = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        return 303, {"Location": location}, b""


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            self._serve("GET")

        def do_POST(self):  # noqa: N802 - the standard library's name
            self._serve("POST")

        def _serve(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            path = urllib.parse.urlsplit(self.path).path
            with fake._lock:
                fake.requests.append(Recorded(method, self.path, headers, body))
            page = re.fullmatch(r"/c/pay/([A-Za-z0-9_]+)", path)
            if path.startswith("/v1/"):
                status, extra, answer = fake._api(method, path, headers, body)
                extra = {"Content-Type": "application/json", "Request-Id": _random_id("req_", 14), **extra}
                if status == 401:
                    extra["WWW-Authenticate"] = 'Basic realm="Stripe"'
            elif page and method == "GET":
                status, extra, answer = fake._page(page.group(1))
            elif page and method == "POST":
                status, extra, answer = fake._pay(page.group(1))
            else:
                status, extra, answer = 404, {"Content-Type": "text/plain"}, b"Not found"
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return Handler

"""Load test of the messaging webhooks: 200 signed webhooks a second for a minute, none lost,
none stored twice.

One command, from the project root (SQLite by default; PostgreSQL with DATABASE_URL):

    .venv/bin/python bench/bench_webhooks.py [--write] [--rate 200] [--seconds 60] [--workers 4]

1. Creates a throwaway database with 2,000 debtors (one phone each, consent to SMS and
   WhatsApp) and, for each, one sent reminder whose provider id the receipts name.
2. Starts the app under gunicorn (sync workers, DEBUG off) on 127.0.0.1.
3. Baseline, same run, same pace: the same requests with a wrong signature, which the app
   refuses (403) after reading the body and before storing anything, for a third of the time.
4. Load, paced at --rate a second (each request leaves at its own moment, whatever the
   answers before it): 50 % Twilio inbound SMS, 30 % Twilio delivery receipts, 20 %
   WhatsApp Cloud API messages; one request in twenty is a resend of an earlier one.
5. Checks the database: every distinct message and receipt stored exactly once (lost = sent
   but missing, duplicated = stored more than once), one open "debtor replied" follow-up per
   debtor who wrote. Reports the achieved rate, p50 / p95 / p99, errors and the ratio to the
   baseline; with --write, the "Messaging webhooks (SQLite | PostgreSQL)" section of docs/benchmarks.md.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import signal
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SMOKE, free_port, gunicorn_start, machine_line, throwaway_database, write_section  # noqa: E402

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

SECTIONS = {"sqlite": "## Messaging webhooks (SQLite)", "postgresql": "## Messaging webhooks (PostgreSQL)"}
DEBTORS = 50 if SMOKE else 2000
TOKEN = "bench-twilio-token"
ACCOUNT = "AC" + "b" * 32
APP_SECRET = "bench-meta-secret"
IN_FLIGHT = 128  # at most this many requests waiting for an answer at once
SERVER_LOG = Path(settings.VAR_DIR) / "bench-webhooks-server.log"


def build_data() -> list[tuple[str, str]]:
    """Debtors with a consented phone and one sent message each; returns (number, message id)."""
    from debtors.models import Creditor, Debt, Debtor, Phone, Portfolio
    from promises.models import Message

    creditor = Creditor.objects.create(name="Bench Bank")
    portfolio = Portfolio.objects.create(
        name="Bench PE",
        creditor=creditor,
        country="PE",
        currency="PEN",
        default_time_zone="America/Lima",
        contact_policy_preset="pe",
    )
    now = datetime.now(UTC)
    debtors = Debtor.objects.bulk_create(
        Debtor(portfolio=portfolio, external_id=f"W{i:05d}", full_name=f"Deudor {i}", time_zone="America/Lima")
        for i in range(DEBTORS)
    )
    Debt.objects.bulk_create(
        Debt(
            debtor=d,
            account_reference=f"A-{d.pk}",
            original_amount=1000,
            balance=1000,
            currency="PEN",
            due_date=now.date(),
        )
        for d in debtors
    )
    consent = {"sms_consent_source": "bench", "sms_consent_at": now, "whatsapp_consent_source": "bench"}
    phones = Phone.objects.bulk_create(
        Phone(
            debtor=d,
            number=f"+5198{i:07d}",
            sms_consent=True,
            whatsapp_consent=True,
            whatsapp_consent_at=now,
            **consent,
        )
        for i, d in enumerate(debtors)
    )
    Message.objects.bulk_create(
        Message(
            debtor_id=phone.debtor_id,
            phone=phone,
            channel="sms",
            purpose="reminder",
            recipient=phone.number,
            language="es",
            body="Recordatorio",
            idempotency_key=f"bench:{phone.pk}",
            send_after=now,
            status="sent",
            sent_at=now,
            provider_message_id=f"SM{phone.pk:032d}",
        )
        for phone in phones
    )
    return [(str(phone.number), f"SM{phone.pk:032d}") for phone in phones]


def start_gunicorn(port: int, workers: int):
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        database_url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        database_url = f"sqlite:///{db['NAME']}"
    env = {
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "MESSAGING_WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "WHATSAPP_CLOUD_APP_SECRET": APP_SECRET,
        "PYTHONWARNINGS": "ignore::UserWarning",  # whitenoise: no collected static files (none served)
    }
    # The baseline's 403s are logged, one warning each: to a file, printed if the run fails.
    return gunicorn_start(port, workers, env, ready_path="/hooks/messages/whatsapp_cloud/", stderr=SERVER_LOG.open("w"))


class Traffic:
    """The webhooks, each built once, so that a resend is byte for byte the same request."""

    def __init__(self, base: str, targets: list[tuple[str, str]], *, forged: bool):
        self.base = base
        self.targets = targets
        self.forged = forged
        self.sent: list[tuple[str, dict, bytes]] = []
        self.inbound_ids: set[tuple[str, str]] = set()
        self.receipts: set[str] = set()
        self.writers: set[str] = set()
        self.serial = 0

    def _twilio(self, params: dict) -> tuple[str, dict, bytes]:
        path = "/hooks/messages/twilio/"
        data = self.base + path + "".join(f"{key}{params[key]}" for key in sorted(params))
        signature = base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()
        if self.forged:
            signature = signature[::-1]
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        return path, headers, urlencode(params).encode()

    def _meta(self, payload: dict) -> tuple[str, dict, bytes]:
        raw = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if self.forged:
            signature = "sha256=" + "0" * 64
        return (
            "/hooks/messages/whatsapp_cloud/",
            {"Content-Type": "application/json", "X-Hub-Signature-256": signature},
            raw,
        )

    def next(self) -> tuple[str, dict, bytes]:
        if self.sent and random.random() < 0.05:
            return random.choice(self.sent)  # a provider's retry: the same request again
        self.serial += 1
        number, sid = random.choice(self.targets)
        roll = random.random()
        if roll < 0.5:
            message_id = f"SMin{self.serial:030d}"
            params = {"MessageSid": message_id, "SmsSid": message_id, "SmsStatus": "received", "AccountSid": ACCOUNT}
            params |= {"From": number, "To": "+15005550006", "Body": f"Mensaje {self.serial}", "NumMedia": "0"}
            request = self._twilio(params)
            self.inbound_ids.add(("twilio", message_id))
            self.writers.add(number)
        elif roll < 0.8:
            status = random.choice(["sent", "delivered", "read"])
            params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status}
            params |= {"AccountSid": ACCOUNT, "To": number, "From": "+15005550006"}
            request = self._twilio(params)
            self.receipts.add(f"{sid}:{status}")
        else:
            wamid = f"wamid.bench{self.serial:012d}"
            message = {"from": number.lstrip("+"), "id": wamid, "timestamp": str(int(time.time()))}
            message |= {"type": "text", "text": {"body": f"Hola {self.serial}"}}
            value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881"}}
            value["messages"] = [message]
            payload = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"value": value}]}]}
            request = self._meta(payload)
            self.inbound_ids.add(("whatsapp_cloud", wamid))
            self.writers.add(number)
        self.sent.append(request)
        return request


async def run_paced(traffic: Traffic, rate: float, seconds: float, ok: int) -> dict:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    gate = asyncio.Semaphore(IN_FLIGHT)
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)

    async with httpx.AsyncClient(base_url=traffic.base, timeout=30, limits=limits) as http:

        async def one(path: str, headers: dict, body: bytes) -> None:
            async with gate:
                started = time.perf_counter()
                try:
                    response = await http.post(path, content=body, headers=headers)
                    label = str(response.status_code)
                except httpx.HTTPError as error:
                    label = type(error).__name__
                latencies.append(time.perf_counter() - started)
                statuses[label] = statuses.get(label, 0) + 1

        began = time.monotonic()
        tasks = []
        total = int(rate * seconds)
        for index in range(total):
            delay = began + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(*traffic.next())))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - began
    ordered = sorted(latencies)

    def percentile(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000

    return {
        "requests": len(latencies),
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "errors": sum(count for label, count in statuses.items() if label != str(ok)),
        "statuses": statuses,
    }


def stored_counts(traffic: Traffic) -> dict:
    from calls.models import FollowUp
    from conversations.models import DeliveryEvent, InboundMessage

    inbound = set(InboundMessage.objects.values_list("provider", "provider_message_id"))
    receipts = [f"{sid}:{status}" for sid, status in DeliveryEvent.objects.values_list("provider_message_id", "status")]
    open_replies = FollowUp.objects.filter(reason="reply", status="open").count()
    return {
        "lost": len(traffic.inbound_ids - inbound) + len(traffic.receipts - set(receipts)),
        "duplicated": (InboundMessage.objects.count() - len(inbound)) + (len(receipts) - len(set(receipts))),
        "unexpected": len(inbound - traffic.inbound_ids) + len(set(receipts) - traffic.receipts),
        "inbound": len(inbound),
        "receipts": len(receipts),
        "open_replies": open_replies,
        "writers": len(traffic.writers),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="write the results to docs/benchmarks.md")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--smoke", action="store_true", help="20 a second for 2 s; exits non-zero on any loss")
    args = parser.parse_args()
    if args.smoke:
        args.rate, args.seconds, args.workers, args.write = 20, 2, 1, False

    load_average = os.getloadavg()[0]
    with throwaway_database():
        targets = build_data()
        connection.close()  # gunicorn's workers take the database from here
        port = free_port()
        server = start_gunicorn(port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            # Warm-up, not measured: every worker imports the views and opens its connection.
            asyncio.run(run_paced(Traffic(base, targets, forged=True), args.rate, 2, 403))
            baseline = asyncio.run(run_paced(Traffic(base, targets, forged=True), args.rate, args.seconds / 3, 403))
            traffic = Traffic(base, targets, forged=False)
            load = asyncio.run(run_paced(traffic, args.rate, args.seconds, 200))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        counts = stored_counts(traffic)
        vendor = connection.vendor

    rows = [
        ("baseline: forged signature, refused (403) before storing", baseline),
        ("signed webhooks: 50 % Twilio SMS, 30 % Twilio receipts, 20 % WhatsApp; 5 % resent", load),
    ]
    print(f"{vendor}; {args.rate:.0f} a second for {args.seconds:.0f} s; gunicorn {args.workers} sync workers")
    for name, result in rows:
        print(
            f"{name}: {result['requests']} requests, {result['rate']:.1f}/s, p50 {result['p50']:.1f} ms, "
            f"p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms, errors {result['errors']} {result['statuses']}"
        )
    print(
        f"stored {counts['inbound']} messages and {counts['receipts']} receipts; lost {counts['lost']}, "
        f"duplicated {counts['duplicated']}, unexpected {counts['unexpected']}; "
        f"{counts['open_replies']} open reply follow-ups for {counts['writers']} numbers that wrote"
    )
    p50_ratio = load["p50"] / baseline["p50"]
    failed = load["errors"] or counts["lost"] or counts["duplicated"] or counts["unexpected"] or baseline["errors"]
    failed = failed or counts["open_replies"] != counts["writers"]
    if failed:
        print("\n".join(line for line in SERVER_LOG.read_text().splitlines() if "Forbidden" not in line)[-4000:])
        sys.exit(f"webhooks lost, duplicated or refused: {counts} {load['statuses']} {baseline['statuses']}")
    if not args.write:
        return
    section = SECTIONS[vendor]
    table = "\n".join(
        f"| {name} | {r['requests']:,} | {r['rate']:.0f}/s | {r['p50']:.0f} ms | {r['p95']:.0f} ms "
        f"| {r['p99']:.0f} ms | {r['errors']} |"
        for name, r in rows
    )
    write_section(
        section,
        f"""{section}

Measured by `bench/bench_webhooks.py` on {machine_line()}.
Webhooks posted at {args.rate:.0f} a second for {args.seconds:.0f} s (each at its own moment, asyncio + httpx, at
most {IN_FLIGHT} waiting) to gunicorn with {args.workers} sync workers on 127.0.0.1, DEBUG off, {vendor}; 2,000
debtors. The baseline posts the same kind of requests with a wrong signature (refused with 403 before anything is
stored) at the same pace for {args.seconds / 3:.0f} s, in the same run; clients, server and database share the 2 cores.

| requests | sent | achieved | p50 | p95 | p99 | errors |
|---|---|---|---|---|---|---|
{table}

In the database afterwards: {counts["inbound"]:,} messages and {counts["receipts"]:,} receipts, each distinct one
sent stored once (lost: {counts["lost"]}, duplicated: {counts["duplicated"]}), one open "debtor replied" follow-up
per debtor who wrote ({counts["open_replies"]:,}). Storing a webhook (signature, match by number, the contact on
the ledger, the follow-up) costs {p50_ratio:.1f}× the refused request's median latency. The load average was
{load_average:.1f} when the run started.
""",
    )


if __name__ == "__main__":
    main()

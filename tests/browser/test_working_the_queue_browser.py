"""A collector's afternoon in a real browser: twenty due follow-ups worked in a row with "Siguiente
deudor", a call logged on each, and the "for today" list empty at the end (issue 15, point 2).

Wednesday 18 November 2026, 16:30 in Lima. Peruvian debtors (calls until 20:00) and Mexican ones
(mx_fin: until 22:00 in Mexico City, an hour behind Lima). Unanswered attempts are retried four
hours later at a lawful moment, which for Peru is tomorrow at 07:00: so the end of the day is
what lets the list end empty, not a job that did not run; the job is run at the end to prove it.
Ids are far above 1,000, as in a database in use.
"""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from calls.models import FollowUp, FollowUpEvent
from calls.services import follow_ups_schedule
from promises.models import Promise
from tests import factories

LIMA = ZoneInfo("America/Lima")
MEXICO_CITY = ZoneInfo("America/Mexico_City")
WEDNESDAY_AFTERNOON = datetime(2026, 11, 18, 16, 30, tzinfo=LIMA)
KINDS = ["callback", "retry", "broken_promise", "reminder", "commitment", "manual"]

# What each call ends with, in queue order: (how the call ended, commitment, other inputs).
PERU = [
    ("no_answer", None, {}),
    ("busy", None, {}),
    ("voicemail", None, {}),
    ("wrong_number", None, {}),
    ("third_party", None, {"notes": "Contestó la hermana; no sabe cuándo vuelve."}),
    ("disconnected", None, {}),
    ("right_party", "promise", {}),
    ("right_party", "consult", {}),
    ("right_party", "none", {"no_commitment_reason": "No reconoce la deuda"}),
    ("no_answer", None, {}),
    ("right_party", "send_documents", {}),
    ("third_party", "callback", {"callback_at": "2026-11-19T10:00"}),
]
MEXICO = [
    ("right_party", "promise", {}),
    ("right_party", "instalments", {}),
    ("right_party", "send_documents", {}),
    ("right_party", "receive_documents", {}),
    ("right_party", "consult", {}),
    ("right_party", "other", {"notes": "Pasará por la sucursal a firmar el convenio."}),
    ("right_party", "callback", {"callback_at": "2026-11-19T11:00"}),
    ("right_party", "none", {"no_commitment_reason": "Dice que ya pagó en la tienda"}),
]


@pytest.fixture
def afternoon():
    with time_machine.travel(WEDNESDAY_AFTERNOON, tick=True):
        yield


@pytest.fixture
def twenty_due(high_ids, carla, afternoon):
    """Twenty debtors with a follow-up due today (every kind), interleaved Peru / Mexico."""
    peru = factories.make_portfolio(name="Tarjetas Lima 2026")
    mexico = factories.make_portfolio(
        name="Créditos CDMX 2026", country="MX", currency="MXN", time_zone="America/Mexico_City", preset="mx_fin"
    )
    plan = []
    peru_calls, mexico_calls = iter(PERU), iter(MEXICO)
    for n in range(20):
        in_mexico = n % 5 in (1, 3)  # 8 of 20
        portfolio = mexico if in_mexico else peru
        debtor = factories.make_debtor(
            portfolio=portfolio, assigned_to=carla, full_name=f"{'Lucía' if in_mexico else 'Diego'} Prueba {n:02d}"
        )
        factories.make_debt(debtor=debtor, balance=Decimal("1000.00") + 37 * n)
        factories.make_phone(debtor=debtor, number=f"+5255123456{n:02d}" if in_mexico else f"+519876543{n:02d}")
        reason = KINDS[n % len(KINDS)]
        promise = None
        if reason == "broken_promise":
            promise = factories.make_promise(
                debtor=debtor,
                collector=carla,
                status=Promise.Status.BROKEN,
                due_date=date(2026, 11, 13),
                resolved_at=WEDNESDAY_AFTERNOON - timedelta(days=1),
            )
        elif reason == "reminder":
            promise = factories.make_promise(debtor=debtor, collector=carla, due_date=date(2026, 11, 19))
        factories.make_follow_up(
            debtor=debtor,
            assigned_to=carla,
            reason=reason,
            promise=promise,
            subject_key=f"promise:{promise.pk}" if promise else None,
            due_at=datetime(2026, 11, 18, 8, 0, tzinfo=LIMA) + timedelta(minutes=20 * n),
        )
        plan.append((debtor, next(mexico_calls if in_mexico else peru_calls)))
    return plan


def log_call(page, outcome, commitment, inputs):
    form = page.locator("form.call-form[data-desk-ready]")
    form.wait_for()
    form.locator(f"input[name=outcome][value={outcome}]").check()
    if commitment:
        form.locator(f"input[name=commitment][value={commitment}]").check()
    for name, value in inputs.items():
        form.locator(f"[name={name}]").fill(value)
    form.get_by_role("button", name=re.compile("Registrar la gestión")).click()
    expect(page.locator(".closing-summary")).to_be_visible()


def test_a_collector_works_twenty_due_follow_ups_in_a_row_and_ends_with_an_empty_day(
    sign_in, carla, twenty_due, live_server
):
    debtors = [debtor for debtor, _call in twenty_due]
    assert min(debtor.pk for debtor in debtors) > 1000
    page = sign_in(carla)
    expect(page.locator("#due-now .count")).to_have_text("20")

    page.get_by_role("link", name=re.compile("Empezar a llamar")).click()
    visited = []
    for step, (_debtor, (outcome, commitment, inputs)) in enumerate(twenty_due, start=1):
        page.wait_for_url(re.compile(r"/debtors/\d+/$"))
        visited.append(int(page.url.rstrip("/").rsplit("/", 1)[1]))
        log_call(page, outcome, commitment, inputs)
        summary = page.locator(".closing-summary")
        expect(summary).to_contain_text("Seguimiento realizado")
        expect(page.locator("#follow-ups .count")).to_have_text(
            "1" if commitment in ("callback", "consult", "send_documents", "receive_documents", "other") else "0"
        )
        if step < len(twenty_due):
            summary.get_by_role("link", name="Siguiente deudor").click()

    assert visited == [debtor.pk for debtor in debtors], "next debtor left the order of the due follow-ups"
    page.goto(f"{live_server.url}/")
    expect(page.locator("#due-now .count")).to_have_text("0")
    expect(page.get_by_text("No hay seguimientos pendientes para hoy.")).to_be_visible()
    assert FollowUpEvent.objects.filter(kind="settled_by_call").count() == 20

    # The five-minute job runs (as beat would): retries land tomorrow, nothing comes back today.
    scheduled = follow_ups_schedule(now=timezone.now())
    assert scheduled.retries == 5  # no answer ×2, busy, voicemail and the third party; not the dead numbers
    page.reload()
    expect(page.get_by_text("No hay seguimientos pendientes para hoy.")).to_be_visible()
    tomorrow = FollowUp.objects.filter(status="open").order_by("due_at").first()
    assert tomorrow.due_at >= datetime(2026, 11, 19, 7, 0, tzinfo=LIMA)

"""The demo's segments, strategies and one champion/challenger test per portfolio.

The test began 30 days ago; its challenger (a message first, instalments offered) is given a
planted lift, payments that its debtors made since, so that the demo's test page shows a
difference with its interval, as a real test would after a month.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef

from debtors.models import Debtor, Portfolio, SavedFilter
from promises.models import Payment, Promise, Strategy
from promises.services import payment_record
from scoring.models import ArmAssignment, Segment
from scoring.services import strategy_test_start

TEST_DAYS = 30
# Share of the challenger's debtors who pay because of it, and how much of their balance.
PLANTED_LIFT = 0.2
PLANTED_SHARE = Decimal("0.15")


def strategies_seed(portfolio: Portfolio, now: datetime) -> None:
    """Five strategies and four segments, one of them a saved filter's; a test on the
    early-arrears segment."""
    reminder = Strategy.objects.create(
        portfolio=portfolio,
        name="Recordatorio amable",
        first_channel=Strategy.FirstChannel.MESSAGE,
        reminder_days_before=3,
        first_offer=Strategy.FirstOffer.FULL,
        queue_weight=Decimal("0.8"),
    )
    calling = Strategy.objects.create(
        portfolio=portfolio,
        name="Llamada directa",
        first_channel=Strategy.FirstChannel.CALL,
        retry_after_minutes=120,
        first_offer=Strategy.FirstOffer.DISCOUNT,
        max_discount_percent=Decimal("10"),
        queue_weight=Decimal("1.5"),
        contact_cost=Decimal("2"),
    )
    instalments = Strategy.objects.create(
        portfolio=portfolio,
        name="Mensaje y cuotas",
        first_channel=Strategy.FirstChannel.MESSAGE,
        retry_after_minutes=240,
        first_offer=Strategy.FirstOffer.INSTALMENTS,
        max_instalments=6,
        queue_weight=Decimal("1.2"),
        contact_cost=Decimal("1"),
    )
    negotiation = Strategy.objects.create(
        portfolio=portfolio,
        name="Negociación con quita",
        first_channel=Strategy.FirstChannel.CALL,
        first_offer=Strategy.FirstOffer.DISCOUNT,
        max_discount_percent=Decimal("30"),
        contact_cost=Decimal("3"),
    )
    Segment.objects.create(
        portfolio=portfolio, name="Pagadores probables", position=1, score_from_percent=50, strategy=reminder
    )
    early = Segment.objects.create(
        portfolio=portfolio, name="Mora temprana", position=2, days_past_due_below=90, strategy=calling
    )
    # A saved filter as a segment's condition: late debtors who can be written to on WhatsApp
    # get a message before the negotiating call.
    on_whatsapp, _created = SavedFilter.objects.get_or_create(
        name="Con WhatsApp y sin bloqueos", defaults={"query": "consents_to=whatsapp&on_hold=false"}
    )
    Segment.objects.create(
        portfolio=portfolio,
        name="Mora avanzada con WhatsApp",
        position=3,
        saved_filter=on_whatsapp,
        strategy=Strategy.objects.create(
            portfolio=portfolio,
            name="Mensaje antes de negociar",
            first_channel=Strategy.FirstChannel.MESSAGE,
            call_after_message_hours=24,
            first_offer=Strategy.FirstOffer.DISCOUNT,
            max_discount_percent=Decimal("30"),
            contact_cost=Decimal("1"),
        ),
    )
    Segment.objects.create(portfolio=portfolio, name="Mora avanzada", position=4, strategy=negotiation)
    strategy_test_start(
        segment=early,
        challenger=instalments,
        name="Mensaje y cuotas frente a llamada directa",
        challenger_percent=50,
        at=now - timedelta(days=TEST_DAYS),
    )


def challenger_lift_plant(portfolio: Portfolio, now: datetime, rng: random.Random) -> int:
    """Payments from a share of the challenger's debtors since the test began; how many."""
    debtor_ids = ArmAssignment.objects.filter(
        test__segment__portfolio=portfolio, arm=ArmAssignment.Arm.CHALLENGER
    ).values_list("debtor_id", flat=True)
    paying = [pk for pk in sorted(debtor_ids) if rng.random() < PLANTED_LIFT]
    # Debtors with a pending promise are left out: a payment on account of the test would
    # count towards it, and the demo's promises tell their own stories. So are unassigned
    # ones: the lift is the collectors' work, and every demo payment is credited to one.
    pending = Promise.objects.filter(debtor=OuterRef("pk"), status=Promise.Status.PENDING)
    working = Debtor.objects.filter(pk__in=paying, assigned_to__isnull=False).exclude(Exists(pending))
    for debtor in working.order_by("pk"):
        balance = debtor.open_balance
        if balance <= 0:
            continue
        amount = max((balance * PLANTED_SHARE).quantize(Decimal("0.01")), min(balance, Decimal("20.00")))
        payment_record(
            debtor=debtor,
            amount=min(amount, balance),
            paid_at=now - timedelta(days=rng.randint(1, TEST_DAYS - 2), hours=rng.randint(0, 8)),
            reference=f"DEMO-CUOTAS-{debtor.pk}",
            source=Payment.Source.DEMO,
            at=now,
        )
    return len(paying)

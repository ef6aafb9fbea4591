"""What a debtor may do alone on the page, through the desk's own services: promise a date,
accept a plan or a settlement within the portfolio's self-service limits, ask for a call.

The promises are made in the name of the debtor's collector (or the person who sent the link),
so dashboards and follow-ups treat them like any other; the page's own log says who acted.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import FollowUp
from calls.policy import next_lawful_moments
from collections_crm.lib.timezones import debtor_local_today, debtor_zone
from documents.services import arrangement_acceptance_record
from promises.models import Arrangement, Promise
from promises.rules import instalment_dates, split_evenly
from promises.services import arrangement_propose, promise_propose, settlement_propose
from selfservice.models import SelfServiceEvent, SelfServiceLink
from selfservice.services.links import limits_for

CENT = Decimal("0.01")
MIN_PLAN = 2


@dataclass
class Offers:
    """What the page offers the debtor today, all within the portfolio's limits."""

    balance: Decimal
    currency: str
    today: date
    # Why nothing can be agreed on the page (a hold, an open agreement…); empty when it can.
    closed_because: str = ""
    latest_promise_date: date | None = None
    latest_first_instalment: date | None = None
    plans: list[dict] = field(default_factory=list)  # {"count", "amount", "last"}
    settlement_amount: Decimal | None = None
    settlement_discount: Decimal | None = None
    latest_settlement_date: date | None = None

    @property
    def open(self) -> bool:
        return not self.closed_because


def debtor_balance(debtor) -> Decimal:
    return debtor.debts.filter(recalled_on__isnull=True).aggregate(total=Sum("balance"))["total"] or Decimal("0")


def open_commitments(debtor) -> list[Promise]:
    """The debtor's pending promises, instalments included, earliest first."""
    return list(
        Promise.objects.filter(debtor=debtor, status=Promise.Status.PENDING)
        .select_related("arrangement")
        .order_by("due_date", "instalment_number", "pk")
    )


def offers_for(debtor, *, at: datetime | None = None) -> Offers:
    at = at or timezone.now()
    limits = limits_for(debtor.portfolio)
    balance = debtor_balance(debtor)
    today = debtor_local_today(debtor, at)
    offers = Offers(balance=balance, currency=debtor.portfolio.currency, today=today)
    if debtor.active_holds:
        offers.closed_because = _("Your account cannot take agreements on this page right now. Please contact us.")
    elif not limits.enabled:
        offers.closed_because = _("Agreements are made with your collector. Ask for a call below.")
    elif balance <= 0:
        offers.closed_because = _("You owe nothing on this account.")
    elif open_commitments(debtor):
        offers.closed_because = _("You already have an agreement in progress: its payments are listed above.")
    if not offers.open:
        return offers
    offers.latest_promise_date = today + timedelta(days=limits.max_days_to_promise)
    offers.latest_first_instalment = today + timedelta(days=limits.max_days_to_first_instalment)
    for count in range(MIN_PLAN, limits.max_instalments + 1):
        amounts = split_evenly(balance, count)
        if min(amounts) > 0:
            offers.plans.append({"count": count, "amount": amounts[0], "last": amounts[-1]})
    percent = Decimal(limits.settlement_discount_percent)
    if percent > 0:
        pay = (balance * (100 - percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        if 0 < pay < balance:
            offers.settlement_amount, offers.settlement_discount = pay, balance - pay
            offers.latest_settlement_date = today + timedelta(days=limits.max_days_to_settle)
    return offers


def _refuse(link: SelfServiceLink, message: str, request_facts: dict) -> None:
    SelfServiceEvent.objects.create(
        link=link,
        debtor_id=link.debtor_id,
        kind=SelfServiceEvent.Kind.ACTION_REFUSED,
        detail=message[:500],
        **request_facts,
    )
    raise ValidationError(message)


def _check_date(link, chosen, latest: date | None, offers: Offers, request_facts) -> None:
    if not offers.open:
        _refuse(link, offers.closed_because, request_facts)
    if not isinstance(chosen, date) or chosen < offers.today or latest is None or chosen > latest:
        _refuse(link, _("Choose a date between today and %(latest)s.") % {"latest": latest}, request_facts)


def _maker(link: SelfServiceLink):
    return link.debtor.assigned_to or link.created_by


def _accepted(link: SelfServiceLink, arrangement: Arrangement, request_facts: dict) -> None:
    """The convenio says the debtor accepted on the page, after confirming identity, and from where."""
    zone = debtor_zone(link.debtor)
    acceptance = {
        "how": "self_service",
        "at": timezone.now().astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "zone": str(zone),
        "address": request_facts.get("ip") or "",
        "link": link.pk,
    }
    arrangement_acceptance_record(arrangement=arrangement, acceptance=acceptance)


def _log(link, kind: str, detail: str, request_facts: dict) -> None:
    SelfServiceEvent.objects.create(
        link=link, debtor_id=link.debtor_id, kind=kind, detail=detail[:500], **request_facts
    )


# Each action checks first (a refusal is logged, and stands), then writes in one transaction.


def promise_by_debtor(*, link: SelfServiceLink, due_date: date, request_facts: dict) -> Promise:
    """The whole balance on a date the debtor chooses, within the portfolio's limit."""
    debtor = link.debtor
    offers = offers_for(debtor)
    _check_date(link, due_date, offers.latest_promise_date, offers, request_facts)
    with transaction.atomic():
        promise = promise_propose(
            debtor=debtor, collector=_maker(link), amount=offers.balance, due_date=due_date, created_by=link.created_by
        )
        detail = f"{offers.balance} {offers.currency} {due_date.isoformat()}"
        _log(link, SelfServiceEvent.Kind.PROMISE_MADE, detail, request_facts)
    return promise


def plan_by_debtor(*, link: SelfServiceLink, count: int, first_date: date, request_facts: dict) -> Arrangement:
    """The balance in `count` monthly instalments, one of the plans the page offered."""
    debtor = link.debtor
    offers = offers_for(debtor)
    _check_date(link, first_date, offers.latest_first_instalment, offers, request_facts)
    if count not in {plan["count"] for plan in offers.plans}:
        _refuse(link, _("Choose one of the plans offered."), request_facts)
    schedule = list(zip(instalment_dates(first_date, count, "monthly"), split_evenly(offers.balance, count)))
    with transaction.atomic():
        arrangement = arrangement_propose(
            debtor=debtor, collector=_maker(link), schedule=schedule, created_by=link.created_by
        )
        _accepted(link, arrangement, request_facts)
        detail = f"{count} × {schedule[0][1]} {offers.currency}"
        _log(link, SelfServiceEvent.Kind.PLAN_ACCEPTED, detail, request_facts)
    return arrangement


def settlement_by_debtor(*, link: SelfServiceLink, pay_on: date, request_facts: dict) -> Arrangement:
    """The settlement the page offered: its amount on a date the debtor chooses."""
    debtor = link.debtor
    offers = offers_for(debtor)
    if offers.open and offers.settlement_amount is None:
        _refuse(link, _("No settlement is offered on this account."), request_facts)
    _check_date(link, pay_on, offers.latest_settlement_date, offers, request_facts)
    with transaction.atomic():
        arrangement = settlement_propose(
            debtor=debtor,
            collector=_maker(link),
            schedule=[(pay_on, offers.settlement_amount)],
            created_by=link.created_by,
        )
        _accepted(link, arrangement, request_facts)
        detail = f"{offers.settlement_amount} {offers.currency} {pay_on.isoformat()}"
        _log(link, SelfServiceEvent.Kind.SETTLEMENT_ACCEPTED, detail, request_facts)
    return arrangement


def callback_by_debtor(*, link: SelfServiceLink, wanted_at: datetime, note: str, request_facts: dict) -> FollowUp:
    """A call at the moment the debtor asks for, or the first lawful one after it."""
    debtor = link.debtor
    now = timezone.now()
    if wanted_at < now - timedelta(minutes=5) or wanted_at > now + timedelta(days=30):
        _refuse(link, _("Choose a moment within the next 30 days."), request_facts)
    due_at = next_lawful_moments([(debtor, max(wanted_at, now))], "voice")[0]
    if due_at is None:
        _refuse(link, _("We cannot call you at the moment. Please contact us."), request_facts)
    with transaction.atomic():
        follow_up, _created = FollowUp.objects.get_or_create(
            debtor=debtor,
            reason=FollowUp.Reason.CALLBACK,
            subject_key=f"self_service:{link.pk}",
            status=FollowUp.Status.OPEN,
            defaults={
                "assigned_to": debtor.assigned_to or link.created_by,
                "due_at": due_at,
                "note": note.strip()[:500],
                "created_by_job": "self_service",
            },
        )
        _log(link, SelfServiceEvent.Kind.CALLBACK_REQUESTED, due_at.isoformat(), request_facts)
    return follow_up

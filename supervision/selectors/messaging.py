"""Messages to debtors as a supervisor sees them: how many reached the debtor, were read,
failed, or drew an answer, per channel and per template."""

from datetime import timedelta

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, Value

from collections_crm.permissions import debtor_scope
from conversations.models import InboundMessage
from promises.models import Message
from supervision.selectors.scope import DashboardFilters, Period, prefixed

# A message counts as answered when the debtor writes on the same channel within this time.
REPLY_WINDOW = timedelta(days=3)
DELIVERED = ("delivered", "read")


def messaging_figures(user, period: Period, filters: DashboardFilters, zone) -> list[dict]:
    """One row per channel, purpose and template made in the period, with counts and rates.

    Rates are shares of the messages handed to the provider (`sent`); "blocked" are those the
    contact policy stopped for good, never sent.
    """
    start, end = period.bounds(zone)
    answered = InboundMessage.objects.filter(
        debtor_id=OuterRef("debtor_id"),
        channel=OuterRef("channel"),
        received_at__gt=OuterRef("sent_at"),
        received_at__lte=ExpressionWrapper(OuterRef("sent_at") + Value(REPLY_WINDOW), output_field=DateTimeField()),
    )
    rows = (
        Message.objects.filter(debtor_scope(user, via="debtor"), created_at__gte=start, created_at__lt=end)
        .filter(prefixed(filters.debtor_q(), "debtor"))
        .exclude(channel="email")
        .annotate(answered=Exists(answered))
        .values("channel", "purpose", "template_name")
        .annotate(
            made=Count("pk"),
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            delivered=Count("pk", filter=Q(status__in=DELIVERED)),
            read=Count("pk", filter=Q(status="read")),
            failed=Count("pk", filter=Q(status="failed")),
            blocked=Count("pk", filter=Q(status="blocked")),
            replied=Count("pk", filter=Q(answered=True, sent_at__isnull=False)),
        )
        .order_by("channel", "purpose", "template_name")
    )
    figures = []
    for row in rows:
        sent = row["sent"]
        for name in ("delivered", "read", "replied"):
            row[f"{name}_rate"] = row[name] / sent if sent else None
        figures.append(row)
    return figures

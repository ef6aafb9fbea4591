"""Reads of the self-service pages' records."""

from selfservice.models import SelfServiceEvent

# The timeline shows what the debtor did and what stopped them; each page view is in the log
# (admin › Self-service events) but would bury the rest.
TIMELINE_KINDS = [kind for kind in SelfServiceEvent.Kind.values if kind not in ("opened", "viewed")]


def self_service_history(debtor, *, limit: int = 100) -> list[SelfServiceEvent]:
    return list(debtor.self_service_events.filter(kind__in=TIMELINE_KINDS).order_by("-at", "-pk")[:limit])

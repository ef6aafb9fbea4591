"""The identity question: the last digits of the debtor's national id, five tries per link."""

import hmac
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from selfservice.models import SelfServiceEvent, SelfServiceLink
from selfservice.services.links import ID_DIGITS, national_id_digits

MAX_ATTEMPTS = 5


@transaction.atomic
def identity_confirm(*, link: SelfServiceLink, answer: str, at: datetime | None = None, **request_facts) -> bool:
    """True when `answer` is the national id's last digits. A wrong answer counts against the
    link (a row lock makes parallel guesses count one by one); the fifth locks it."""
    at = at or timezone.now()
    link = SelfServiceLink.objects.select_for_update().get(pk=link.pk)
    if link.state(at) != "usable":
        return False
    expected = national_id_digits(link.debtor)[-ID_DIGITS:]
    given = "".join(character for character in answer if character.isdigit())
    if len(expected) == ID_DIGITS and hmac.compare_digest(given.encode(), expected.encode()):
        SelfServiceEvent.objects.create(
            link=link, debtor_id=link.debtor_id, kind=SelfServiceEvent.Kind.IDENTITY_CONFIRMED, at=at, **request_facts
        )
        return True
    SelfServiceLink.objects.filter(pk=link.pk).update(failed_attempts=F("failed_attempts") + 1)
    link.refresh_from_db(fields=["failed_attempts"])
    SelfServiceEvent.objects.create(
        link=link,
        debtor_id=link.debtor_id,
        kind=SelfServiceEvent.Kind.IDENTITY_FAILED,
        at=at,
        detail=str(link.failed_attempts),
        **request_facts,
    )
    if link.failed_attempts >= MAX_ATTEMPTS:
        SelfServiceLink.objects.filter(pk=link.pk).update(locked_at=at)
        SelfServiceEvent.objects.create(
            link=link, debtor_id=link.debtor_id, kind=SelfServiceEvent.Kind.LOCKED, at=at, **request_facts
        )
    return False


def attempts_left(link: SelfServiceLink) -> int:
    return max(MAX_ATTEMPTS - link.failed_attempts, 0)

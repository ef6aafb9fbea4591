"""The signed token in a self-service link: it names one link of one debtor, signed with the
install's secret under a salt of its own, so no other signed value of the site opens the page."""

from datetime import timedelta

from django.core import signing

from selfservice.models import SelfServiceLink

SALT = "selfservice.link.v1"
# The link row's own expiry decides; this only keeps an old signature from being read at all.
LONGEST_LIFE = timedelta(days=31)


def link_token(link: SelfServiceLink) -> str:
    return signing.dumps({"l": link.pk, "d": link.debtor_id}, salt=SALT)


def link_for_token(token: str) -> SelfServiceLink | None:
    """The link the token names, or None when it is altered, too old or names no link."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LONGEST_LIFE)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict) or not isinstance(data.get("l"), int) or not isinstance(data.get("d"), int):
        return None
    return (
        SelfServiceLink.objects.select_related("debtor__portfolio__creditor", "debtor__assigned_to", "created_by")
        .filter(pk=data["l"], debtor_id=data["d"])
        .first()
    )

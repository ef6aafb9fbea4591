"""A link to the debtor's page at the end of the messages that call for one: reminders and
missed-payment notices of a strategy that says so, and closing summaries where the portfolio
says so. Added when the message is sent (the link's days run from then), once."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from promises.models import Message
from promises.selectors import strategies_by_debtor
from selfservice.models import SelfServiceEvent, SelfServiceLink
from selfservice.services.links import ID_DIGITS, limits_for, link_url, national_id_digits

STRATEGY_PURPOSES = (Message.Purpose.REMINDER, Message.Purpose.BROKEN_PROMISE, Message.Purpose.DUE_DATE)


def _wanted(message, limits) -> str:
    """Why this message carries a link ("" when it does not)."""
    if message.purpose == Message.Purpose.SUMMARY and limits.link_in_summary:
        return "closing summary"
    if message.purpose in STRATEGY_PURPOSES:
        strategy = strategies_by_debtor([message.debtor_id]).get(message.debtor_id)
        if strategy is not None and strategy.self_service_link:
            return f"strategy {strategy.name}"
    return ""


def link_attach(message, provider, now) -> None:
    """An outbox preparer (see promises.services.outbox)."""
    if message.template_name or message.purpose not in (*STRATEGY_PURPOSES, Message.Purpose.SUMMARY):
        return
    if "link" in (message.placeholder_values or {}):
        return  # a retry: the link was added the first time
    debtor = message.debtor
    limits = limits_for(debtor.portfolio)
    if not limits.enabled or debtor.assigned_to_id is None or not settings.SELF_SERVICE_BASE_URL:
        return
    if len(national_id_digits(debtor)) < ID_DIGITS:
        return
    why = _wanted(message, limits)
    if not why:
        return
    link = SelfServiceLink.objects.create(
        debtor=debtor,
        created_by_id=debtor.assigned_to_id,
        created_at=now,
        expires_at=now + limits.link_duration,
        channel=message.channel,
    )
    url = link_url(link)
    with translation.override(debtor.language):
        line = _("See your account and arrange your payment here: %(url)s") % {"url": url}
    message.body = f"{message.body}\n{line}"
    message.placeholder_values = {**(message.placeholder_values or {}), "link": url}
    Message.objects.filter(pk=message.pk).update(body=message.body, placeholder_values=message.placeholder_values)
    SelfServiceEvent.objects.create(
        link=link, debtor=debtor, kind=SelfServiceEvent.Kind.LINK_SENT, at=now, detail=f"{message.channel} · {why}"
    )

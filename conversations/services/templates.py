"""WhatsApp outside its 24-hour window: a message the system sends goes as the approved
template of its purpose and language, or is not sent at all (Meta would refuse it)."""

from django.utils.translation import gettext as _

from conversations.models import MessageTemplate
from conversations.selectors import whatsapp_window_open
from promises.messaging import PermanentProviderError


def whatsapp_template_apply(message, provider, now) -> None:
    """An outbox preparer (see promises.services.outbox): on a provider that needs templates,
    a WhatsApp message with none, to a debtor who has not written in 24 hours, takes its
    purpose's template with the message's placeholder values; without one it fails at once,
    saying what to add."""
    if message.channel != "whatsapp" or message.template_name or not provider.templates_outside_window:
        return
    if whatsapp_window_open(message.recipient, at=now):
        return
    template = (
        MessageTemplate.objects.filter(
            channel="whatsapp", purpose=message.purpose, language=message.language, active=True
        )
        .order_by("name")
        .first()
    )
    if template is None:
        raise PermanentProviderError(
            _(
                "The debtor has not written on WhatsApp in 24 hours and there is no approved template for "
                "“%(purpose)s” in this language (%(language)s): add one in the admin."
            )
            % {"purpose": message.get_purpose_display(), "language": message.language}
        )
    body, params = template.render(message.placeholder_values or {})
    message.template_name, message.template_params, message.body = template.provider_name, params, body
    type(message).objects.filter(pk=message.pk).update(
        template_name=template.provider_name, template_params=params, body=body
    )

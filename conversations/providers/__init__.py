"""The real messaging providers: Twilio (SMS and WhatsApp) and Meta's WhatsApp Cloud API.

Each module holds both directions of one provider's published protocol: sending (a
`promises.messaging.Provider`, chosen by SMS_PROVIDER / WHATSAPP_PROVIDER) and reading its
webhooks (signature check, then the payload as `Incoming` messages and `Receipt`s).
"""

from conversations.providers.common import Incoming, Receipt, WebhookRejected


def providers_connect() -> None:
    from conversations.providers.twilio import TwilioProvider
    from conversations.providers.whatsapp_cloud import WhatsAppCloudProvider
    from conversations.services.delivery import delivery_events_apply_for
    from conversations.services.templates import whatsapp_template_apply
    from promises.messaging import provider_register
    from promises.services import outbox_preparer_register, outbox_sent_listener_register

    provider_register("twilio", TwilioProvider)
    provider_register("whatsapp_cloud", WhatsAppCloudProvider)
    outbox_sent_listener_register(delivery_events_apply_for)
    outbox_preparer_register(whatsapp_template_apply)


__all__ = ["Incoming", "Receipt", "WebhookRejected", "providers_connect"]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self):
        # The outbox (promises, a lower layer) sends through our providers by their short
        # names and tells us when a message is sent, so that early receipts are applied.
        from conversations.providers import providers_connect

        providers_connect()

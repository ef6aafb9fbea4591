from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Calls")

    def ready(self):
        # The outbox (promises, a lower layer) asks our contact policy before sending and puts
        # what it sent on our contact ledger.
        from calls.message_contacts import outbox_contact_connect

        outbox_contact_connect()

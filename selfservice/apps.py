from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfServiceConfig(AppConfig):
    name = "selfservice"
    verbose_name = _("Self-service")

    def ready(self):
        # Messages the outbox sends may end with a link to the debtor's page (a strategy's
        # reminders, the closing summary): added before WhatsApp's template is chosen.
        from promises.services import outbox_preparer_register
        from selfservice.messages import link_attach

        outbox_preparer_register(link_attach, first=True)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self):
        # Letters follow what happens to agreements and debts (promises, a lower layer), and
        # e-mails from the outbox carry the document they announce.
        from documents import receivers
        from promises.services import outbox_attachment_loader_register
        from promises.signals import arrangement_agreed, arrangement_completed, debt_paid_off

        arrangement_agreed.connect(receivers.on_arrangement_agreed, dispatch_uid="documents.agreement")
        arrangement_completed.connect(receivers.on_arrangement_completed, dispatch_uid="documents.completed")
        debt_paid_off.connect(receivers.on_debt_paid_off, dispatch_uid="documents.paid_off")
        outbox_attachment_loader_register(receivers.message_attachments)

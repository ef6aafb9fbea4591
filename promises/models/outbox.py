"""The outbox: messages to debtors, queued for a lawful moment and sent at most once."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from promises.models.commitments import Promise


class Message(models.Model):
    """The outbox: a reminder or summary to send by SMS, WhatsApp or e-mail.

    A row is claimed (queued → sending) before the provider is called and marked sent
    after; `idempotency_key` is unique, so the same reminder is never queued twice, and
    the provider receives it too, so a retry after a crash is recognised, not resent.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("message status", "Queued")
        SENDING = "sending", pgettext_lazy("message status", "Sending")
        SENT = "sent", pgettext_lazy("message status", "Sent")
        DELIVERED = "delivered", pgettext_lazy("message status", "Delivered")
        READ = "read", pgettext_lazy("message status", "Read")
        FAILED = "failed", pgettext_lazy("message status", "Failed")
        BLOCKED = "blocked", pgettext_lazy("message status", "Blocked by the contact policy")

    class Purpose(models.TextChoices):
        REMINDER = "reminder", _("Reminder before a due date")
        BROKEN_PROMISE = "broken_promise", _("Notice of a missed promise")
        SUMMARY = "summary", _("Agreement summary")
        REPLY = "reply", _("Reply to the debtor")
        DUE_DATE = "due_date", _("Reminder of a debt's due date")
        CONSENT = "consent", _("Confirmation of a consent change")
        DOCUMENT = "document", _("A document for the debtor")
        SELF_SERVICE = "self_service", _("Link to the self-service page")

    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="messages"
    )
    promise = models.ForeignKey(
        Promise, verbose_name=_("promise"), on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    phone = models.ForeignKey(
        "debtors.Phone", verbose_name=_("phone"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    send_after = models.DateTimeField(_("send after"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider's id"), max_length=200, blank=True)
    # An approved template (WhatsApp outside the 24-hour window): its name at the provider and
    # the values of its placeholders, in order; `body` holds the text as the debtor reads it.
    template_name = models.CharField(_("template"), max_length=100, blank=True)
    template_params = models.JSONField(_("template values"), default=list, blank=True)
    # What an approved template's placeholders may take (first_name, creditor, amount,
    # due_date, balance, collector), in the debtor's language: a system message sent by
    # WhatsApp when the debtor has not written for 24 hours goes as its purpose's template.
    placeholder_values = models.JSONField(_("placeholder values"), default=dict, blank=True)
    # What an e-mail carries besides its text, as references an app above resolves into files
    # ("document:<id>": a letter from the documents app).
    attachments = models.JSONField(_("attachments"), default=list, db_default=[], blank=True)
    status_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["sent", "delivered", "read"]) | Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["send_after"], condition=Q(status__in=["queued", "sending"]), name="message_due_idx"),
            models.Index(fields=["debtor", "-created_at"], name="message_debtor_idx"),
            # The dashboard's messaging figures read a period of messages.
            models.Index(fields=["created_at"], name="message_created_idx"),
            # Delivery receipts find their message by the provider's id.
            models.Index(
                fields=["provider_message_id"], condition=~Q(provider_message_id=""), name="message_provider_id_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient} · {self.get_status_display()}"

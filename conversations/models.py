"""What debtors send us and what providers tell us about what we sent."""

import re
import string
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from promises.models import Message


class Provider(models.TextChoices):
    TWILIO = "twilio", "Twilio"
    WHATSAPP_CLOUD = "whatsapp_cloud", _("WhatsApp Cloud API")


class InboundChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class InboundMessage(models.Model):
    """A message a debtor (or an unknown sender) wrote to us, stored once per provider id."""

    class Keyword(models.TextChoices):
        NONE = "", _("None")
        STOP = "stop", _("Stop: consent revoked")
        START = "start", _("Start: consent restored")

    provider = models.CharField(_("provider"), max_length=32, choices=Provider.choices)
    provider_message_id = models.CharField(_("provider's id"), max_length=200)
    channel = models.CharField(_("channel"), max_length=16, choices=InboundChannel.choices)
    # E.164, as the phone numbers are stored: the match is an index lookup.
    sender = models.CharField(_("from"), max_length=32)
    recipient = models.CharField(_("to"), max_length=64, blank=True)
    body = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    debtor = models.ForeignKey(
        "debtors.Debtor",
        verbose_name=_("debtor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_messages",
        db_index=False,  # inbound_debtor_idx starts with it
    )
    phone = models.ForeignKey(
        "debtors.Phone", verbose_name=_("phone"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    keyword = models.CharField(_("keyword"), max_length=8, choices=Keyword.choices, blank=True)
    # Who attached an unmatched message to a debtor, and when; empty when matched on arrival.
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attached by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    attached_at = models.DateTimeField(_("attached"), null=True, blank=True)
    # The contact on the debtor's ledger (an inbound attempt), once matched.
    call = models.OneToOneField(
        "calls.Call", verbose_name=_("contact"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-pk"]
        constraints = [
            # A webhook the provider sends again stores nothing new.
            models.UniqueConstraint(fields=["provider", "provider_message_id"], name="inbound_once_per_provider_id"),
            models.CheckConstraint(condition=~Q(provider_message_id=""), name="inbound_has_provider_id"),
            models.CheckConstraint(
                condition=Q(attached_by__isnull=True) | Q(debtor__isnull=False), name="inbound_attached_has_debtor"
            ),
        ]
        indexes = [
            models.Index(fields=["debtor", "-received_at"], name="inbound_debtor_idx"),
            models.Index(fields=["-received_at"], condition=Q(debtor__isnull=True), name="inbound_unmatched_idx"),
            models.Index(fields=["sender", "channel", "-received_at"], name="inbound_sender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} ← {self.sender}"


class DeliveryEvent(models.Model):
    """A provider's receipt for a message we sent: one row per message and status.

    Kept even when no sent message carries the provider's id yet (the receipt overtook the
    send being recorded); it is applied when the send is.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("delivery status", "Queued at the provider")
        SENT = "sent", pgettext_lazy("delivery status", "Sent")
        DELIVERED = "delivered", pgettext_lazy("delivery status", "Delivered")
        READ = "read", pgettext_lazy("delivery status", "Read")
        FAILED = "failed", pgettext_lazy("delivery status", "Failed")

    provider = models.CharField(_("provider"), max_length=32, choices=Provider.choices)
    provider_message_id = models.CharField(_("provider's id"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    occurred_at = models.DateTimeField(_("when"))
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    error_reason = models.CharField(_("reason"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    message = models.ForeignKey(
        "promises.Message",
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="delivery_events",
    )

    class Meta:
        verbose_name = _("delivery receipt")
        verbose_name_plural = _("delivery receipts")
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id", "status"], name="delivery_event_once_per_status"
            ),
        ]
        indexes = [
            models.Index(fields=["provider_message_id"], condition=Q(message__isnull=True), name="delivery_pending_idx")
        ]

    def __str__(self) -> str:
        return f"{self.provider_message_id} · {self.get_status_display()}"


def keyword_normalise(text: str) -> str:
    """'  ¡No Más! ' → 'no mas': case, accents, surrounding punctuation and inner spacing."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.strip(string.punctuation + "¡¿ \t\r\n").split())


class ConsentKeyword(models.Model):
    """A word that, sent alone, revokes or restores consent on the channel it came by."""

    class Action(models.TextChoices):
        STOP = "stop", _("Revoke consent")
        START = "start", _("Restore consent")

    word = models.CharField(
        _("word"), max_length=40, help_text=_("Compared without case, accents or surrounding punctuation.")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    confirmation = models.TextField(
        _("confirmation"), help_text=_("The one message sent back to confirm the change, in this language.")
    )

    class Meta:
        verbose_name = _("consent keyword")
        verbose_name_plural = _("consent keywords")
        ordering = ["language", "action", "word"]
        constraints = [models.UniqueConstraint(fields=["word"], name="consent_keyword_unique_word")]

    def __str__(self) -> str:
        return f"{self.word} ({self.get_action_display()})"

    def save(self, *args, **kwargs):
        # Stored as compared: "No Más" and "no mas" are one keyword.
        self.word = keyword_normalise(self.word)
        super().save(*args, **kwargs)


TEMPLATE_PROVIDER_NAME = re.compile(r"[a-z0-9_]{1,100}|HX[0-9a-fA-F]{32}")
TEMPLATE_PLACEHOLDER = re.compile(r"\{\{(\d{1,2})\}\}")


class MessageTemplate(models.Model):
    """An approved message for WhatsApp outside the 24-hour window (and a ready text for SMS).

    `body` uses numbered placeholders as WhatsApp does, {{1}}, {{2}}…, filled in order from
    `placeholders`; `provider_name` is the template's name as approved at the provider.
    """

    class Placeholder(models.TextChoices):
        FIRST_NAME = "first_name", _("Debtor's first name")
        CREDITOR = "creditor", _("Creditor")
        BALANCE = "balance", _("Balance")
        COLLECTOR = "collector", _("Collector's name")
        AMOUNT = "amount", _("Amount of the payment reminded")
        DUE_DATE = "due_date", _("Its due date")
        LINK = "link", _("Link to the self-service page")

    name = models.CharField(_("name"), max_length=100)
    provider_name = models.CharField(
        _("name at the provider"),
        max_length=100,
        help_text=_("WhatsApp Cloud API: the template's name as approved. Twilio: its Content SID (HX…)."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    channel = models.CharField(_("channel"), max_length=16, choices=InboundChannel.choices)
    purpose = models.CharField(
        _("used for"),
        max_length=16,
        blank=True,
        choices=[("", _("Collectors' replies")), *Message.Purpose.choices],
        help_text=_(
            "Messages of this kind that the system sends by WhatsApp when the debtor has not written in 24 hours "
            "go as this template. Empty: collectors choose it when replying."
        ),
    )
    body = models.TextField(_("text"), help_text=_("Placeholders as {{1}}, {{2}}…, in the order listed below."))
    placeholders = models.JSONField(
        _("placeholders"), default=list, blank=True, help_text=_("What fills {{1}}, {{2}}…, in order.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["channel", "language", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_name", "language", "channel"], name="message_template_unique_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_language_display()}, {self.get_channel_display()})"

    def clean(self) -> None:
        errors = {}
        if not TEMPLATE_PROVIDER_NAME.fullmatch(self.provider_name or ""):
            errors["provider_name"] = _("Use the name as approved (lower case, digits, underscores) or a Content SID.")
        placeholders = self.placeholders if isinstance(self.placeholders, list) else None
        if placeholders is None or any(value not in self.Placeholder.values for value in placeholders):
            errors["placeholders"] = _("List what fills each placeholder, from: %(choices)s.") % {
                "choices": ", ".join(self.Placeholder.values)
            }
        numbers = sorted({int(number) for number in TEMPLATE_PLACEHOLDER.findall(self.body or "")})
        if placeholders is not None and numbers != list(range(1, len(placeholders) + 1)):
            errors["body"] = _("The text must use {{1}} to {{%(count)s}}, one for each placeholder listed.") % {
                "count": len(placeholders)
            }
        if errors:
            raise ValidationError(errors)

    def render(self, values: dict[str, str]) -> tuple[str, list[str]]:
        """The text as the debtor reads it and the placeholder values, in order."""
        params = [values.get(name, "") for name in self.placeholders]
        text = TEMPLATE_PLACEHOLDER.sub(lambda match: params[int(match.group(1)) - 1], self.body)
        return text, params

"""HoldChange and ConsentChange: every hold set or lifted and every channel's consent given or
withdrawn, with who, when, where from and why. A regulator asks for the history, not only the
state the debtor and the number are in today."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from debtors.models.debtors import HOLD_FIELDS, Debtor, Phone

HOLD_CHOICES = [(name, Debtor._meta.get_field(name).verbose_name) for name in HOLD_FIELDS]
CONSENT_CHANNELS = [("sms", _("SMS")), ("whatsapp", _("WhatsApp"))]


class ChangeSource(models.TextChoices):
    PAGE = "page", _("A page of the CRM")
    API = "api", _("The API")
    ADMIN = "admin", _("The admin")
    KEYWORD = "keyword", _("The debtor's keyword")
    BEFORE_HISTORY = "before_history", _("Already so when the history began")


class HoldChange(models.Model):
    debtor = models.ForeignKey(Debtor, verbose_name=_("debtor"), on_delete=models.CASCADE, related_name="hold_changes")
    hold = models.CharField(_("hold"), max_length=24, choices=HOLD_CHOICES)
    is_set = models.BooleanField(_("set"), help_text=_("Set (true) or lifted (false)."))
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=16, choices=ChangeSource.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("hold change")
        verbose_name_plural = _("hold changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["debtor", "at"], name="hold_change_debtor_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_hold_display()} · {self.at:%Y-%m-%d %H:%M}"


class ConsentChange(models.Model):
    debtor = models.ForeignKey(
        Debtor, verbose_name=_("debtor"), on_delete=models.CASCADE, related_name="consent_changes"
    )
    # The number as it was: the history outlives a number deleted since.
    phone = models.ForeignKey(
        Phone, verbose_name=_("phone"), on_delete=models.SET_NULL, null=True, blank=True, related_name="consent_changes"
    )
    number = models.CharField(_("number"), max_length=32)
    channel = models.CharField(_("channel"), max_length=16, choices=CONSENT_CHANNELS)
    granted = models.BooleanField(_("granted"), help_text=_("Given (true) or withdrawn (false)."))
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=16, choices=ChangeSource.choices)
    detail = models.CharField(
        _("where it comes from"), max_length=200, blank=True, help_text=_("A signed form, a call, the debtor's STOP…")
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["debtor", "at"], name="consent_change_debtor_at_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.get_channel_display()} · {self.at:%Y-%m-%d %H:%M}"

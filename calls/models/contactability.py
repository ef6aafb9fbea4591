"""PhoneContactability: how each number answers, by weekday and hour of the debtor's day.

Counted from the calls (attempts, someone answered, the debtor answered) by a nightly job,
set-based (calls.services.contactability_refresh); the desk shows each number's best window.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PhoneContactability(models.Model):
    phone = models.ForeignKey(
        "debtors.Phone",
        verbose_name=_("phone"),
        on_delete=models.CASCADE,
        related_name="contactability",
        db_index=False,  # the unique (phone, weekday, hour) index starts with it
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text=_("0 is Monday, in the debtor's zone."))
    hour = models.PositiveSmallIntegerField(_("hour"), help_text=_("0 to 23, in the debtor's zone."))
    attempts = models.PositiveIntegerField(_("attempts"))
    connects = models.PositiveIntegerField(_("someone answered"))
    right_party = models.PositiveIntegerField(_("the debtor answered"))
    counted_at = models.DateTimeField(_("counted"))

    class Meta:
        verbose_name = _("phone contactability")
        verbose_name_plural = _("phone contactability")
        constraints = [
            models.UniqueConstraint(fields=["phone", "weekday", "hour"], name="contactability_unique_slot"),
            models.CheckConstraint(condition=Q(weekday__lte=6, hour__lte=23), name="contactability_slot_range"),
            models.CheckConstraint(
                condition=Q(right_party__lte=models.F("connects"), connects__lte=models.F("attempts")),
                name="contactability_counts_nested",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone_id} {self.weekday} {self.hour:02d}h"


class PhoneStatusChange(models.Model):
    """A number demoted by failed attempts, or restored by hand with a reason: its history."""

    class Source(models.TextChoices):
        CALLS = "calls", _("Failed attempts")
        RESTORED = "restored", _("Restored by hand")

    phone = models.ForeignKey(
        "debtors.Phone", verbose_name=_("phone"), on_delete=models.CASCADE, related_name="status_changes"
    )
    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.CASCADE, related_name="phone_status_changes"
    )
    from_status = models.CharField(_("from"), max_length=16)
    to_status = models.CharField(_("to"), max_length=16)
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    call = models.ForeignKey(
        "calls.Call", verbose_name=_("call"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("phone status change")
        verbose_name_plural = _("phone status changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["phone", "at"], name="phone_status_change_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(source="restored") | ~Q(reason=""), name="phone_restore_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.phone_id} {self.from_status} → {self.to_status}"

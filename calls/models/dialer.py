"""DialerDisposition: what a dialer's disposition code means as our call outcome, edited by
admins (VICIdial's statuses and Asterisk's DIALSTATUS values are seeded)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from calls.models.call import CallOutcome

# The outcomes a dialer can tell alone: whether anyone answered, not what was said.
DIALER_OUTCOMES = ("no_answer", "busy", "voicemail", "disconnected", "wrong_number")


class DialerDisposition(models.Model):
    class Dialer(models.TextChoices):
        VICIDIAL = "vicidial", "VICIdial"
        ASTERISK = "asterisk", "Asterisk"

    dialer = models.CharField(_("dialer"), max_length=16, choices=Dialer.choices)
    code = models.CharField(
        _("disposition code"), max_length=32, help_text=_("As the dialer sends it, e.g. NA or BUSY.")
    )
    outcome = models.CharField(
        _("logged as"),
        max_length=32,
        choices=[(value, label) for value, label in CallOutcome.choices if value in DIALER_OUTCOMES],
        help_text=_("Attempts that reached someone are logged by the collector, with what was said."),
    )

    class Meta:
        verbose_name = _("dialer disposition")
        verbose_name_plural = _("dialer dispositions")
        ordering = ["dialer", "code"]
        constraints = [
            models.UniqueConstraint(fields=["dialer", "code"], name="dialer_disposition_unique"),
            models.CheckConstraint(condition=models.Q(outcome__in=DIALER_OUTCOMES), name="dialer_disposition_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.get_dialer_display()} {self.code} → {self.get_outcome_display()}"

"""A portfolio's promise rules and the limits of what a collector may agree alone."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from debtors.models import MONEY


class PromiseRules(models.Model):
    """How a portfolio's promises are judged and followed up; a missing row means defaults."""

    class MissedInstalment(models.TextChoices):
        BREAKS_ARRANGEMENT = "break", _("A missed instalment breaks the arrangement")
        CARRY_TO_END = "carry", _("A missed instalment's unpaid amount moves to the last instalment")

    portfolio = models.OneToOneField(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="promise_rules"
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace days"), default=2, help_text=_("Days after the promised date in which a payment still counts.")
    )
    tolerance_percent = models.DecimalField(
        _("tolerance (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("A shortfall up to this share of the promise still counts as kept."),
    )
    tolerance_amount = models.DecimalField(
        _("tolerance (amount)"),
        default=Decimal("0"),
        help_text=_("A shortfall up to this amount still counts as kept (bank fees, rounding)."),
        **MONEY,
    )
    partial_minimum_percent = models.DecimalField(
        _("minimum for partially kept (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50"),
        help_text=_("Paying less than this share of the promise counts as a broken promise."),
    )
    missed_instalment = models.CharField(
        _("missed instalment"),
        max_length=8,
        choices=MissedInstalment.choices,
        default=MissedInstalment.BREAKS_ARRANGEMENT,
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("reminder days before"), default=2, help_text=_("0 sends no reminders.")
    )
    retry_after_minutes = models.PositiveIntegerField(_("retry after no contact (minutes)"), default=240)
    # Preventive reminders of a debt's own due date (not a promise's), by message only, where
    # the debtor consented; all off by default.
    due_reminder_days_before = models.PositiveSmallIntegerField(
        _("due-date reminder: days before"), default=0, help_text=_("0 sends none before the due date.")
    )
    due_reminder_on_the_day = models.BooleanField(_("due-date reminder: on the day"), default=False)
    due_reminder_days_after = models.PositiveSmallIntegerField(
        _("due-date reminder: days after"), default=0, help_text=_("0 sends none after the due date.")
    )

    class Meta:
        verbose_name = _("promise rules")
        verbose_name_plural = _("promise rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(tolerance_percent__gte=0, tolerance_percent__lte=100), name="rules_tolerance_percent_range"
            ),
            models.CheckConstraint(condition=Q(tolerance_amount__gte=0), name="rules_tolerance_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(partial_minimum_percent__gt=0, partial_minimum_percent__lte=100),
                name="rules_partial_minimum_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.portfolio)


class ArrangementLimits(models.Model):
    """What a collector may agree on their own in one portfolio; a missing row means defaults.

    Beyond any limit the arrangement is still made, but waits in the supervisors' approval
    queue. Supervisors and admins have no limits.
    """

    portfolio = models.OneToOneField(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="arrangement_limits"
    )
    min_share_of_balance_percent = models.DecimalField(
        _("minimum share of the balance (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("An agreement must cover at least this share of the balance it is about."),
    )
    max_days_to_first_payment = models.PositiveSmallIntegerField(_("maximum days to the first payment"), default=30)
    max_instalments = models.PositiveSmallIntegerField(_("maximum instalments"), default=12)
    max_discount_percent = models.DecimalField(
        _("maximum discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Share of the balance a collector may forgive without approval."),
    )

    class Meta:
        verbose_name = _("arrangement limits")
        verbose_name_plural = _("arrangement limits")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_share_of_balance_percent__gte=0, min_share_of_balance_percent__lte=100),
                name="limits_min_share_range",
            ),
            models.CheckConstraint(condition=Q(max_instalments__gte=1), name="limits_max_instalments_positive"),
            models.CheckConstraint(
                condition=Q(max_discount_percent__gte=0, max_discount_percent__lte=100),
                name="limits_max_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.portfolio)

"""Strategy: how one segment of a portfolio is treated.

Segments and the tests that compare two strategies are the scoring app's (they read scores);
the treatment lives here, beside the portfolio's promise rules it refines, so that the
follow-up scheduler and the queue, which sit below scoring, can follow it.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from debtors.models import MONEY


class Strategy(models.Model):
    class FirstChannel(models.TextChoices):
        CALL = "call", _("Call first")
        MESSAGE = "message", _("Message first, where the debtor consented")

    class FirstOffer(models.TextChoices):
        FULL = "full", _("Payment in full")
        DISCOUNT = "discount", _("A discount")
        INSTALMENTS = "instalments", _("Instalments")

    portfolio = models.ForeignKey(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="strategies"
    )
    name = models.CharField(_("name"), max_length=100)
    first_channel = models.CharField(
        _("first channel"),
        max_length=8,
        choices=FirstChannel.choices,
        default=FirstChannel.MESSAGE,
        help_text=_(
            "Before a promise falls due: a reminder message, or a call. After a promise is broken: a message "
            "first and the call later, or the call at once. A message goes only where the debtor consented."
        ),
    )
    call_after_message_hours = models.PositiveSmallIntegerField(
        _("call after the message (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text=_("Message first: how long after the message about a broken promise its call falls due."),
    )
    retry_after_minutes = models.PositiveIntegerField(
        _("retry after no contact (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: the portfolio's promise rules."),
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("reminder days before"),
        null=True,
        blank=True,
        help_text=_("Empty: the portfolio's promise rules. 0 sends no reminders."),
    )
    due_reminder_days_before = models.PositiveSmallIntegerField(
        _("due-date reminder: days before"),
        null=True,
        blank=True,
        help_text=_("Empty: the portfolio's promise rules. 0 sends none."),
    )
    due_reminder_on_the_day = models.BooleanField(
        _("due-date reminder: on the day"),
        null=True,
        blank=True,
        help_text=_("Empty: the portfolio's promise rules."),
    )
    due_reminder_days_after = models.PositiveSmallIntegerField(
        _("due-date reminder: days after"),
        null=True,
        blank=True,
        help_text=_("Empty: the portfolio's promise rules. 0 sends none."),
    )
    first_offer = models.CharField(_("first offer"), max_length=12, choices=FirstOffer.choices, default=FirstOffer.FULL)
    self_service_link = models.BooleanField(
        _("messages carry a link to the debtor's page"),
        default=False,
        db_default=False,
        help_text=_("Reminders and missed-payment notices end with a self-service link (the portfolio must offer it)."),
    )
    max_discount_percent = models.DecimalField(
        _("discount up to (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    max_instalments = models.PositiveSmallIntegerField(
        _("instalments up to"), default=1, validators=[MinValueValidator(1)]
    )
    queue_weight = models.DecimalField(
        _("queue weight"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Multiplies the expected recovery the queue ranks by: 2 puts these debtors twice as high."),
    )
    contact_cost = models.DecimalField(
        _("cost of a contact"),
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Taken off the expected recovery, in the portfolio's currency."),
        **MONEY,
    )

    class Meta:
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        ordering = ["portfolio", "name"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "name"], name="strategy_unique_name"),
            models.CheckConstraint(
                condition=Q(max_discount_percent__gte=0, max_discount_percent__lte=100),
                name="strategy_discount_range",
            ),
            models.CheckConstraint(condition=Q(max_instalments__gte=1), name="strategy_instalments_positive"),
            models.CheckConstraint(condition=Q(queue_weight__gt=0), name="strategy_queue_weight_positive"),
            models.CheckConstraint(condition=Q(contact_cost__gte=0), name="strategy_contact_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(call_after_message_hours__gte=1, call_after_message_hours__lte=168),
                name="strategy_call_after_message_range",
            ),
            models.CheckConstraint(
                condition=Q(retry_after_minutes__isnull=True) | Q(retry_after_minutes__gte=1),
                name="strategy_retry_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def offer(self) -> str:
        """The first offer, as the collector reads it on the debtor page."""
        if self.first_offer == self.FirstOffer.DISCOUNT:
            return gettext("A discount of up to %(percent)s %%") % {"percent": _plain(self.max_discount_percent)}
        if self.first_offer == self.FirstOffer.INSTALMENTS:
            return gettext("Up to %(count)s instalments") % {"count": self.max_instalments}
        return gettext("Payment in full")


def _plain(number: Decimal) -> str:
    """15.00 as "15", 12.50 as "12.5"."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text

"""Payments and how each was allocated to debts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from debtors.markets import CURRENCY_CHOICES
from debtors.models import MONEY
from promises.models.commitments import Promise


class Payment(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Recorded by hand")
        IMPORT = "import", _("Payment file")
        API = "api", _("API")
        PAYMENT_LINK = "payment_link", _("Online payment link")
        DEMO = "demo", _("Demo data")

    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="payments"
    )
    debt = models.ForeignKey(
        "debtors.Debt",
        verbose_name=_("debt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    # The collector credited at the time of payment (see Promise.collector).
    credited_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("credited to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="credited_payments",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    paid_at = models.DateTimeField(_("paid at"))
    reference = models.CharField(_("reference"), max_length=100)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            # The same bank reference recorded twice for a debtor is one payment, not two. Per
            # debtor, not across all debtors: otherwise a supervisor recording a payment would
            # learn from the refusal that a reference exists outside her scope. payment_record
            # still refuses a reference already on another debtor the recorder may see. The
            # index also serves look-ups by (source, reference).
            models.UniqueConstraint(
                fields=["source", "reference", "debtor"], name="payment_unique_reference_per_debtor_and_source"
            ),
            models.CheckConstraint(condition=~Q(reference=""), name="payment_reference_not_blank"),
        ]
        indexes = [
            models.Index(fields=["debtor", "-paid_at"], name="payment_debtor_paid_idx"),
            models.Index(fields=["credited_to", "paid_at"], name="payment_credited_paid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} · {self.paid_at:%Y-%m-%d} · {self.reference}"


class PaymentAllocation(models.Model):
    """The part of a payment that counts towards one promise."""

    # Indexed by the unique (payment, promise) and by allocation_promise_idx below.
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.CASCADE, related_name="allocations", db_index=False
    )
    promise = models.ForeignKey(
        Promise, verbose_name=_("promise"), on_delete=models.PROTECT, related_name="allocations", db_index=False
    )
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "promise"], name="allocation_unique_payment_promise"),
        ]
        indexes = [models.Index(fields=["promise"], name="allocation_promise_idx")]

    def __str__(self) -> str:
        return f"{self.amount} → {self.promise_id}"

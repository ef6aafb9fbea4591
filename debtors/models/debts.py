"""Debts, their aging buckets, their nightly snapshots and the balance changes files made."""

from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from debtors.markets import CURRENCY_CHOICES
from debtors.models.debtors import Debtor
from debtors.models.money import MONEY


class AgingBucket(models.TextChoices):
    CURRENT = "current", _("Current")
    D1_30 = "1-30", _("1–30 days")
    D31_60 = "31-60", _("31–60 days")
    D61_90 = "61-90", _("61–90 days")
    D91_180 = "91-180", _("91–180 days")
    D180_PLUS = "180+", _("Over 180 days")


def aging_bucket_for(days_past_due: int) -> str:
    """The trade's aging bucket (tramo de mora) for a number of days past due."""
    if days_past_due <= 0:
        return AgingBucket.CURRENT
    for upper, bucket in (
        (30, AgingBucket.D1_30),
        (60, AgingBucket.D31_60),
        (90, AgingBucket.D61_90),
        (180, AgingBucket.D91_180),
    ):
        if days_past_due <= upper:
            return bucket
    return AgingBucket.D180_PLUS


class Debt(models.Model):
    debtor = models.ForeignKey(
        Debtor,
        verbose_name=_("debtor"),
        on_delete=models.PROTECT,
        related_name="debts",
        db_index=False,  # the unique (debtor, account_reference) index starts with it
    )
    account_reference = models.CharField(_("account reference"), max_length=64)
    product = models.CharField(_("product"), max_length=100, blank=True)
    original_amount = models.DecimalField(_("original amount"), **MONEY)
    balance = models.DecimalField(_("balance"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    due_date = models.DateField(_("due date"))
    recalled_on = models.DateField(
        _("recalled on"), null=True, blank=True, help_text=_("The creditor took the account back.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # A 64-bit digest of the file row that last left this debt, its debtor and their phones as
    # they are, with the settings that read it (see debtors.importing.loading.RowHasher): a
    # re-import meeting the same row again counts it unchanged without reading it further.
    # Valid while the debt is not recalled and its debtor not written since the debt was
    # (updated_at); any other writer of the debt clears it (save(), payments).
    import_hash = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("debt")
        verbose_name_plural = _("debts")
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["debtor", "account_reference"], name="debt_unique_account_per_debtor"),
            models.CheckConstraint(condition=Q(original_amount__gt=0), name="debt_original_amount_positive"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="debt_balance_not_negative"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="debt_currency_iso4217"),
        ]
        indexes = [
            # The id last: a scoped list's page is then sorted from this index alone (its ids
            # first, then the page's rows), not from every row of the scope's debtors.
            models.Index(fields=["debtor", "due_date", "id"], name="debt_debtor_due_idx"),
            # The admin's debts list (API), oldest due first, 50 at a time over a million debts.
            models.Index(fields=["due_date", "id"], name="debt_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_reference} ({self.product})" if self.product else self.account_reference

    def save(self, *args, **kwargs):
        # Edited by hand (admin, API, tests): the next import applies its row again.
        self.import_hash = None
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "import_hash"}
        super().save(*args, **kwargs)

    def days_past_due(self, on: date) -> int:
        """Days in arrears on a given day; 0 for a debt not yet due or fully paid."""
        if self.balance <= Decimal("0") or on <= self.due_date:
            return 0
        return (on - self.due_date).days

    def aging_bucket(self, on: date) -> str:
        return aging_bucket_for(self.days_past_due(on))


class DebtSnapshot(models.Model):
    """A debt's arrears as they stood on a night, for roll rates between aging buckets."""

    debt = models.ForeignKey(Debt, verbose_name=_("debt"), on_delete=models.CASCADE, related_name="snapshots")
    taken_on = models.DateField(_("date"))
    days_past_due = models.PositiveIntegerField(_("days past due"))
    aging_bucket = models.CharField(_("aging bucket"), max_length=8, choices=AgingBucket.choices)
    balance = models.DecimalField(_("balance"), **MONEY)

    class Meta:
        verbose_name = _("debt snapshot")
        verbose_name_plural = _("debt snapshots")
        constraints = [
            models.UniqueConstraint(fields=["debt", "taken_on"], name="debt_snapshot_one_per_night"),
        ]
        indexes = [models.Index(fields=["taken_on", "aging_bucket"], name="debt_snapshot_day_bucket_idx")]

    def __str__(self) -> str:
        return f"{self.debt} · {self.taken_on} · {self.aging_bucket}"


class BalanceChange(models.Model):
    """A debt's balance as a creditor's file (or a kept settlement) changed it: the old balance
    stays visible."""

    class Source(models.TextChoices):
        IMPORT = "import", _("Portfolio file")
        SETTLEMENT = "settlement", _("Rest forgiven by a kept settlement")

    debt = models.ForeignKey(Debt, verbose_name=_("debt"), on_delete=models.CASCADE, related_name="balance_changes")
    old_balance = models.DecimalField(_("old balance"), **MONEY)
    new_balance = models.DecimalField(_("new balance"), **MONEY)
    at = models.DateTimeField(_("when"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.IMPORT)

    class Meta:
        verbose_name = _("balance change")
        verbose_name_plural = _("balance changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["debt", "at"], name="balance_change_debt_at_idx")]

    def __str__(self) -> str:
        return f"{self.debt}: {self.old_balance} → {self.new_balance}"

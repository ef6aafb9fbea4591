"""What the supervisor pages read and record: the dashboard rollups and reassignments
(computed and written by the supervision app)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from debtors.models import MONEY
from promises.models.commitments import PromiseStatus

# --- Dashboard rollups ----------------------------------------------------------------------
# The supervisor dashboard reads these, never the million-row tables: an aggregate joining
# promises to debtors costs seconds at scale, a read of these milliseconds.
# supervision.services.promise_rollups_refresh rebuilds the days touched since its last run,
# every minute from Celery beat; RollupState says how fresh they are.


class PromiseRollup(models.Model):
    """Promises counted per day × collector × portfolio × currency × status.

    Each promise is counted twice: once on the day it was made (kind "made", the day in
    the reporting zone) and once on its due date (kind "due"), so one table answers both
    "what was promised" and "what fell due and how it ended".
    """

    class Kind(models.TextChoices):
        MADE = "made", _("Made")
        DUE = "due", _("Due")

    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    day = models.DateField(_("day"))
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("collector"), on_delete=models.CASCADE, related_name="+"
    )
    portfolio = models.ForeignKey(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=16, choices=PromiseStatus.choices)
    count = models.PositiveIntegerField(_("promises"))
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("promise rollup")
        verbose_name_plural = _("promise rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "day", "collector", "portfolio", "currency", "status"],
                name="promise_rollup_unique_cell",
            ),
        ]
        # The unique index (kind, day, …) serves the dashboard's period scans.

    def __str__(self) -> str:
        return f"{self.kind} {self.day} {self.collector_id} {self.status}: {self.count}"


class PaymentRollup(models.Model):
    """Payments summed per day (reporting zone) × credited collector × portfolio × currency."""

    day = models.DateField(_("day"))
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("credited to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    portfolio = models.ForeignKey(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    currency = models.CharField(_("currency"), max_length=3)
    count = models.PositiveIntegerField(_("payments"))
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("payment rollup")
        verbose_name_plural = _("payment rollups")
        indexes = [models.Index(fields=["day"], name="payment_rollup_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.collector_id}: {self.amount} {self.currency}"


class CallRollup(models.Model):
    """Calls counted per day (reporting zone) × collector × portfolio: attempts and right-party contacts."""

    day = models.DateField(_("day"))
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("collector"), on_delete=models.CASCADE, related_name="+"
    )
    portfolio = models.ForeignKey(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    calls = models.PositiveIntegerField(_("calls"))
    right_party = models.PositiveIntegerField(_("right-party contacts"))

    class Meta:
        verbose_name = _("call rollup")
        verbose_name_plural = _("call rollups")
        indexes = [models.Index(fields=["day"], name="call_rollup_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.collector_id}: {self.calls}"


class BalanceRollup(models.Model):
    """Open debts counted and summed per due day × assigned collector × portfolio × currency.

    The health page ages them on the day it is read. Due dates that age alike until
    `RollupState.aged_on` + AGING_HORIZON_DAYS share one row (see
    promises.services.balance_rollups_refresh), so a few dozen days stand for a year of due dates.
    """

    day = models.DateField(_("due day"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned collector"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    portfolio = models.ForeignKey(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    currency = models.CharField(_("currency"), max_length=3)
    debts = models.PositiveIntegerField(_("debts"))
    balance = models.DecimalField(_("balance"), **MONEY)

    class Meta:
        verbose_name = _("balance rollup")
        verbose_name_plural = _("balance rollups")

    def __str__(self) -> str:
        return f"{self.day} {self.assigned_to_id}: {self.balance} {self.currency}"


class RollupState(models.Model):
    """How far the rollups have read: the last event and payment ids, and when (one row)."""

    name = models.CharField(_("name"), max_length=32, primary_key=True)
    last_event_id = models.BigIntegerField(_("last promise event read"), default=0)
    last_promise_id = models.BigIntegerField(_("last promise read"), default=0)
    last_payment_id = models.BigIntegerField(_("last payment read"), default=0)
    last_call_id = models.BigIntegerField(_("last call read"), default=0)
    refreshed_at = models.DateTimeField(_("figures as of"), null=True, blank=True)
    # A new random value on every run: pages cache what they read from the rollups under it.
    generation = models.CharField(_("generation"), max_length=32, blank=True)
    duration_ms = models.PositiveIntegerField(_("last refresh took (ms)"), default=0)
    days_refreshed = models.PositiveIntegerField(_("days refreshed last time"), default=0)
    # The balance rollups: the day their due dates were folded from (they stay exact for
    # AGING_HORIZON_DAYS after it).
    aged_on = models.DateField(_("balances aged on"), null=True, blank=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name} @ {self.refreshed_at}"


class Reassignment(models.Model):
    """One bulk move of debtors (and their open follow-ups) between collectors: who, when, how many."""

    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now)
    to_collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("to collector"), on_delete=models.PROTECT, related_name="+"
    )
    from_collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from collector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    debtor_count = models.PositiveIntegerField(_("debtors moved"))
    follow_up_count = models.PositiveIntegerField(_("follow-ups moved"))
    # The debtors moved, so a mistaken move can be traced and undone by hand.
    debtor_ids = models.JSONField(_("debtors"), default=list)
    criteria = models.CharField(_("selection"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("reassignment")
        verbose_name_plural = _("reassignments")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} · {self.debtor_count} → {self.to_collector}"

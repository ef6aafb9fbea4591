"""Promises, arrangements (instalments, settlements) and every status change of a promise."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from debtors.markets import CURRENCY_CHOICES
from debtors.models import MONEY


class ApprovalStatus(models.TextChoices):
    NOT_NEEDED = "", pgettext_lazy("approval status", "Not needed")
    PENDING = "pending", pgettext_lazy("approval status", "Waiting for approval")
    APPROVED = "approved", pgettext_lazy("approval status", "Approved")
    REJECTED = "rejected", pgettext_lazy("approval status", "Rejected")


class Arrangement(models.Model):
    """A payment arrangement (convenio): instalments or a discounted settlement.

    Each instalment is a Promise pointing here, so the promise rules judge every
    instalment on its own and dashboards count them like any other promise.
    """

    class Kind(models.TextChoices):
        INSTALMENTS = "instalments", _("Instalment plan")
        SETTLEMENT = "settlement", _("Settlement with discount")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("arrangement status", "Active")
        COMPLETED = "completed", pgettext_lazy("arrangement status", "Completed")
        BROKEN = "broken", pgettext_lazy("arrangement status", "Broken")
        CANCELLED = "cancelled", pgettext_lazy("arrangement status", "Cancelled")

    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="arrangements"
    )
    debt = models.ForeignKey(
        "debtors.Debt",
        verbose_name=_("debt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="arrangements",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    total_amount = models.DecimalField(_("total to pay"), **MONEY)
    discount_amount = models.DecimalField(_("discount"), default=Decimal("0"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Empty: made within the maker's limits, nobody needs to approve it. Its promises exist
    # (and are judged) from the start whatever this says; a rejection cancels them.
    approval_status = models.CharField(
        _("approval"), max_length=16, choices=ApprovalStatus.choices, blank=True, default=ApprovalStatus.NOT_NEEDED
    )
    # Which limits it went beyond, as {"code": …, "message": …} rows: what the supervisor weighs.
    approval_reasons = models.JSONField(_("beyond the limits"), default=list, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # never searched by decider
    )
    approved_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    rejection_reason = models.CharField(_("why rejected"), max_length=500, blank=True)
    # How the debtor accepted it when not on a logged call ({"how": "self_service", "at",
    # "zone", "address"}): the convenio says so.
    acceptance = models.JSONField(_("acceptance"), default=dict, db_default={}, blank=True)

    class Meta:
        verbose_name = _("arrangement")
        verbose_name_plural = _("arrangements")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gt=0), name="arrangement_total_positive"),
            models.CheckConstraint(condition=Q(discount_amount__gte=0), name="arrangement_discount_not_negative"),
            models.CheckConstraint(
                condition=Q(approval_status__in=ApprovalStatus.values), name="arrangement_approval_status_valid"
            ),
            # A decision names who took it and when; an undecided arrangement has neither.
            models.CheckConstraint(
                condition=Q(
                    approval_status__in=["approved", "rejected"], approved_by__isnull=False, approved_at__isnull=False
                )
                | (
                    ~Q(approval_status__in=["approved", "rejected"])
                    & Q(approved_by__isnull=True, approved_at__isnull=True)
                ),
                name="arrangement_decision_has_author_and_time",
            ),
            models.CheckConstraint(
                condition=Q(approval_status="rejected") & ~Q(rejection_reason="")
                | ~Q(approval_status="rejected") & Q(rejection_reason=""),
                name="arrangement_rejection_has_reason",
            ),
        ]
        indexes = [
            # The supervisors' approval queue, oldest first.
            models.Index(
                fields=["created_at"], condition=Q(approval_status="pending"), name="arrangement_approval_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.debtor}"


class PromiseStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("promise status", "Pending")
    KEPT = "kept", pgettext_lazy("promise status", "Kept")
    PARTIALLY_KEPT = "partially_kept", pgettext_lazy("promise status", "Partially kept")
    BROKEN = "broken", pgettext_lazy("promise status", "Broken")
    CANCELLED = "cancelled", pgettext_lazy("promise status", "Cancelled")


class Promise(models.Model):
    """A promise of payment (promesa de pago): an amount by a date."""

    Status = PromiseStatus

    debtor = models.ForeignKey(
        "debtors.Debtor",
        verbose_name=_("debtor"),
        on_delete=models.PROTECT,
        related_name="promises",
        db_index=False,  # (debtor, due_date) below serves it; every index slows the nightly UPDATE
    )
    debt = models.ForeignKey(
        "debtors.Debt",
        verbose_name=_("debt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promises",
    )
    call = models.ForeignKey(
        "calls.Call",
        verbose_name=_("call"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="promises",
        db_index=False,  # never searched by call; calls are not deleted
    )
    # The collector credited with the promise when it was made; stored here, not read
    # through the debtor, so dashboards and worklists need no join.
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        on_delete=models.PROTECT,
        related_name="promises",
        db_index=False,  # (collector, created_at) below serves it
    )
    arrangement = models.ForeignKey(
        Arrangement,
        verbose_name=_("arrangement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promises",
        db_index=False,  # promise_unique_instalment below serves it
    )
    instalment_number = models.PositiveSmallIntegerField(_("instalment"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        help_text=_("The cancelled promise this one renegotiates."),
        db_index=False,  # read from the new promise only
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    due_date = models.DateField(_("due date"))
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=0)
    # End of the last grace day in the debtor's zone: when an unpaid promise lapses.
    lapses_at = models.DateTimeField(_("lapses at"))
    # Fixed when the promise is made, from the portfolio's rules and any override: paid at
    # least `kept_threshold` by `lapses_at` is kept, at least `partial_threshold` partially kept.
    kept_threshold = models.DecimalField(_("counts as kept from"), **MONEY)
    partial_threshold = models.DecimalField(_("counts as partially kept from"), **MONEY)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("promise")
        verbose_name_plural = _("promises")
        ordering = ["-due_date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(
                condition=Q(partial_threshold__gt=0)
                & Q(partial_threshold__lte=models.F("kept_threshold"))
                & Q(kept_threshold__lte=models.F("amount")),
                name="promise_thresholds_ordered",
            ),
            models.CheckConstraint(condition=Q(status__in=PromiseStatus.values), name="promise_status_valid"),
            models.CheckConstraint(
                condition=Q(status="pending", resolved_at__isnull=True)
                | (~Q(status="pending") & Q(resolved_at__isnull=False)),
                name="promise_resolved_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(arrangement__isnull=True, instalment_number__isnull=True)
                | Q(arrangement__isnull=False, instalment_number__gte=1),
                name="promise_instalment_numbered_in_arrangement",
            ),
            # Partial: most promises stand alone, and every index a row is in costs the lapsing
            # job an insertion when it judges that row (a status change is never a HOT update).
            models.UniqueConstraint(
                fields=["arrangement", "instalment_number"],
                condition=Q(arrangement__isnull=False),
                name="promise_unique_instalment",
            ),
        ]
        indexes = [
            # The id last: a scoped list's page is then sorted from this index alone (its ids
            # first, then the page's rows), not from every row of the scope's debtors.
            models.Index(fields=["debtor", "-due_date", "-id"], name="promise_debtor_due_idx"),
            # The collector's worklist of pending promises.
            models.Index(
                fields=["collector", "due_date"], condition=Q(status="pending"), name="promise_pending_worklist_idx"
            ),
            models.Index(fields=["lapses_at"], condition=Q(status="pending"), name="promise_pending_lapses_idx"),
            # The API's pending promises for an admin, oldest due first 50 at a time: down the
            # due-date index they lie behind every resolved one (0.6–0.9 s at a million). With the
            # debtor last, a supervisor's pending promises are found from this index alone.
            models.Index(
                fields=["due_date", "id", "debtor"], condition=Q(status="pending"), name="promise_pending_due_idx"
            ),
            models.Index(fields=["collector", "created_at"], name="promise_collector_created_idx"),
            # The dashboard rollup recomputes single days, by due date and by day made.
            models.Index(fields=["due_date"], name="promise_due_date_idx"),
            models.Index(fields=["created_at"], name="promise_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} · {self.due_date} · {self.get_status_display()}"


class PromiseEvent(models.Model):
    """One status change of a promise: the timeline, dashboards and reminders read these."""

    class Cause(models.TextChoices):
        CREATED = "created", _("Promise made")
        PAYMENT = "payment", _("Payment received")
        JOB = "job", _("Scheduled check")
        USER = "user", _("Changed by a user")

    promise = models.ForeignKey(
        Promise,
        verbose_name=_("promise"),
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # (promise, at) below serves it
    )
    from_status = models.CharField(_("from"), max_length=16, choices=Promise.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Promise.Status.choices)
    at = models.DateTimeField(_("when"))
    cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # promise_event_by_idx below: the jobs' events have no author
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("promise event")
        verbose_name_plural = _("promise events")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")), name="promise_event_changes_status"
            ),
        ]
        indexes = [
            models.Index(fields=["promise", "at"], name="promise_event_promise_at_idx"),
            models.Index(fields=["by"], condition=Q(by__isnull=False), name="promise_event_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.promise_id}: {self.from_status or '∅'} → {self.to_status}"

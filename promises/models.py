from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from debtors.markets import CURRENCY_CHOICES
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


class Payment(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Recorded by hand")
        IMPORT = "import", _("Payment file")
        API = "api", _("API")
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


class Message(models.Model):
    """The outbox: a reminder or summary to send by SMS, WhatsApp or e-mail.

    A row is claimed (queued → sending) before the provider is called and marked sent
    after; `idempotency_key` is unique, so the same reminder is never queued twice, and
    the provider receives it too, so a retry after a crash is recognised, not resent.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("message status", "Queued")
        SENDING = "sending", pgettext_lazy("message status", "Sending")
        SENT = "sent", pgettext_lazy("message status", "Sent")
        FAILED = "failed", pgettext_lazy("message status", "Failed")
        BLOCKED = "blocked", pgettext_lazy("message status", "Blocked by the contact policy")

    class Purpose(models.TextChoices):
        REMINDER = "reminder", _("Reminder before a due date")
        SUMMARY = "summary", _("Agreement summary")

    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="messages"
    )
    promise = models.ForeignKey(
        Promise, verbose_name=_("promise"), on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    phone = models.ForeignKey(
        "debtors.Phone", verbose_name=_("phone"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    send_after = models.DateTimeField(_("send after"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider's id"), max_length=200, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="message_sent_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["send_after"], condition=Q(status__in=["queued", "sending"]), name="message_due_idx"),
            models.Index(fields=["debtor", "-created_at"], name="message_debtor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient} · {self.get_status_display()}"


# --- Dashboard rollups ----------------------------------------------------------------------
# The supervisor dashboard reads these, never the million-row tables: an aggregate joining
# promises to debtors costs seconds at scale, a read of these milliseconds.
# promises.services.promise_rollups_refresh rebuilds the days touched since its last run,
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

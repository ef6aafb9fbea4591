"""Follow-ups: work due for a collector at a moment, and every change made to one."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from calls.models.call import Call


class FollowUp(models.Model):
    """Work due for a collector at a moment: a callback, a retry, a broken promise…"""

    class Reason(models.TextChoices):
        BROKEN_PROMISE = "broken_promise", _("Broken promise")
        CALLBACK = "callback", _("Agreed callback")
        RETRY = "retry", _("Retry after no contact")
        REMINDER = "reminder", _("Reminder before a due date")
        COMMITMENT = "commitment", _("Follow-up of a commitment")
        MANUAL = "manual", _("Scheduled by hand")
        REPLY = "reply", _("Debtor replied")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("follow-up status", "Open")
        DONE = "done", pgettext_lazy("follow-up status", "Done")
        CANCELLED = "cancelled", pgettext_lazy("follow-up status", "Cancelled")

    debtor = models.ForeignKey(
        "debtors.Debtor",
        verbose_name=_("debtor"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
        db_index=False,  # the open-follow-up unique index (debtor, reason, subject_key) serves it
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        db_index=False,  # followup_open_queue_idx serves the queue; history is read by debtor
    )
    due_at = models.DateTimeField(_("due"))
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    # What the follow-up is about ("promise:42", "call:7"): with debtor and reason it
    # identifies the follow-up, so scheduling it twice is an insert that does nothing.
    subject_key = models.CharField(_("subject"), max_length=64)
    promise = models.ForeignKey(
        "promises.Promise",
        verbose_name=_("promise"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # never searched by author
    )
    created_by_job = models.CharField(_("created by job"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["debtor", "reason", "subject_key"],
                condition=Q(status="open"),
                name="followup_one_open_per_reason_and_subject",
            ),
            models.CheckConstraint(condition=~Q(subject_key=""), name="followup_subject_not_blank"),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="followup_closed_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "due_at"], condition=Q(status="open"), name="followup_open_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.debtor} · {self.due_at:%Y-%m-%d %H:%M}"


class FollowUpEvent(models.Model):
    """One change of a follow-up: settled by a call, marked done or moved by hand; who, when, why.

    Creation is not an event: the follow-up row itself says who or which job made it and
    when (a job inserts tens of thousands at a time).
    """

    class Kind(models.TextChoices):
        SETTLED_BY_CALL = "settled_by_call", _("Settled by a call")
        DONE = "done", _("Marked done")
        MOVED = "moved", _("Moved to another time")

    follow_up = models.ForeignKey(
        FollowUp, verbose_name=_("follow-up"), on_delete=models.CASCADE, related_name="events", db_index=False
    )
    # The debtor, stored so that a debtor's recent changes (and "was this debtor's follow-up
    # just settled?", for "next debtor") read one index.
    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    from_status = models.CharField(_("from status"), max_length=16, choices=FollowUp.Status.choices)
    to_status = models.CharField(_("to status"), max_length=16, choices=FollowUp.Status.choices)
    from_due_at = models.DateTimeField(_("was due"))
    to_due_at = models.DateTimeField(_("now due"), null=True, blank=True)
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Calls are evidence and never deleted; PROTECT keeps the settlement's proof.
    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    note = models.CharField(_("why"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("follow-up change")
        verbose_name_plural = _("follow-up changes")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["settled_by_call", "done", "moved"]), name="followupevent_kind_valid"
            ),
            # A change by hand says why; a settlement names its call; a move its new time.
            models.CheckConstraint(
                condition=Q(kind="settled_by_call") | ~Q(note=""), name="followupevent_by_hand_has_a_reason"
            ),
            models.CheckConstraint(
                condition=~Q(kind="settled_by_call") | Q(call__isnull=False), name="followupevent_settlement_has_a_call"
            ),
            models.CheckConstraint(
                condition=~Q(kind="moved") | Q(to_due_at__isnull=False, from_status="open", to_status="open"),
                name="followupevent_move_has_a_time",
            ),
            models.CheckConstraint(
                condition=Q(kind="moved") | Q(from_status="open", to_status="done"),
                name="followupevent_done_closes_an_open_one",
            ),
        ]
        indexes = [
            models.Index(fields=["debtor", "-at"], name="followupevent_debtor_at_idx"),
            models.Index(fields=["follow_up"], name="followupevent_follow_up_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.follow_up_id}: {self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"

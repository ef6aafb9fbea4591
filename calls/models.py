from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    VOICE = "voice", _("Phone call")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Visit")


class CallOutcome(models.TextChoices):
    RIGHT_PARTY = "right_party", _("Spoke with the debtor")
    THIRD_PARTY = "third_party", _("Spoke with a third party")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    VOICEMAIL = "voicemail", _("Voicemail")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    DISCONNECTED = "disconnected", _("Disconnected")


class Call(models.Model):
    """One collection contact attempt (a gestión) and what came of it."""

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("Outbound")
        INBOUND = "inbound", _("Inbound")

    Outcome = CallOutcome

    class Stance(models.TextChoices):
        NONE = "", _("Not recorded")
        OBJECTION = "objection", _("Objection")
        SITUATION = "situation", _("Hardship situation")

    class StanceReason(models.TextChoices):
        # Objections: excuses to negotiate.
        FORGOT = "forgot", _("Forgot to pay")
        NO_INVOICE = "no_invoice", _("Says no statement or invoice arrived")
        PAY_LATER = "pay_later", _("Will pay later, no date")
        DISAGREES_AMOUNT = "disagrees_amount", _("Disagrees with the amount")
        CLAIMS_PAID = "claims_paid", _("Says it is already paid")
        SERVICE_COMPLAINT = "service_complaint", _("Unhappy with the product or service")
        # Situations: real reasons that call for options.
        JOB_LOSS = "job_loss", _("Lost their job")
        ILLNESS = "illness", _("Illness or accident")
        BUSINESS_FAILURE = "business_failure", _("Business failed")
        BEREAVEMENT = "bereavement", _("Bereavement")
        REDUCED_INCOME = "reduced_income", _("Reduced income")
        OTHER = "other", _("Other")

    class Commitment(models.TextChoices):
        NONE_YET = "", _("Not applicable")
        PROMISE = "promise", _("Promise to pay")
        INSTALMENTS = "instalments", _("Instalment plan")
        CALLBACK = "callback", _("Call back at an agreed time")
        SEND_DOCUMENTS = "send_documents", _("We send documents or information")
        RECEIVE_DOCUMENTS = "receive_documents", _("Debtor sends documents or information")
        CONSULT = "consult", _("Debtor consults someone")
        OTHER = "other", _("Other commitment")
        NONE = "none", _("No commitment")

    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="calls"
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("collector"), on_delete=models.PROTECT, related_name="calls"
    )
    phone = models.ForeignKey(
        "debtors.Phone",
        verbose_name=_("phone"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.VOICE)
    direction = models.CharField(
        _("direction"), max_length=16, choices=Direction.choices, default=Direction.OUTBOUND
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    stance = models.CharField(_("debtor's stance"), max_length=16, choices=Stance.choices, blank=True)
    stance_reason = models.CharField(
        _("stance reason"), max_length=32, choices=StanceReason.choices, blank=True
    )
    commitment = models.CharField(_("commitment"), max_length=32, choices=Commitment.choices, blank=True)
    no_commitment_reason = models.CharField(_("why no commitment"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("logged"), auto_now_add=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=CallOutcome.values), name="call_outcome_valid"),
            # A stance is recorded with its reason, and only with a conversation.
            models.CheckConstraint(
                condition=Q(stance="", stance_reason="") | (~Q(stance="") & ~Q(stance_reason="")),
                name="call_stance_has_reason",
            ),
            # "No commitment" is a lost call and must say why.
            models.CheckConstraint(
                condition=~Q(commitment="none") | ~Q(no_commitment_reason=""),
                name="call_no_commitment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(duration__isnull=True) | Q(duration__gte=timedelta(0)),
                name="call_duration_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["debtor", "-started_at"], name="call_debtor_started_idx"),
            models.Index(fields=["collector", "-started_at"], name="call_collector_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.debtor} · {self.get_outcome_display()} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_right_party(self) -> bool:
        return self.outcome == self.Outcome.RIGHT_PARTY

    @property
    def connected(self) -> bool:
        return self.outcome in (self.Outcome.RIGHT_PARTY, self.Outcome.THIRD_PARTY)


class FollowUp(models.Model):
    """Work due for a collector at a moment: a callback, a retry, a broken promise…"""

    class Reason(models.TextChoices):
        BROKEN_PROMISE = "broken_promise", _("Broken promise")
        CALLBACK = "callback", _("Agreed callback")
        RETRY = "retry", _("Retry after no contact")
        REMINDER = "reminder", _("Reminder before a due date")
        MANUAL = "manual", _("Scheduled by hand")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
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
            models.Index(
                fields=["assigned_to", "due_at"], condition=Q(status="open"), name="followup_open_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.debtor} · {self.due_at:%Y-%m-%d %H:%M}"

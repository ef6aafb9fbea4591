"""The call: one collection contact attempt and what came of it, with the contact policy's
verdict as evidence; and the channels, outcomes and policy decisions it records."""

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
    LETTER = "letter", _("Letter")


class CallOutcome(models.TextChoices):
    RIGHT_PARTY = "right_party", _("Spoke with the debtor")
    THIRD_PARTY = "third_party", _("Spoke with a third party")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    VOICEMAIL = "voicemail", _("Voicemail")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    DISCONNECTED = "disconnected", _("Disconnected")
    MESSAGE_SENT = "message_sent", _("Message sent")
    MESSAGE_RECEIVED = "message_received", _("Message received")


# Outcomes the system records on its own (the outbox, the messaging webhooks), never a collector.
SYSTEM_OUTCOMES = frozenset({CallOutcome.MESSAGE_SENT, CallOutcome.MESSAGE_RECEIVED})


class PolicyDecision(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    WARNED = "warned", _("Allowed with warnings")
    OVERRIDDEN = "overridden", _("Blocked, overridden")


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

    # Which reasons belong to which stance: an objection is negotiated, a situation gets
    # options, so a reason filed under the wrong stance sends the collector the wrong way.
    # "Other" fits either stance.
    OBJECTION_REASONS = frozenset(
        {
            StanceReason.FORGOT,
            StanceReason.NO_INVOICE,
            StanceReason.PAY_LATER,
            StanceReason.DISAGREES_AMOUNT,
            StanceReason.CLAIMS_PAID,
            StanceReason.SERVICE_COMPLAINT,
            StanceReason.OTHER,
        }
    )
    SITUATION_REASONS = frozenset(
        {
            StanceReason.JOB_LOSS,
            StanceReason.ILLNESS,
            StanceReason.BUSINESS_FAILURE,
            StanceReason.BEREAVEMENT,
            StanceReason.REDUCED_INCOME,
            StanceReason.OTHER,
        }
    )
    REASONS_BY_STANCE = {Stance.OBJECTION: OBJECTION_REASONS, Stance.SITUATION: SITUATION_REASONS}

    class Commitment(models.TextChoices):
        NONE_YET = "", _("Not applicable")
        PROMISE = "promise", _("Promise to pay")
        INSTALMENTS = "instalments", _("Instalment plan")
        SETTLEMENT = "settlement", _("Settlement with discount")
        CALLBACK = "callback", _("Call back at an agreed time")
        SEND_DOCUMENTS = "send_documents", _("We send documents or information")
        RECEIVE_DOCUMENTS = "receive_documents", _("Debtor sends documents or information")
        CONSULT = "consult", _("Debtor consults someone")
        OTHER = "other", _("Other commitment")
        NONE = "none", _("No commitment")

    # Commitments followed up on a day the collector agrees with the debtor (`follow_up_on`).
    DATED_COMMITMENTS = frozenset(
        {Commitment.SEND_DOCUMENTS, Commitment.RECEIVE_DOCUMENTS, Commitment.CONSULT, Commitment.OTHER}
    )

    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="calls"
    )
    # Empty for a message the system sent on its own (a reminder).
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
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
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices, default=Direction.OUTBOUND)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    stance = models.CharField(_("debtor's stance"), max_length=16, choices=Stance.choices, blank=True)
    stance_reason = models.CharField(_("stance reason"), max_length=32, choices=StanceReason.choices, blank=True)
    commitment = models.CharField(_("commitment"), max_length=32, choices=Commitment.choices, blank=True)
    no_commitment_reason = models.CharField(_("why no commitment"), max_length=200, blank=True)
    callback_at = models.DateTimeField(
        _("call back at"), null=True, blank=True, help_text=_("The moment the debtor asked to be called again.")
    )
    # Documents, a consultation or another commitment are followed up on a day, not at a
    # time: the follow-up falls at the first lawful moment of that day (or after it).
    follow_up_on = models.DateField(
        _("follow up on"),
        null=True,
        blank=True,
        help_text=_("The day to call again about the commitment (the debtor's calendar)."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("logged"), auto_now_add=True)
    # Compliance evidence (US 12 CFR 1006.100 and peers): what the contact policy said when
    # the attempt was made. started_at is the UTC moment; local_time is the debtor's wall clock.
    debt = models.ForeignKey(
        "debtors.Debt",
        verbose_name=_("debt"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        help_text=_("The debt the attempt was about; empty means all of the debtor's debts."),
    )
    local_time = models.CharField(_("debtor's local time"), max_length=40, blank=True)
    local_time_zone = models.CharField(_("debtor's time zone"), max_length=64, blank=True)
    policy_code = models.CharField(_("contact policy"), max_length=16, blank=True)
    policy_version = models.PositiveIntegerField(_("contact policy version"), null=True, blank=True)
    policy_decision = models.CharField(_("policy decision"), max_length=16, choices=PolicyDecision.choices, blank=True)
    policy_verdict = models.JSONField(_("policy verdict"), null=True, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policy_overrides",
    )
    override_reason = models.TextField(_("override reason"), blank=True)
    # The dialer's own id for the call (VICIdial's call id, Asterisk's uniqueid): its disposition
    # and its recording find the call by it.
    dialer_call_id = models.CharField(_("dialer's call id"), max_length=64, blank=True, default="", db_default="")
    recording_url = models.URLField(_("recording at the dialer"), max_length=500, blank=True, default="", db_default="")

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
                condition=~Q(commitment="callback") | Q(callback_at__isnull=False),
                name="call_callback_has_a_time",
            ),
            # Every commitment is followed up: documents, a consultation, "other" on a day.
            models.CheckConstraint(
                condition=~Q(commitment__in=["send_documents", "receive_documents", "consult", "other"])
                | Q(follow_up_on__isnull=False),
                name="call_dated_commitment_has_a_day",
            ),
            models.CheckConstraint(
                condition=Q(duration__isnull=True) | Q(duration__gte=timedelta(0)),
                name="call_duration_not_negative",
            ),
            # An override names who took responsibility and why.
            models.CheckConstraint(
                condition=Q(override_by__isnull=True, override_reason="")
                | (Q(override_by__isnull=False) & ~Q(override_reason="")),
                name="call_override_has_author_and_reason",
            ),
        ]
        indexes = [
            # The id last: a scoped list's page is then sorted from this index alone (its ids
            # first, then the page's rows), not from every row of the scope's debtors.
            models.Index(fields=["debtor", "-started_at", "-id"], name="call_debtor_started_idx"),
            models.Index(fields=["collector", "-started_at"], name="call_collector_started_idx"),
            models.Index(fields=["-started_at"], condition=Q(override_by__isnull=False), name="call_overrides_idx"),
            models.Index(fields=["dialer_call_id"], condition=~Q(dialer_call_id=""), name="call_dialer_call_id_idx"),
            # Call review and the calls API, newest first 50 at a time, for an admin (every call)
            # or a supervisor (their teams'): without it each page sorted every call (3.5 s at a
            # million).
            models.Index(fields=["-started_at", "-id"], name="call_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.debtor} · {self.get_outcome_display()} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_right_party(self) -> bool:
        return self.outcome == self.Outcome.RIGHT_PARTY

    @property
    def connected(self) -> bool:
        return self.outcome in (self.Outcome.RIGHT_PARTY, self.Outcome.THIRD_PARTY)

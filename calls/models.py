from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
    MESSAGE_SENT = "message_sent", _("Message sent")


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


class FollowUp(models.Model):
    """Work due for a collector at a moment: a callback, a retry, a broken promise…"""

    class Reason(models.TextChoices):
        BROKEN_PROMISE = "broken_promise", _("Broken promise")
        CALLBACK = "callback", _("Agreed callback")
        RETRY = "retry", _("Retry after no contact")
        REMINDER = "reminder", _("Reminder before a due date")
        COMMITMENT = "commitment", _("Follow-up of a commitment")
        MANUAL = "manual", _("Scheduled by hand")

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


# --- Contact policy -------------------------------------------------------------------------
# Laws as data: a preset (us_regf, pe, cl…) is a versioned ContactPolicy with ContactRule rows;
# the engine in calls/policy/ compiles them. See docs in /work/shared/domain/contact-rules.md.


class Confidence(models.TextChoices):
    HIGH = "H", _("High: primary text or regulator")
    MEDIUM = "M", _("Medium: consistent secondary sources")
    LOW = "L", _("Low: weak source, verify with counsel")


class ContactPolicy(models.Model):
    """One version of a contact-policy preset or overlay; the engine uses the newest active version."""

    class Kind(models.TextChoices):
        PRESET = "preset", _("Preset (a portfolio picks one)")
        OVERLAY = "overlay", _("Overlay (tightens a preset)")

    code = models.SlugField(_("code"), max_length=16)
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PRESET)
    name = models.CharField(_("name"), max_length=200)
    citation = models.CharField(_("main citation"), max_length=500, blank=True)
    confidence = models.CharField(_("confidence"), max_length=1, choices=Confidence.choices, default=Confidence.MEDIUM)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact policy")
        verbose_name_plural = _("contact policies")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="contactpolicy_unique_code_version"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class PortfolioContactSettings(models.Model):
    """How one portfolio tightens its preset: overlays, a holiday region, its own rules."""

    portfolio = models.OneToOneField(
        "debtors.Portfolio",
        verbose_name=_("portfolio"),
        on_delete=models.CASCADE,
        related_name="contact_settings",
    )
    overlay_codes = models.CharField(
        _("overlays"), max_length=200, blank=True, help_text=_("Overlay codes separated by commas, e.g. us_ma.")
    )
    holiday_subdivision = models.CharField(
        _("holiday region"),
        max_length=8,
        blank=True,
        help_text=_("Region code for public holidays (e.g. MD for Madrid); empty for national holidays only."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("portfolio contact settings")
        verbose_name_plural = _("portfolio contact settings")

    def __str__(self) -> str:
        return str(self.portfolio)

    @property
    def overlays(self) -> list[str]:
        return [code.strip() for code in self.overlay_codes.split(",") if code.strip()]


class ContactRule(models.Model):
    """One rule of a policy (or of a portfolio's own tightening), with its legal source."""

    class Kind(models.TextChoices):
        WINDOW = "window", _("Allowed days and hours")
        HOLIDAYS = "holidays", _("No contact on public holidays")
        CAP = "cap", _("Attempt cap")
        QUIET_AFTER_CONVERSATION = "quiet_after_conversation", _("Quiet period after a conversation")
        MIN_GAP = "min_gap", _("Minimum days between attempts")
        SINGLE_CHANNEL_PER_WEEK = "single_channel_per_week", _("One channel per week after a direct contact")
        THIRD_PARTY = "third_party", _("Third-party numbers")
        AUTHORISED_CHANNELS = "authorised_channels", _("Only channels the debtor authorised")

    class Mode(models.TextChoices):
        BLOCK = "block", _("Block")
        WARN = "warn", _("Warn")

    policy = models.ForeignKey(
        ContactPolicy,
        verbose_name=_("policy"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rules",
    )
    portfolio_settings = models.ForeignKey(
        PortfolioContactSettings,
        verbose_name=_("portfolio settings"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rules",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    channels = models.JSONField(
        _("channels"), default=list, blank=True, help_text=_("Channels the rule applies to and counts; empty for all.")
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.BLOCK)
    citation = models.CharField(_("citation"), max_length=500, blank=True)
    confidence = models.CharField(_("confidence"), max_length=1, choices=Confidence.choices, default=Confidence.MEDIUM)

    class Meta:
        verbose_name = _("contact rule")
        verbose_name_plural = _("contact rules")
        ordering = ["policy", "portfolio_settings", "pk"]
        constraints = [
            # A rule belongs to a policy or to one portfolio's tightening, never both.
            models.CheckConstraint(
                condition=Q(policy__isnull=False, portfolio_settings__isnull=True)
                | Q(policy__isnull=True, portfolio_settings__isnull=False),
                name="contactrule_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_mode_display()})"

    def clean(self) -> None:
        from calls.policy import validate_rule

        validate_rule(kind=self.kind, channels=self.channels, params=self.params)


class DebtorChannelAuthorisation(models.Model):
    """A channel the debtor expressly authorised for collection (Colombia, Law 2300 of 2023)."""

    debtor = models.ForeignKey(
        "debtors.Debtor",
        verbose_name=_("debtor"),
        on_delete=models.CASCADE,
        related_name="channel_authorisations",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    source = models.CharField(_("source"), max_length=200, help_text=_("Where the authorisation was given."))
    authorised_at = models.DateTimeField(_("authorised"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("channel authorisation")
        verbose_name_plural = _("channel authorisations")
        ordering = ["debtor", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["debtor", "channel"],
                condition=Q(revoked_at__isnull=True),
                name="channelauth_one_live_per_channel",
            ),
            models.CheckConstraint(condition=~Q(source=""), name="channelauth_source_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.debtor} · {self.get_channel_display()}"


class PolicyOverride(Call):
    """Attempts made despite a blocking verdict, by a supervisor or admin (an admin list)."""

    class Meta:
        proxy = True
        verbose_name = _("contact-policy override")
        verbose_name_plural = _("contact-policy overrides")


def _forget_compiled_policies(**kwargs) -> None:
    # Cache hygiene, not business logic: a saved rule or portfolio must not be judged by a stale copy.
    from calls.policy import policy_cache_clear

    policy_cache_clear()


for _sender in (ContactPolicy, ContactRule, PortfolioContactSettings, "debtors.Portfolio"):
    models.signals.post_save.connect(_forget_compiled_policies, sender=_sender, dispatch_uid=f"policy-cache-{_sender}")
    models.signals.post_delete.connect(
        _forget_compiled_policies, sender=_sender, dispatch_uid=f"policy-cache-del-{_sender}"
    )


# --- Call review: recordings and QA scorecards ------------------------------------------------


def recording_upload_to(instance, filename: str) -> str:
    # A name the uploader does not choose: no path tricks, no collisions, no debtor names.
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:8]
    return f"recordings/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class CallRecording(models.Model):
    """The audio of a call, kept in Django's default storage (local disk or S3-compatible)."""

    call = models.OneToOneField(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="recording")
    file = models.FileField(_("audio file"), upload_to=recording_upload_to, max_length=200)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("call recording")
        verbose_name_plural = _("call recordings")
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="recording_not_empty")]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.original_name or self.file.name}"


class CallRecordingVersion(models.Model):
    """A recording that was replaced: its file stays in storage, with who replaced it, when and
    why. A scorecard may have been filled from it, so a replacement never erases what was heard."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="recording_versions")
    file = models.FileField(_("audio file"), upload_to=recording_upload_to, max_length=200)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    uploaded_at = models.DateTimeField(_("uploaded"))
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replaced by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    replaced_at = models.DateTimeField(_("replaced"), default=timezone.now)
    reason = models.CharField(_("reason for replacing"), max_length=500)

    class Meta:
        verbose_name = _("replaced call recording")
        verbose_name_plural = _("replaced call recordings")
        ordering = ["-replaced_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="recording_version_not_empty"),
            # Who replaced a recording must say why (the review page asks; the admin cannot skip it).
            models.CheckConstraint(condition=~Q(reason=""), name="recording_version_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.original_name or self.file.name} ({self.replaced_at:%Y-%m-%d %H:%M})"


class CallReview(models.Model):
    """A supervisor's QA scorecard for one call, on the steps of the call method (README, "Supervisor dashboards and call review")."""

    # The scorecard's questions, in the order of the call: (field name, label).
    CRITERIA = (
        ("identified", _("Identified themselves and the creditor, and confirmed the right party")),
        ("kept_control", _("Kept control and brought the conversation back to the debt")),
        ("told_objection_from_situation", _("Told an objection from a situation")),
        ("offered_options", _("Offered options both sides can live with")),
        ("obtained_commitment", _("Obtained a commitment")),
        ("read_back", _("Read the agreement back (amount, date, channel, next step)")),
        ("respectful", _("Stayed respectful, no pressure or threats")),
    )

    call = models.OneToOneField(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="review")
    # The collector the call belongs to, stored so "my scores" and the dashboard need no join.
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("collector"), on_delete=models.PROTECT, related_name="call_reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    identified = models.BooleanField(CRITERIA[0][1], default=False)
    kept_control = models.BooleanField(CRITERIA[1][1], default=False)
    told_objection_from_situation = models.BooleanField(CRITERIA[2][1], default=False)
    offered_options = models.BooleanField(CRITERIA[3][1], default=False)
    obtained_commitment = models.BooleanField(CRITERIA[4][1], default=False)
    read_back = models.BooleanField(CRITERIA[5][1], default=False)
    respectful = models.BooleanField(CRITERIA[6][1], default=False)
    # Share of the criteria met, 0–100; stored so averages are one SQL aggregate.
    score = models.PositiveSmallIntegerField(_("score"))
    comments = models.TextField(_("comments"), blank=True)
    call_started_at = models.DateTimeField(_("call started"))
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)

    class Meta:
        verbose_name = _("call review")
        verbose_name_plural = _("call reviews")
        ordering = ["-reviewed_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(score__lte=100), name="review_score_at_most_100")]
        indexes = [models.Index(fields=["collector", "call_started_at"], name="review_collector_started_idx")]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.score}"

    @classmethod
    def score_for(cls, answers: dict) -> int:
        met = sum(1 for name, _label in cls.CRITERIA if answers.get(name))
        return round(100 * met / len(cls.CRITERIA))

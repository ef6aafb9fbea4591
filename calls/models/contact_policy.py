"""Contact policy: laws as data.

A preset (us_regf, pe, cl…) is a versioned ContactPolicy with ContactRule rows; the engine in
calls/policy/ compiles them. See docs in /work/shared/domain/contact-rules.md. A saved policy,
rule or portfolio drops the engine's compiled copies.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from calls.models.call import Call, Channel


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
    demote_number_after = models.PositiveSmallIntegerField(
        _("demote a number after"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_(
            "Failed attempts of one kind (wrong number, disconnected) since the number last reached someone "
            "before it is marked so and no longer dialled. 2 or more forgives a slip of the hand."
        ),
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

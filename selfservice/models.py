"""The debtor's own pages: the signed links that open them, what each portfolio lets a debtor
agree alone, every request made through them, and the payment links they hand out."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from debtors.markets import CURRENCY_CHOICES
from debtors.models import MONEY


class SelfServiceLimits(models.Model):
    """What a debtor may agree on the self-service page, per portfolio; beyond it, a person."""

    portfolio = models.OneToOneField(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="self_service_limits"
    )
    enabled = models.BooleanField(_("debtors may act on their own"), default=True)
    link_days = models.PositiveSmallIntegerField(
        _("days a link stays valid"), default=7, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    max_days_to_promise = models.PositiveSmallIntegerField(
        _("latest promised date, in days"), default=15, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    max_instalments = models.PositiveSmallIntegerField(
        _("most instalments in a plan"),
        default=3,
        validators=[MaxValueValidator(24)],
        help_text=_("0 or 1: no plans on the page."),
    )
    max_days_to_first_instalment = models.PositiveSmallIntegerField(
        _("latest first instalment, in days"), default=15, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    settlement_discount_percent = models.DecimalField(
        _("settlement discount offered (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("90"))],
        help_text=_("0: no settlement on the page."),
    )
    max_days_to_settle = models.PositiveSmallIntegerField(
        _("latest settlement payment, in days"), default=10, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    link_in_summary = models.BooleanField(
        _("closing summaries carry a link to the debtor's page"), default=False, db_default=False
    )

    class Meta:
        verbose_name = _("self-service limits")
        verbose_name_plural = _("self-service limits")
        constraints = [
            models.CheckConstraint(
                condition=Q(settlement_discount_percent__gte=0, settlement_discount_percent__lte=90),
                name="self_service_discount_in_range",
            ),
            models.CheckConstraint(condition=Q(link_days__gte=1, link_days__lte=30), name="self_service_link_days"),
        ]

    def __str__(self) -> str:
        return str(self.portfolio)

    @property
    def link_duration(self):
        return timedelta(days=self.link_days)


class SelfServiceLink(models.Model):
    """A link to the self-service page for one debtor: signed, expiring, revocable, and locked
    after too many wrong answers to the identity question."""

    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="self_service_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    # A link sent for one document opens on it (the debtor still confirms identity first).
    document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("document"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    failed_attempts = models.PositiveSmallIntegerField(_("wrong answers"), default=0)
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("self-service link")
        verbose_name_plural = _("self-service links")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="self_service_link_expires_later"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False), name="self_service_link_revoked_by"
            ),
        ]
        indexes = [models.Index(fields=["debtor", "-created_at"], name="self_service_link_debtor_idx")]

    def __str__(self) -> str:
        return f"{self.debtor} · {self.created_at:%Y-%m-%d}"

    def state(self, now=None) -> str:
        """usable, expired, revoked or locked."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.locked_at is not None:
            return "locked"
        if self.expires_at <= now:
            return "expired"
        return "usable"


class SelfServiceEvent(models.Model):
    """Every request made through a link, and what it did: the debtor's page's own log."""

    class Kind(models.TextChoices):
        LINK_SENT = "link_sent", _("Link sent")
        LINK_REVOKED = "link_revoked", _("Link revoked")
        OPENED = "opened", _("Page opened")
        REFUSED = "refused", _("Link refused (expired, revoked, locked or altered)")
        IDENTITY_FAILED = "identity_failed", _("Wrong identity answer")
        LOCKED = "locked", _("Link locked after wrong answers")
        IDENTITY_CONFIRMED = "identity_confirmed", _("Identity confirmed")
        RATE_LIMITED = "rate_limited", _("Too many requests")
        VIEWED = "viewed", _("Account viewed")
        PROMISE_MADE = "promise_made", _("Promise made")
        PLAN_ACCEPTED = "plan_accepted", _("Instalment plan accepted")
        SETTLEMENT_ACCEPTED = "settlement_accepted", _("Settlement accepted")
        ACTION_REFUSED = "action_refused", _("Request refused")
        DOCUMENT_DOWNLOADED = "document_downloaded", _("Document downloaded")
        CALLBACK_REQUESTED = "callback_requested", _("Call requested")
        PAYMENT_STARTED = "payment_started", _("Online payment started")
        PAYMENT_RECEIVED = "payment_received", _("Online payment received")
        SIGNED_OUT = "signed_out", _("Signed out")

    link = models.ForeignKey(
        SelfServiceLink, verbose_name=_("link"), on_delete=models.CASCADE, related_name="events", null=True, blank=True
    )
    # Empty for a link that could not be read (altered or unknown): whose it was is not known.
    debtor = models.ForeignKey(
        "debtors.Debtor",
        verbose_name=_("debtor"),
        on_delete=models.PROTECT,
        related_name="self_service_events",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("what"), max_length=24, choices=Kind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    path = models.CharField(_("page"), max_length=200, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("self-service event")
        verbose_name_plural = _("self-service events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["debtor", "-at"], name="self_service_event_debtor_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"


class PaymentLink(models.Model):
    """A payment page at the provider for one amount (an instalment, a promise); its webhook
    records the payment once."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("payment link status", "Open")
        PAID = "paid", pgettext_lazy("payment link status", "Paid")
        EXPIRED = "expired", pgettext_lazy("payment link status", "Expired")

    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="payment_links"
    )
    promise = models.ForeignKey(
        "promises.Promise",
        verbose_name=_("promise"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payment_links",
    )
    link = models.ForeignKey(
        SelfServiceLink,
        verbose_name=_("self-service link"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payment_links",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    provider = models.CharField(_("provider"), max_length=16)
    provider_id = models.CharField(_("provider's id"), max_length=200, blank=True)
    url = models.URLField(_("payment page"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    payment = models.ForeignKey(
        "promises.Payment", verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_link_amount_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_id"], condition=~Q(provider_id=""), name="payment_link_provider_id_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False, payment__isnull=False),
                name="payment_link_paid_has_payment",
            ),
        ]
        indexes = [models.Index(fields=["debtor", "-created_at"], name="payment_link_debtor_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_id or self.pk}"

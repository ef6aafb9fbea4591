"""The letterhead each creditor's letters carry, and every document issued to a debtor."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Letterhead(models.Model):
    """What a creditor's letters say about it: names, tax id, address, logo, legal text."""

    creditor = models.OneToOneField(
        "debtors.Creditor", verbose_name=_("creditor"), on_delete=models.CASCADE, related_name="letterhead"
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    tax_id = models.CharField(
        _("tax id"), max_length=40, help_text=_("As printed: e.g. RUC 20100047218, RFC, NIT, CIF.")
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    place = models.CharField(_("city where letters are signed"), max_length=100, blank=True)
    agency_name = models.CharField(
        _("collection agency"),
        max_length=200,
        blank=True,
        help_text=_("Who collects on the creditor's behalf, if not itself."),
    )
    logo = models.ImageField(_("logo"), upload_to="letterheads/", blank=True)
    legal_text_es = models.TextField(_("legal text (Spanish)"), blank=True)
    legal_text_en = models.TextField(_("legal text (English)"), blank=True)

    class Meta:
        verbose_name = _("letterhead")
        verbose_name_plural = _("letterheads")

    def __str__(self) -> str:
        return self.legal_name

    def legal_text(self, language: str) -> str:
        return self.legal_text_en if language == "en" else self.legal_text_es


class DocumentKind(models.TextChoices):
    AGREEMENT = "agreement", _("Payment agreement")
    STATEMENT = "statement", _("Statement of account")
    PAID_IN_FULL = "paid_in_full", _("Paid-in-full letter")
    SETTLEMENT_SATISFIED = "settlement_satisfied", _("Settlement-satisfied letter")


class Document(models.Model):
    """A letter issued to a debtor. `facts` is what it says, taken when it was issued, so the PDF
    never changes with later records; the PDF is rendered once, stored, and its SHA-256 kept."""

    Kind = DocumentKind

    class Source(models.TextChoices):
        AUTOMATIC = "automatic", _("Issued on its own")
        DESK = "desk", _("Desk")
        API = "api", _("API")
        SELF_SERVICE = "self_service", _("Self-service page")

    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=DocumentKind.choices)
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    language = models.CharField(_("language"), max_length=8)
    arrangement = models.ForeignKey(
        "promises.Arrangement",
        verbose_name=_("arrangement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    debt = models.ForeignKey(
        "debtors.Debt",
        verbose_name=_("debt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    facts = models.JSONField(_("what it says"))
    pdf = models.FileField(_("PDF"), upload_to="documents/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), null=True, blank=True)
    rendered_at = models.DateTimeField(_("rendered"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One convenio per arrangement, one settlement letter per settlement, one
            # paid-in-full letter per debt: a second event never issues a second letter.
            models.UniqueConstraint(
                fields=["arrangement"], condition=Q(kind="agreement"), name="document_one_agreement_per_arrangement"
            ),
            models.UniqueConstraint(
                fields=["arrangement"],
                condition=Q(kind="settlement_satisfied"),
                name="document_one_settlement_letter_per_arrangement",
            ),
            models.UniqueConstraint(
                fields=["debt"], condition=Q(kind="paid_in_full"), name="document_one_paid_letter_per_debt"
            ),
            models.CheckConstraint(
                condition=Q(sha256="") | Q(rendered_at__isnull=False), name="document_digest_after_rendering"
            ),
        ]
        indexes = [models.Index(fields=["debtor", "-created_at"], name="document_debtor_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def file_name(self) -> str:
        return f"{self.reference}.pdf"

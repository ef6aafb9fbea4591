"""Creditors and their portfolios (carteras), with each portfolio's stored figures."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from collections_crm.lib.timezones import validate_time_zone
from debtors.markets import CONTACT_POLICY_PRESET_CHOICES, COUNTRY_CHOICES, CURRENCY_CHOICES
from debtors.models.money import MONEY


class Creditor(models.Model):
    """The company whose debts a portfolio holds; import mappings are saved per creditor."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("creditor")
        verbose_name_plural = _("creditors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Portfolio(models.Model):
    """A cartera: a batch of debts one creditor placed for collection."""

    name = models.CharField(_("name"), max_length=200)
    creditor = models.ForeignKey(
        Creditor, verbose_name=_("creditor"), on_delete=models.PROTECT, related_name="portfolios"
    )
    country = models.CharField(_("country"), max_length=2, choices=COUNTRY_CHOICES)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    default_time_zone = models.CharField(_("default time zone"), max_length=64, validators=[validate_time_zone])
    contact_policy_preset = models.CharField(_("contact policy"), max_length=16, choices=CONTACT_POLICY_PRESET_CHOICES)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("portfolio")
        verbose_name_plural = _("portfolios")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "name"], name="portfolio_unique_name_per_creditor"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="portfolio_country_iso2"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="portfolio_currency_iso4217"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.creditor})"


class PortfolioFigures(models.Model):
    """A portfolio's size, unassigned debtors and open balance as last counted (the admin's home).

    Counting them reads an index entry per debtor (half a second at a million), so a job stores
    them (debtors.services.portfolio_figures_refresh) and the page says when they were counted.
    """

    portfolio = models.OneToOneField(
        Portfolio, verbose_name=_("portfolio"), on_delete=models.CASCADE, primary_key=True, related_name="figures"
    )
    debtors = models.PositiveIntegerField(_("debtors"))
    unassigned = models.PositiveIntegerField(_("unassigned"))
    open_balance = models.DecimalField(_("open balance"), **MONEY)
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("portfolio figures")
        verbose_name_plural = _("portfolio figures")
        constraints = [
            models.CheckConstraint(
                condition=Q(unassigned__lte=models.F("debtors")), name="portfolio_figures_unassigned_within"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio_id}: {self.debtors} @ {self.counted_at}"

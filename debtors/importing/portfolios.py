"""The portfolio a file is loaded into: found, or made with its country's defaults and saved
by the import with its first rows (so an import that loads nothing leaves no empty portfolio).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from debtors.importing.undo import UndoLog
from debtors.markets import COUNTRY_DEFAULTS
from debtors.models import Creditor, Portfolio


def portfolio_get_or_create(
    *, portfolio: str, creditor: str, country: str, currency: str | None = None, save: bool = True
) -> Portfolio:
    """The creditor's portfolio by name, created with the country's defaults when new.

    With `save=False` a new portfolio (and a new creditor) is returned unsaved: give it to
    portfolio_import, which saves it with the first rows it writes."""
    country = country.upper()
    defaults = COUNTRY_DEFAULTS.get(country)
    if defaults is None:
        raise ValidationError(
            _("There are no defaults for the country “%(country)s”. Known: %(known)s.")
            % {"country": country, "known": ", ".join(COUNTRY_DEFAULTS)}
        )
    creditor_obj = Creditor.objects.filter(name=creditor.strip()).first() or Creditor(name=creditor.strip())
    portfolio_obj = None
    if creditor_obj.pk is not None:
        portfolio_obj = Portfolio.objects.filter(creditor=creditor_obj, name=portfolio.strip()).first()
    if portfolio_obj is None:
        portfolio_obj = Portfolio(
            creditor=creditor_obj,
            name=portfolio.strip(),
            country=country,
            currency=(currency or defaults["currency"]).upper(),
            default_time_zone=defaults["time_zone"],
            contact_policy_preset=defaults["preset"],
        )
        if save:
            _portfolio_save(portfolio_obj)
    return portfolio_obj


def _portfolio_save(portfolio: Portfolio, undo: UndoLog | None = None) -> None:
    """Save a new portfolio (and its new creditor); `undo` records them as the import's."""
    creditor = portfolio.creditor
    if creditor.pk is None:
        creditor, created = Creditor.objects.get_or_create(name=creditor.name)
        portfolio.creditor = creditor
        if created and undo is not None:
            undo.created("creditor", creditor.pk)
    stored, created = Portfolio.objects.get_or_create(
        creditor=creditor,
        name=portfolio.name,
        defaults={
            "country": portfolio.country,
            "currency": portfolio.currency,
            "default_time_zone": portfolio.default_time_zone,
            "contact_policy_preset": portfolio.contact_policy_preset,
        },
    )
    portfolio.pk = stored.pk
    portfolio._state.adding = False
    if created and undo is not None:
        undo.created("portfolio", stored.pk)

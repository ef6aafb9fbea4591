"""Score one portfolio's debtors now (or every portfolio), as the nightly job does."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from debtors.models import Portfolio
from scoring import services
from scoring.reasons import method_text


class Command(BaseCommand):
    help = _("Trains (when the history allows) and scores the debtors of a portfolio, or of every portfolio.")

    def add_arguments(self, parser):
        parser.add_argument("--portfolio", help=_("Portfolio id or name; every portfolio when left out."))

    def handle(self, *args, **options):
        if options["portfolio"]:
            portfolios = [find_portfolio(options["portfolio"])]
        else:
            portfolios = list(Portfolio.objects.order_by("pk"))
        for portfolio in portfolios:
            result = services.portfolio_score(portfolio=portfolio)
            self.stdout.write(
                _("%(portfolio)s: %(scored)s debtors scored by %(method)s in %(seconds).1f s")
                % {
                    "portfolio": portfolio.name,
                    "scored": result.scored,
                    "method": method_text(result.method),
                    "seconds": result.seconds,
                }
            )


def find_portfolio(text: str) -> Portfolio:
    found = Portfolio.objects.filter(pk=int(text)) if text.isdigit() else Portfolio.objects.filter(name=text)
    portfolios = list(found[:2])
    if len(portfolios) != 1:
        raise CommandError(
            _("No portfolio “%(portfolio)s”.") % {"portfolio": text}
            if not portfolios
            else _("Several portfolios are called “%(portfolio)s”: give its id.") % {"portfolio": text}
        )
    return portfolios[0]

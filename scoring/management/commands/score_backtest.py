"""How well the payment score would have done: trained on what was known at a past day, tested
on the 30 days after it."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from scoring import services
from scoring.management.commands.score_debtors import find_portfolio
from scoring.reasons import method_text


class Command(BaseCommand):
    help = _(
        "Trains the payment score on what was known at a date and reports its AUC and calibration on the 30 days after."
    )

    def add_arguments(self, parser):
        parser.add_argument("--portfolio", required=True, help=_("Portfolio id or name."))
        parser.add_argument("--as-of", required=True, help=_("The day to score at (YYYY-MM-DD), at least 30 days ago."))

    def handle(self, *args, **options):
        portfolio = find_portfolio(options["portfolio"])
        try:
            day = datetime.date.fromisoformat(options["as_of"])
        except ValueError:
            raise CommandError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": options["as_of"]}) from None
        as_of = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
        if as_of + services.WINDOW > timezone.now():
            raise CommandError(
                _("The 30 days after %(day)s are not over yet: choose a day before %(latest)s.")
                % {"day": day.isoformat(), "latest": (timezone.now() - services.WINDOW).date().isoformat()}
            )
        report = services.score_backtest(portfolio=portfolio, as_of=as_of)
        write = self.stdout.write
        write(
            _("Portfolio: %(portfolio)s; scored at %(day)s by %(method)s.")
            % {"portfolio": portfolio.name, "day": day.isoformat(), "method": method_text(report.method)}
        )
        if report.trained_on:
            write(_("Trained on %(count)s debtors as they stood 30 days before.") % {"count": report.trained_on})
        else:
            write(_("Too little history to train on: the scorecard scored."))
        write(
            _("Debtors scored: %(scored)s; paid within 30 days: %(payers)s.")
            % {"scored": report.scored, "payers": report.payers}
        )
        write(_("AUC: %(auc)s") % {"auc": _auc(report.auc)})
        if report.scorecard_auc is not None:
            write(_("AUC of the scorecard on the same debtors: %(auc)s") % {"auc": _auc(report.scorecard_auc)})
        write(_("decile · debtors · predicted · actual · recovered"))
        for decile in reversed(report.deciles):
            write(
                " · ".join(
                    [
                        f"{decile.decile:>6}",
                        f"{decile.debtors:>7}",
                        f"{_percent(decile.predicted):>8}",
                        f"{_percent(decile.actual):>6}",
                        number_format(decile.recovered, 2, force_grouping=True),
                    ]
                )
            )


def _percent(ratio: float) -> str:
    return f"{number_format(ratio * 100, 1)} %"


def _auc(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"

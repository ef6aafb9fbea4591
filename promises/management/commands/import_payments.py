"""Import a payments CSV: each row is recorded once and reconciled with the debtor's promises."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from debtors.importing.loading import ImportFileError
from debtors.management.commands.import_portfolio import print_counts, read_mapping
from debtors.models import Portfolio
from promises.importing import payments_import


class Command(BaseCommand):
    help = "Import a payments CSV into a portfolio (reference, customer code or account, amount, date)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--portfolio", required=True)
        parser.add_argument("--mapping")

    def handle(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            mapping = read_mapping(options["mapping"])
            portfolios = list(Portfolio.objects.filter(name=options["portfolio"])[:2])
            if len(portfolios) != 1:
                raise CommandError(_("There is no single portfolio named “%(name)s”.") % {"name": options["portfolio"]})
            try:
                result = payments_import(file=options["file"], portfolio=portfolios[0], mapping=mapping)
            except ImportFileError as error:
                raise CommandError(str(error.message)) from None
            print_counts(self, result)

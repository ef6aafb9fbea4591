"""Import a creditor's portfolio CSV: creates/updates debtors, debts and phones."""

import json
from contextlib import nullcontext

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from debtors.importing.loading import ImportFileError, portfolio_get_or_create, portfolio_import


def read_mapping(path):
    if not path:
        return None
    try:
        with open(path, encoding="utf-8-sig") as file:
            return json.load(file)
    except (OSError, ValueError) as error:
        raise CommandError(_("The mapping file cannot be read: %(error)s") % {"error": error}) from None


def print_counts(command, result, *, dry_run=False):
    command.stdout.write(
        _("created: %(created)s · updated: %(updated)s · unchanged: %(unchanged)s · rejected: %(rejected)s")
        % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
        }
    )
    if result.recalled:
        command.stdout.write(_("recalled: %(count)s") % {"count": result.recalled})
    command.stdout.write(_("Rejected rows: %(path)s") % {"path": result.report_path})
    if dry_run:
        command.stdout.write(_("Dry run: nothing was saved."))


class Command(BaseCommand):
    help = "Import a portfolio CSV (debtors, debts, phones) into a creditor's portfolio."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--portfolio", required=True)
        parser.add_argument("--creditor", required=True)
        parser.add_argument("--country", required=True)
        parser.add_argument("--currency")
        parser.add_argument(
            "--mapping",
            help='JSON {"field": "column header"} naming only the columns detection gets wrong; null leaves a column out.',
        )
        parser.add_argument("--whole-portfolio", action="store_true")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            mapping = read_mapping(options["mapping"])
            try:
                # A new portfolio (and creditor) is saved by the import with its first rows,
                # inside what it writes: a file that cannot be read, or an import killed
                # half-way, leaves no empty portfolio behind. A dry run rolls back everything.
                with transaction.atomic() if options["dry_run"] else nullcontext():
                    portfolio = portfolio_get_or_create(
                        portfolio=options["portfolio"],
                        creditor=options["creditor"],
                        country=options["country"],
                        currency=options["currency"],
                        save=False,
                    )
                    result = portfolio_import(
                        file=options["file"],
                        portfolio=portfolio,
                        mapping=mapping,
                        whole_portfolio=options["whole_portfolio"],
                        dry_run=options["dry_run"],
                    )
                    if options["dry_run"]:
                        transaction.set_rollback(True)
            except (ImportFileError, ValidationError) as error:
                message = error.message if isinstance(error, ImportFileError) else " ".join(error.messages)
                raise CommandError(str(message)) from None
            print_counts(self, result, dry_run=options["dry_run"])

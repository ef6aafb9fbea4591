import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from demo import seeding as demo


class Command(BaseCommand):
    help = (
        "Create demo logins, three portfolios (Peru, Mexico, Spain) and their collection history. "
        "Safe to run again: what exists is kept, only what is missing is created."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--debtors",
            type=int,
            default=demo.DEFAULT_DEBTOR_COUNT,
            help=(
                f"Debtors to spread over the three portfolios (default {demo.DEFAULT_DEBTOR_COUNT}); "
                "-v 2 shows progress."
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo logins share a published password.",
        )

    def handle(self, *args, debtors: int, force: bool, verbosity: int, **options):
        # The demo logins share a password that is in the source and in this output:
        # on a real deployment they would be an open door.
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "seed_demo creates logins with a published password and refuses to run with DEBUG off. "
                    "Pass --force only on a throwaway demo server."
                )
            )
        if debtors < 0:
            raise CommandError(_("--debtors must be zero or more, not %(count)d.") % {"count": debtors})

        started = time.monotonic()
        report = demo.demo_seed(debtor_count=debtors, progress=self._progress if verbosity >= 2 else None)
        seconds = time.monotonic() - started

        created_debtors = report.rows_created["debtors"]
        self.stdout.write(
            f"Demo data ({seconds:.1f} s): "
            f"users {report.users_created} created, {report.users_existing} already there; "
            f"portfolios {report.portfolios_created} created, {report.portfolios_existing} already there; "
            f"debtors {created_debtors:,} created, {report.debtors_existing:,} already there."
        )
        if created_debtors:
            rows = ", ".join(f"{count:,} {name}" for name, count in report.rows_created.items() if name != "debtors")
            total = sum(report.rows_created.values())
            self.stdout.write(f"  Also created {rows} ({total / max(seconds, 0.001):,.0f} rows/s).")
        if report.debtors_existing:
            self.stdout.write("  Portfolios that already had debtors were left as they are.")
        self._print_logins(report)

    def _progress(self, message: str) -> None:
        self.stdout.write(f"  {message}")

    def _print_logins(self, report: demo.SeedReport) -> None:
        self.stdout.write("")
        self.stdout.write(f"Sign in at {reverse('login')} on the address `make run` shows, with:")
        for login in demo.DEMO_LOGINS:
            user = report.users[login.username]
            teams = ", ".join(f"leads team {team}" for team in user.led_teams.all())
            if user.team_id:
                teams = f"team {user.team}"
            self.stdout.write(f"  {login.username:<8} {demo.DEMO_PASSWORD}   {login.role:<10} {teams}".rstrip())
        if report.users_existing:
            self.stdout.write("  (Logins that already existed keep whatever password they have now.)")

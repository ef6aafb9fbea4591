"""Loading a payments file: each row becomes a `payment_record` call (source "import").

payment_record is idempotent per (source, reference), so importing the same file twice
records nothing the second time: those rows are counted unchanged. Debtors are looked up a
batch at a time; the payments themselves go one by one because each reconciles promises.
A paid date without a time is taken as the end of that day in the debtor's zone (never
later than now), so a promise made earlier that day is still open for it.
"""

import contextlib
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collections_crm.lib.timezones import debtor_zone
from debtors.importing.loading import (
    ImportFileError,
    ImportResult,
    RejectReport,
    SourceFile,
    batches,
    open_import_file,
)
from debtors.importing.mapping import PAYMENTS
from debtors.importing.values import ValueProblem, decimal_style_of, parse_amount, parse_date
from debtors.models import Debt, Debtor, Portfolio
from promises.models import Payment
from promises.services import payment_record


def payments_import(
    *, file, portfolio: Portfolio, mapping=None, recorded_by=None, dry_run: bool = False, progress=None
) -> ImportResult:
    """Record a payments file's rows against `portfolio`'s debtors.

    Counts: created (a new payment), unchanged (its reference was already recorded),
    rejected (unreadable values, unknown debtor, or refused by payment_record).
    `dry_run` records and reconciles everything, counts, then rolls back. Raises
    ImportFileError when the file cannot be read at all.
    """
    stream, opened = open_import_file(file)
    result = ImportResult()
    try:
        source = SourceFile(stream, mapping=mapping, file_kind=PAYMENTS, required=True)
        if not {"external_id", "national_id", "account_reference"} & set(source.mapping):
            raise ImportFileError(
                _("A payments file needs the customer code, the document or the account reference of each payment.")
            )
        report = RejectReport(f"payments-{portfolio.pk}", source.headers)
        result.report_path = report.path

        def refused(number, cells, column, value, reason):  # a row over the reading's caps
            report.add(number, cells, [(column, value, reason)])
            result.rejected += 1

        source.on_refused = refused
        try:
            try:
                # Only a dry run holds one transaction (to roll back): a real load commits
                # payment by payment, as payment_record does, so progress stays visible.
                with transaction.atomic() if dry_run else contextlib.nullcontext():
                    _load(source, portfolio, report, result, recorded_by, progress)
                    if dry_run:
                        raise _DryRun
            except _DryRun:
                pass
        finally:
            report.close()
            result.problems = report.problems
    finally:
        if opened:
            stream.close()
    return result


class _DryRun(Exception):
    pass


def _load(
    source: SourceFile, portfolio: Portfolio, report: RejectReport, result: ImportResult, recorded_by, progress=None
) -> None:
    day_first = portfolio.country != "US"
    hint = None
    done = 0
    for index, batch in enumerate(batches(source.rows())):
        if progress is not None and index:
            progress(done, max(source.rows_total or 0, done) or None)
        done += len(batch)
        if index == 0:
            hint = decimal_style_of([source.cell(cells, "amount") for _number, cells in batch])
        key = _debtor_key(source)
        keys = {source.cell(cells, key) for _n, cells in batch} - {None, ""}
        debtors = {}
        for debtor in Debtor.objects.filter(portfolio=portfolio, **{f"{key}__in": keys}).select_related("portfolio"):
            # Two debtors with one document (a portfolio keyed by customer code): neither.
            debtors[getattr(debtor, key)] = None if getattr(debtor, key) in debtors else debtor
        references = {source.cell(cells, "account_reference") for _n, cells in batch} - {None, ""}
        debts = {
            debt.account_reference: debt
            for debt in Debt.objects.filter(
                debtor__portfolio=portfolio, account_reference__in=references
            ).select_related("debtor__portfolio")
        }
        for number, cells in batch:
            _load_row(source, number, cells, debtors, debts, report, result, day_first, hint, recorded_by)


def _debtor_key(source: SourceFile) -> str:
    """The Debtor field a payment's customer is found by: the customer code, or failing
    that the debtor's document (RFC, DNI...), which keyed the portfolio's file if it had
    no customer code either."""
    return "national_id" if "external_id" not in source.mapping and "national_id" in source.mapping else "external_id"


def _load_row(source, number, cells, debtors, debts, report, result, day_first, hint, recorded_by) -> None:
    problems = []

    def read(name, parse):
        text = source.cell(cells, name) or ""
        try:
            return parse(text)
        except ValueProblem as problem:
            problems.append((source.header_of(name), text, problem))
            return None

    def reference_of(text):
        if not text:
            raise ValueProblem("blank", _("The cell is empty."))
        return text[:100]

    reference = read("reference", reference_of)
    amount = read("amount", lambda text: parse_amount(text, decimal_hint=hint))
    paid_on = read("paid_at", lambda text: parse_date(text, day_first=day_first))
    key = _debtor_key(source)
    debt = debts.get(source.cell(cells, "account_reference") or "")
    debtor = debtors.get(source.cell(cells, key) or "") or (debt.debtor if debt else None)
    if debt is not None and debtor is not None and debt.debtor_id != debtor.pk:
        debt = None
    if debtor is None:
        name = key if key in source.mapping else "account_reference"
        value = source.cell(cells, name) or ""
        if name == "national_id" and value in debtors:
            reason = _(
                "Several debtors in this portfolio have the document “%(text)s”: name the customer code or the account."
            )
        else:
            reason = _("No debtor in this portfolio has “%(text)s”.")
        problems.append((source.header_of(name), value, reason % {"text": value}))
    if problems:
        result.rejected += 1
        report.add(number, cells, problems)
        return
    zone = debtor_zone(debtor)
    paid_at = min(timezone.make_aware(datetime.combine(paid_on, time(23, 59, 59)), zone), timezone.now())
    try:
        outcome = payment_record(
            debtor=debtor,
            debt=debt,
            amount=amount,
            paid_at=paid_at,
            reference=reference,
            source=Payment.Source.IMPORT,
            recorded_by=recorded_by,
        )
    except ValidationError as error:
        result.rejected += 1
        report.add(number, cells, [(source.header_of("reference"), reference, message) for message in error.messages])
        return
    if outcome.created:
        result.created += 1
    else:
        result.unchanged += 1

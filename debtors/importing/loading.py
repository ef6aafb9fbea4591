"""Loading a creditor's portfolio file into the database: the writing half of the importer.

`portfolio_import` is the service a management command, a Celery task or a web page calls.
Rows are streamed and written in batches of BATCH_SIZE with set-based upserts
(`bulk_create(update_conflicts=True)`, which is `INSERT … ON CONFLICT DO UPDATE` on
PostgreSQL and SQLite), never one `save()` per row.

Decisions worth knowing:
- A row is keyed by (customer code, account reference); without an account reference the
  customer code is the account. A key seen earlier in the same file makes the later row
  rejected (the first one wins), so a file never creates a second debtor or debt.
  Several accounts of one customer are several rows with the same customer code.
- A balance that changes leaves a BalanceChange row with the old and the new balance.
- A debt that was recalled and comes back in a file is active again (recalled_on cleared).
- A customer's details (name, document, e-mail, zone) come from their first row in a batch.
- Phones are only ever added; a number already on file is left as it is.
- The rejected-rows report is written for a dry run too: it is how a file is checked.
- The whole import is one transaction: a file that turns unreadable half-way loads nothing.
"""

import csv
import functools
import itertools
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from debtors.importing.mapping import PHONE_FIELDS, PORTFOLIO, mapping_from_json, suggest_mapping
from debtors.importing.phones import normalise_phone, split_phones
from debtors.importing.reading import HEADER_SEARCH_ROWS, SNIFF_BYTES, find_header, iter_csv_rows, sniff_csv
from debtors.importing.values import ValueProblem, decimal_style_of, parse_amount, parse_date
from debtors.markets import COUNTRY_DEFAULTS, CURRENCY_CHOICES
from debtors.models import BalanceChange, Creditor, Debt, Debtor, Phone, Portfolio

BATCH_SIZE = 5000
REQUIRED_FIELDS = ("external_id", "full_name", "balance", "due_date")
_CURRENCIES = {code for code, _label in CURRENCY_CHOICES}
_DEBTOR_FIELDS = ("full_name", "national_id", "email", "time_zone")


class ImportFileError(Exception):
    """The file cannot be read at all; `message` says why, for people."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class RejectedCell:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    recalled: int = 0
    report_path: Path | None = None
    problems: list[RejectedCell] = field(default_factory=list)


class _Rollback(Exception):
    pass


# --- Reading -------------------------------------------------------------------------------


class SourceFile:
    """A CSV opened for streaming: its header, its column mapping, and its data rows.

    `rows()` yields (record number, cells); record numbers count from 1 at the file's
    first record, so the header of a file with two title lines is record 3.
    """

    def __init__(self, stream: BinaryIO, *, mapping=None, file_kind: str = PORTFOLIO, required=()):
        try:
            head = stream.read(SNIFF_BYTES)
        except OSError as error:
            raise ImportFileError(_("The file cannot be read: %(error)s") % {"error": error}) from None
        if not head or not head.strip():
            raise ImportFileError(_("The file is empty."))
        if b"\x00" in head:
            raise ImportFileError(_("This is not a CSV file: it holds binary data."))
        fmt = sniff_csv(head)
        stream.seek(0)
        self._records = enumerate(iter_csv_rows(stream, fmt, skip_blank=False), start=1)
        first = list(itertools.islice(self._guarded(self._records), HEADER_SEARCH_ROWS))
        try:
            header_index = find_header([cells for _number, cells in first])
            self.headers = [cell.strip() for cell in first[header_index][1]]
            self.mapping = (
                suggest_mapping(self.headers, file_kind=file_kind)
                if mapping is None
                else mapping_from_json(mapping, self.headers)
            )
        except ValueProblem as problem:
            raise ImportFileError(str(problem)) from None
        missing = [
            name
            for name in required
            if name not in self.mapping and not (name == "full_name" and "first_name" in self.mapping)
        ]
        if missing:
            raise ImportFileError(
                _("No column was found for: %(fields)s. Columns in the file: %(headers)s.")
                % {"fields": ", ".join(missing), "headers": ", ".join(h for h in self.headers if h) or "—"}
            )
        self._pending = first[header_index + 1 :]

    def _guarded(self, records) -> Iterator[tuple[int, list[str]]]:
        try:
            yield from records
        except ValueProblem as problem:
            raise ImportFileError(str(problem)) from None
        except csv.Error as error:
            raise ImportFileError(_("The file cannot be read as CSV: %(error)s") % {"error": error}) from None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        for number, cells in itertools.chain(self._pending, self._guarded(self._records)):
            if any(cell.strip() for cell in cells):
                yield number, cells

    def header_of(self, field_name: str) -> str:
        return self.headers[self.mapping[field_name]]

    def cell(self, cells: list[str], field_name: str) -> str | None:
        column = self.mapping.get(field_name)
        if column is None:
            return None
        return cells[column].strip() if column < len(cells) else ""


def batches(iterable, size: int | None = None):
    size = size or BATCH_SIZE
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


# --- The rejected-rows report --------------------------------------------------------------


class RejectReport:
    """A CSV under MEDIA_ROOT/imports/: row, column, value, reason (in the active language)."""

    def __init__(self, prefix: str):
        folder = Path(settings.MEDIA_ROOT) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        self.path = folder / f"{prefix}-{stamp}-rejected.csv"
        self._file = self.path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(["row", "column", "value", "reason"])
        self.problems: list[RejectedCell] = []

    def add(self, row: int, column: str, value: str, reason) -> None:
        cell = RejectedCell(row=row, column=column, value=value, reason=str(reason))
        self._writer.writerow([cell.row, cell.column, cell.value, cell.reason])
        if len(self.problems) < 1000:  # enough to show on a page; the file has them all
            self.problems.append(cell)

    def close(self) -> None:
        self._file.close()


@functools.cache
def _time_zones() -> frozenset:
    return frozenset(zoneinfo.available_timezones())  # reads the zone files: once, not per row


# --- Parsing a row -------------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int
    external_id: str
    account_reference: str
    debtor: dict
    debt: dict
    phones: list[str]


class _RowParser:
    def __init__(self, source: SourceFile, portfolio: Portfolio, report: RejectReport):
        self.source = source
        self.portfolio = portfolio
        self.report = report
        self.day_first = portfolio.country != "US"
        self.decimal_hints: dict[str, str | None] = {}

    def learn_decimal_style(self, rows) -> None:
        for name in ("balance", "original_amount"):
            samples = [self.source.cell(cells, name) or "" for _number, cells in rows]
            self.decimal_hints[name] = decimal_style_of(samples) if name in self.source.mapping else None

    def parse(self, number: int, cells: list[str]) -> ParsedRow | None:
        """The row's values, or None after reporting why the row is rejected."""
        cell = lambda name: self.source.cell(cells, name)  # noqa: E731
        problems: list[tuple[str, str, object]] = []

        def required(name, read):
            text = cell(name) or ""
            try:
                return read(text)
            except ValueProblem as problem:
                problems.append((self.source.header_of(name), text, problem))
                return None

        def text_of(value: str, limit: int):
            value = value.strip()
            if not value:
                raise ValueProblem("blank", _("The cell is empty."))
            if len(value) > limit:
                raise ValueProblem("too_long", _("The text is longer than %(limit)s characters."), {"limit": limit})
            return value

        def balance_of(text: str):
            amount = parse_amount(text, decimal_hint=self.decimal_hints.get("balance"))
            if amount < 0:
                raise ValueProblem("negative", _("The balance cannot be negative: “%(text)s”."), {"text": text})
            return amount

        external_id = required("external_id", lambda text: text_of(text, 64))
        if "full_name" in self.source.mapping:
            full_name = required("full_name", lambda text: text_of(text, 200))
        else:  # first and last names in two columns
            full_name = required("first_name", lambda text: text_of(text, 200))
            if full_name and cell("last_name"):
                full_name = f"{full_name} {cell('last_name')}"[:200]
        balance = required("balance", balance_of)
        due_date = required("due_date", lambda text: parse_date(text, day_first=self.day_first))

        original_amount = None
        if text := cell("original_amount"):
            try:
                original_amount = parse_amount(text, decimal_hint=self.decimal_hints.get("original_amount"))
                if original_amount <= 0:
                    raise ValueProblem("not_positive", _("The original amount must be above zero."))
            except ValueProblem as problem:
                self.report.add(number, self.source.header_of("original_amount"), text, problem)
                original_amount = None
        if balance is not None and balance == 0 and original_amount is None:
            problems.append(
                (self.source.header_of("balance"), cell("balance"), _("A debt with a zero balance needs its original amount."))
            )
        if problems:
            for column, value, reason in problems:
                self.report.add(number, column, value, reason)
            return None

        debtor = {"full_name": full_name}
        if (national_id := cell("national_id")) is not None:
            debtor["national_id"] = national_id[:32]
        if (email := cell("email")) is not None:
            try:
                if email:
                    validate_email(email)
                debtor["email"] = email
            except ValidationError:
                self.report.add(number, self.source.header_of("email"), email, _("“%(text)s” is not an e-mail address.") % {"text": email})
        if time_zone := cell("time_zone"):
            if time_zone in _time_zones():
                debtor["time_zone"] = time_zone
            else:
                self.report.add(number, self.source.header_of("time_zone"), time_zone, _("“%(text)s” is not a time zone.") % {"text": time_zone})

        debt = {"balance": balance, "due_date": due_date, "original_amount": original_amount}
        if (product := cell("product")) is not None:
            debt["product"] = product[:100]
        currency = (cell("currency") or "").upper()
        if currency and currency not in _CURRENCIES:
            self.report.add(number, self.source.header_of("currency"), cell("currency"), _("“%(text)s” is not a currency we handle.") % {"text": cell("currency")})
            currency = ""
        debt["currency"] = currency or self.portfolio.currency

        account_reference = (cell("account_reference") or "")[:64] or external_id

        phones = []
        for name in PHONE_FIELDS:
            text = cell(name)
            if not text:
                continue
            for piece in split_phones(text):
                try:
                    number_e164 = normalise_phone(piece, self.portfolio.country)
                except ValueProblem as problem:
                    self.report.add(number, self.source.header_of(name), piece, problem)
                    continue
                if number_e164 not in phones:
                    phones.append(number_e164)
        return ParsedRow(number, external_id, account_reference, debtor, debt, phones)


# --- Writing a batch -----------------------------------------------------------------------


def _write_batch(portfolio: Portfolio, rows: list[ParsedRow], result: ImportResult, seen_debtor_ids: set[int], now: datetime):
    """Upsert one batch: debtors, then debts, then phones, each with one bulk statement.

    1. Read what exists for the batch's customer codes (one query) and compare.
    2. Insert new debtors and update changed ones in one INSERT … ON CONFLICT.
    3. The same for debts, keyed by (debtor, account reference); changed balances leave a
       BalanceChange row.
    4. Add phones the debtor does not have yet (ON CONFLICT DO NOTHING).
    5. Count each row: created (its debt is new), updated (anything changed), unchanged.
    """
    external_ids = {row.external_id for row in rows}
    existing = {
        values["external_id"]: values
        for values in Debtor.objects.filter(portfolio=portfolio, external_id__in=external_ids).values(
            "pk", "external_id", *_DEBTOR_FIELDS
        )
    }
    first_row_of: dict[str, ParsedRow] = {}
    for row in rows:
        first_row_of.setdefault(row.external_id, row)
    changed_debtors = set()
    to_upsert = []
    update_fields = {"updated_at"}
    for external_id, row in first_row_of.items():
        before = existing.get(external_id)
        update_fields.update(row.debtor)
        if before is None or any(before[name] != value for name, value in row.debtor.items()):
            changed_debtors.add(external_id)
            values = {"time_zone": portfolio.default_time_zone, **row.debtor}
            to_upsert.append(Debtor(portfolio=portfolio, external_id=external_id, **values))
    if to_upsert:
        Debtor.objects.bulk_create(
            to_upsert,
            update_conflicts=True,
            unique_fields=["portfolio", "external_id"],
            update_fields=sorted(update_fields),
        )
    new_debtor_ids = dict(
        Debtor.objects.filter(portfolio=portfolio, external_id__in=external_ids - existing.keys()).values_list(
            "external_id", "pk"
        )
    )
    debtor_id = {**{key: values["pk"] for key, values in existing.items()}, **new_debtor_ids}
    seen_debtor_ids.update(debtor_id.values())

    # By debtor only: with a second IN list on account_reference SQLite picks a plan a
    # thousand times slower, and a debtor has few debts.
    old_debts = {
        (values["debtor_id"], values["account_reference"]): values
        for values in Debt.objects.filter(debtor_id__in=[values["pk"] for values in existing.values()]).values("pk", "debtor_id", "account_reference", "balance", "original_amount", "product", "currency", "due_date", "recalled_on")
    }
    debts, balance_changes, changed_rows = [], [], set()
    debt_update_fields = {"balance", "due_date", "currency", "recalled_on", "updated_at"}
    for row in rows:
        key = (debtor_id[row.external_id], row.account_reference)
        before = old_debts.get(key)
        values = dict(row.debt)
        if values["original_amount"] is None:
            if before is not None:
                values["original_amount"] = before["original_amount"]
            else:
                values["original_amount"] = values["balance"]
        else:
            debt_update_fields.add("original_amount")
        if "product" in values:
            debt_update_fields.add("product")
        values["recalled_on"] = None
        if before is not None and all(before[name] == value for name, value in values.items()):
            continue
        changed_rows.add(row.number)
        if before is not None and before["balance"] != values["balance"]:
            balance_changes.append(
                BalanceChange(debt_id=before["pk"], old_balance=before["balance"], new_balance=values["balance"], at=now)
            )
        debts.append(Debt(debtor_id=key[0], account_reference=row.account_reference, **values))
    if debts:
        Debt.objects.bulk_create(
            debts,
            update_conflicts=True,
            unique_fields=["debtor", "account_reference"],
            update_fields=sorted(debt_update_fields),
        )
    BalanceChange.objects.bulk_create(balance_changes)

    old_phones = set(
        Phone.objects.filter(debtor_id__in=debtor_id.values()).values_list("debtor_id", "number")
    )
    old_phones = {(debtor, getattr(number, "as_e164", str(number))) for debtor, number in old_phones}
    new_phones = {}
    for row in rows:
        for number in row.phones:
            key = (debtor_id[row.external_id], number)
            if key not in old_phones and key not in new_phones:
                new_phones[key] = Phone(debtor_id=key[0], number=number)
                changed_rows.add(row.number)
    Phone.objects.bulk_create(new_phones.values(), ignore_conflicts=True)

    for row in rows:
        if (debtor_id[row.external_id], row.account_reference) not in old_debts:
            result.created += 1
        elif row.number in changed_rows or row.external_id in changed_debtors:
            result.updated += 1
        else:
            result.unchanged += 1


# --- The service ---------------------------------------------------------------------------


def portfolio_get_or_create(*, portfolio: str, creditor: str, country: str, currency: str | None = None) -> Portfolio:
    """The creditor's portfolio by name, created with the country's defaults when new."""
    country = country.upper()
    defaults = COUNTRY_DEFAULTS.get(country)
    if defaults is None:
        raise ValidationError(
            _("There are no defaults for the country “%(country)s”. Known: %(known)s.")
            % {"country": country, "known": ", ".join(COUNTRY_DEFAULTS)}
        )
    creditor_obj, _created = Creditor.objects.get_or_create(name=creditor.strip())
    portfolio_obj, _created = Portfolio.objects.get_or_create(
        creditor=creditor_obj,
        name=portfolio.strip(),
        defaults={
            "country": country,
            "currency": (currency or defaults["currency"]).upper(),
            "default_time_zone": defaults["time_zone"],
            "contact_policy_preset": defaults["preset"],
        },
    )
    return portfolio_obj


def _open(file) -> tuple[BinaryIO, bool]:
    if hasattr(file, "read"):
        return file, False
    try:
        return open(file, "rb"), True
    except OSError as error:
        raise ImportFileError(_("The file cannot be opened: %(error)s") % {"error": error.strerror or error}) from None


def portfolio_import(
    *,
    file,
    portfolio: Portfolio,
    mapping=None,
    whole_portfolio: bool = False,
    dry_run: bool = False,
    today: date | None = None,
    progress=None,
) -> ImportResult:
    """Load a portfolio file (a path or a binary stream) into `portfolio`.

    `mapping` is a saved mapping ({"field": "header"}, or its JSON text); without it the
    columns are guessed with suggest_mapping. `whole_portfolio` says the file is the whole
    portfolio: debts of debtors absent from it are marked recalled today (nothing is
    deleted). `dry_run` does everything, counts, writes the report, and rolls back.
    Raises ImportFileError when the file cannot be read at all.
    """
    now = timezone.now()
    today = today or timezone.localdate()
    stream, opened = _open(file)
    result = ImportResult()
    try:
        source = SourceFile(stream, mapping=mapping, required=REQUIRED_FIELDS)
        report = RejectReport(f"portfolio-{portfolio.pk}")
        result.report_path = report.path
        try:
            with transaction.atomic():
                _load(source, portfolio, report, result, whole_portfolio=whole_portfolio, today=today, now=now)
                if dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        finally:
            report.close()
            result.problems = report.problems
    finally:
        if opened:
            stream.close()
    return result


def _load(source, portfolio, report, result, *, whole_portfolio, today, now) -> None:
    parser = _RowParser(source, portfolio, report)
    first_row_of: dict[tuple[str, str], int] = {}
    seen_debtor_ids: set[int] = set()
    for index, raw_batch in enumerate(batches(source.rows())):
        if index == 0:
            parser.learn_decimal_style(raw_batch)
        parsed = []
        for number, cells in raw_batch:
            row = parser.parse(number, cells)
            if row is None:
                result.rejected += 1
                continue
            key = (row.external_id, row.account_reference)
            if key in first_row_of:
                result.rejected += 1
                report.add(
                    number,
                    source.header_of("external_id"),
                    row.external_id,
                    _("Row %(row)s already has this customer code and account; this row was skipped.")
                    % {"row": first_row_of[key]},
                )
                continue
            first_row_of[key] = number
            parsed.append(row)
        if parsed:
            _write_batch(portfolio, parsed, result, seen_debtor_ids, now)
    if whole_portfolio:
        # Walk the portfolio's active debts rather than send a NOT IN with a million ids.
        active = Debt.objects.filter(debtor__portfolio=portfolio, recalled_on__isnull=True).values_list("pk", "debtor_id")
        absent = [pk for pk, debtor in active.iterator(chunk_size=10_000) if debtor not in seen_debtor_ids]
        for chunk in batches(absent):
            result.recalled += Debt.objects.filter(pk__in=chunk).update(recalled_on=today, updated_at=now)

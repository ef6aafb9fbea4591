"""Checking a row: its cells read into a debtor, a debt and phones, or reported as rejected.

Written for a million rows: `_RowParser` looks column positions up once and reads cells by
index; `RowHasher` lets a row that left its debt as it is be counted unchanged unread.
"""

import functools
import hashlib
import operator
import zoneinfo
from array import array
from bisect import bisect_left
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from debtors.importing.mapping import PHONE_FIELDS
from debtors.importing.phones import normalise_phone, split_phones
from debtors.importing.rejects import RejectReport
from debtors.importing.source import SourceFile
from debtors.importing.values import ValueProblem, decimal_style_of, parse_amount, parse_date
from debtors.markets import CURRENCY_CHOICES
from debtors.models import Portfolio

_CURRENCIES = {code for code, _label in CURRENCY_CHOICES}
_DEBTOR_FIELDS = ("full_name", "national_id", "email", "time_zone")
# Part of every row hash (Debt.import_hash): raise it when the reading of a cell changes (a
# new date spelling, another phone rule), so that the next import reads every row again.
PARSING_VERSION = 1


def unquote_cell(text: str) -> str:
    """A cell as it was before a report made it spreadsheet-safe ("'+51 987..." → "+51 987...")."""
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]
    return text


@functools.cache
def _time_zones() -> frozenset:
    return frozenset(zoneinfo.available_timezones())  # reads the zone files: once, not per row


@dataclass
class ParsedRow:
    number: int
    external_id: str
    account_reference: str
    debtor: dict
    debt: dict
    phones: list[str]
    cells: list[str]  # as read, for the report should the row turn out a duplicate
    # RowHasher's hash of the cells; None when a cell was left out (the row is read again
    # next time, so that its report line is written again).
    row_hash: int | None = None


class _Batch(list):
    """A batch of ParsedRow, with the keys (row, customer code, account) of the rows counted
    unchanged by their hash and not parsed."""

    skipped: list[tuple[int, str, str]] = []


class RowHasher:
    """A 64-bit hash of a row's mapped cells, as read, keyed by what else decides how they are
    read: the mapping, the portfolio's country, currency and zone, the decimal style learnt
    from the file, PARSING_VERSION.

    A debt keeps the hash of the row that last left it, its debtor and their phones as they
    are (staging, step 3). The same hash met again means the same cells read the same way:
    the row would change nothing, so it is counted unchanged without being parsed or
    staged (≈ 1 µs against ≈ 40 µs for parsing and staging it).
    """

    def __init__(self, source: SourceFile, portfolio: Portfolio, decimal_hints: dict):
        self.positions = sorted(set(source.columns.values()))
        self.width = self.positions[-1] + 1 if self.positions else 0
        # itemgetter of two or more positions gives a tuple; the required fields make four.
        self.pick = operator.itemgetter(*(self.positions * 2 if len(self.positions) == 1 else self.positions or [0, 0]))
        settings_text = "\x1f".join(
            [
                str(PARSING_VERSION),
                portfolio.country,
                portfolio.currency,
                portfolio.default_time_zone,
                repr(sorted(source.columns.items())),
                repr(sorted(decimal_hints.items())),
            ]
        )
        self.key = hashlib.blake2b(settings_text.encode(), digest_size=32).digest()

    def __call__(self, cells: list[str]) -> int:
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        text = "\x1f".join(self.pick(cells))
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8, key=self.key).digest()
        return int.from_bytes(digest, "big", signed=True)


def _known(hashes: array, row_hash: int) -> bool:
    index = bisect_left(hashes, row_hash)
    return index < len(hashes) and hashes[index] == row_hash


class _RowParser:
    """Checks one row's cells; written for a million rows: column positions are looked up
    once, cells read by index, and no closure is made per row."""

    def __init__(self, source: SourceFile, portfolio: Portfolio, report: RejectReport):
        self.source = source
        self.portfolio = portfolio
        self.report = report
        self.day_first = portfolio.country != "US"
        self.decimal_hints: dict[str, str | None] = {}
        columns = source.columns
        self.width = max(columns.values(), default=-1) + 1
        self.col = {
            name: columns.get(name)
            for name in (
                "external_id",
                "full_name",
                "first_name",
                "last_name",
                "balance",
                "due_date",
                "original_amount",
                "national_id",
                "email",
                "time_zone",
                "product",
                "currency",
                "account_reference",
            )
        }
        self.phone_cols = [(columns[name], source.header_of(name)) for name in PHONE_FIELDS if name in columns]
        self.names_in_one = "full_name" in columns
        self.hasher: RowHasher | None = None  # made when the decimal style is known
        # Hashes of the rows the portfolio's debts are in step with (Staging.known_row_hashes), sorted.
        self.known_hashes = array("q")

    def learn_decimal_style(self, rows) -> None:
        for name in ("balance", "original_amount"):
            samples = [unquote_cell(self.source.cell(cells, name) or "") for _number, cells in rows]
            self.decimal_hints[name] = decimal_style_of(samples) if name in self.source.columns else None
        self.hasher = RowHasher(self.source, self.portfolio, self.decimal_hints)

    def key_of(self, cells) -> tuple[str, str]:
        """(customer code, account) of a row that passed the checks once, as parse() reads them."""
        external_id = cells[self.col["external_id"]].strip()
        column = self.col["account_reference"]
        if column is None or column >= len(cells):
            return external_id, external_id
        return external_id, cells[column].strip()[:64] or external_id

    def _text(self, cells, name, limit, problems) -> str | None:
        value = cells[self.col[name]].strip()
        if not value:
            problems.append((self.source.header_of(name), value, ValueProblem("blank", _("The cell is empty."))))
            return None
        if len(value) > limit:
            problems.append(
                (
                    self.source.header_of(name),
                    value,
                    ValueProblem("too_long", _("The text is longer than %(limit)s characters."), {"limit": limit}),
                )
            )
            return None
        return value

    def parse(self, number: int, cells: list[str], row_hash: int | None = None) -> ParsedRow | None:
        """The row's values, or None after reporting why the row is rejected.

        `problems` reject the row; `left_out` are cells the row loads without (a phone
        that is no number, an unknown currency), reported on the row's one report line.
        """
        original = cells
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        col = self.col
        problems: list[tuple[str, str, object]] = []
        left_out: list[tuple[str, str, object]] = []

        external_id = self._text(cells, "external_id", 64, problems)
        if self.names_in_one:
            full_name = self._text(cells, "full_name", 200, problems)
        else:  # first and last names in two columns
            full_name = self._text(cells, "first_name", 200, problems)
            if full_name and col["last_name"] is not None and (last := cells[col["last_name"]].strip()):
                full_name = f"{full_name} {last}"[:200]
        balance_text = unquote_cell(cells[col["balance"]].strip())
        try:
            balance = parse_amount(balance_text, decimal_hint=self.decimal_hints.get("balance"))
            if balance < 0:
                raise ValueProblem("negative", _("The balance cannot be negative: “%(text)s”."), {"text": balance_text})
        except ValueProblem as problem:
            problems.append((self.source.header_of("balance"), balance_text, problem))
            balance = None
        due_text = cells[col["due_date"]].strip()
        try:
            due_date = parse_date(due_text, day_first=self.day_first)
        except ValueProblem as problem:
            problems.append((self.source.header_of("due_date"), due_text, problem))
            due_date = None

        original_amount = None
        if col["original_amount"] is not None and (text := unquote_cell(cells[col["original_amount"]].strip())):
            try:
                original_amount = parse_amount(text, decimal_hint=self.decimal_hints.get("original_amount"))
                if original_amount <= 0:
                    raise ValueProblem("not_positive", _("The original amount must be above zero."))
            except ValueProblem as problem:
                left_out.append((self.source.header_of("original_amount"), text, problem))
                original_amount = None
        if balance is not None and balance == 0 and original_amount is None:
            problems.append(
                (
                    self.source.header_of("balance"),
                    balance_text,
                    _("A debt with a zero balance needs its original amount."),
                )
            )
        if problems:
            self.report.add(number, original, problems + left_out)
            return None

        debtor = {"full_name": full_name}
        if col["national_id"] is not None:
            debtor["national_id"] = cells[col["national_id"]].strip()[:32]
        if col["email"] is not None:
            email = cells[col["email"]].strip()
            try:
                if email:
                    validate_email(email)
                debtor["email"] = email
            except ValidationError:
                left_out.append(
                    (self.source.header_of("email"), email, _("“%(text)s” is not an e-mail address.") % {"text": email})
                )
        if col["time_zone"] is not None and (time_zone := cells[col["time_zone"]].strip()):
            if time_zone in _time_zones():
                debtor["time_zone"] = time_zone
            else:
                left_out.append(
                    (
                        self.source.header_of("time_zone"),
                        time_zone,
                        _("“%(text)s” is not a time zone.") % {"text": time_zone},
                    )
                )

        debt = {"balance": balance, "due_date": due_date, "original_amount": original_amount}
        if col["product"] is not None:
            debt["product"] = cells[col["product"]].strip()[:100]
        currency = ""
        if col["currency"] is not None and (written := cells[col["currency"]].strip()):
            currency = written.upper()
            if currency not in _CURRENCIES:
                left_out.append(
                    (
                        self.source.header_of("currency"),
                        written,
                        _("“%(text)s” is not a currency we handle.") % {"text": written},
                    )
                )
                currency = ""
        debt["currency"] = currency or self.portfolio.currency

        account_reference = external_id
        if col["account_reference"] is not None:
            account_reference = cells[col["account_reference"]].strip()[:64] or external_id

        phones = []
        country = self.portfolio.country
        for column, header in self.phone_cols:
            text = unquote_cell(cells[column].strip())
            if not text:
                continue
            for piece in split_phones(text):
                try:
                    number_e164 = normalise_phone(piece, country)
                except ValueProblem as problem:
                    left_out.append((header, piece, problem))
                    continue
                if number_e164 not in phones:
                    phones.append(number_e164)
        if left_out:
            self.report.add(number, original, left_out, loaded=True)
            row_hash = None
        return ParsedRow(number, external_id, account_reference, debtor, debt, phones, original, row_hash)

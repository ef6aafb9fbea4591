"""The set-based merge from the staging table: what is written, what is left alone."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine

from debtors.importing.loading import portfolio_get_or_create, portfolio_import
from debtors.models import BalanceChange, Debt, Debtor, Phone
from tests.utils import xlsx_workbook

pytestmark = pytest.mark.django_db

HEADER = ["Código de cliente", "Nombre", "DNI", "Celular", "Nro. de crédito", "Saldo", "Fecha de vencimiento"]


def xlsx(rows):
    return xlsx_workbook(HEADER, rows)


def test_text_with_quotes_tabs_line_breaks_and_backslashes_arrives_intact(lima):
    awkward = 'O\'Brien "Tito"; Pérez\tde la\nRosa \\N \\ fin'
    result = portfolio_import(
        file=xlsx([["C-1", awkward, "", 987654321, "CR;1", 10, datetime(2026, 8, 31)]]), portfolio=lima
    )
    assert result.created == 1
    debtor = Debtor.objects.get()
    assert debtor.full_name == awkward
    assert debtor.national_id == ""  # an empty cell is an empty string, not "unknown"
    assert debtor.debts.get().account_reference == "CR;1"


def test_unchanged_rows_are_not_written_at_all(lima):
    rows = [["C-1", "Ana", "1", 987654321, "CR-1", 10, datetime(2026, 8, 31)]]
    with time_machine.travel(datetime(2026, 11, 1, 12, 0), tick=False):
        portfolio_import(file=xlsx(rows), portfolio=lima)
    with time_machine.travel(datetime(2026, 11, 20, 12, 0), tick=False):
        result = portfolio_import(file=xlsx(rows), portfolio=lima)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert Debtor.objects.get().updated_at.date() == date(2026, 11, 1)
    assert Debt.objects.get().updated_at.date() == date(2026, 11, 1)


def test_a_new_phone_or_a_new_name_counts_as_updated(lima):
    portfolio_import(
        file=xlsx(
            [
                ["C-1", "Ana", "1", 987654321, "CR-1", 10, datetime(2026, 8, 31)],
                ["C-2", "Luis", "2", 912345678, "CR-2", 20, datetime(2026, 8, 31)],
            ]
        ),
        portfolio=lima,
    )
    result = portfolio_import(
        file=xlsx(
            [
                ["C-1", "Ana", "1", "987654321 / 912000111", "CR-1", 10, datetime(2026, 8, 31)],
                ["C-2", "Luis Torres", "2", 912345678, "CR-2", 20, datetime(2026, 8, 31)],
            ]
        ),
        portfolio=lima,
    )
    assert (result.created, result.updated, result.unchanged) == (0, 2, 0)
    assert Phone.objects.filter(debtor__external_id="C-1").count() == 2
    assert Debtor.objects.get(external_id="C-2").full_name == "Luis Torres"
    assert not BalanceChange.objects.exists()


def test_a_recalled_debt_that_comes_back_is_active_again(lima):
    rows = [["C-1", "Ana", "1", 987654321, "CR-1", 10, datetime(2026, 8, 31)]]
    portfolio_import(file=xlsx(rows), portfolio=lima)
    Debt.objects.update(recalled_on=date(2026, 10, 1))
    result = portfolio_import(file=xlsx(rows), portfolio=lima)
    assert result.updated == 1
    assert Debt.objects.get().recalled_on is None


def test_only_the_files_own_portfolio_is_touched(lima):
    other = portfolio_get_or_create(portfolio="Préstamos", creditor="Banco Andino", country="PE")
    rows = [["C-1", "Ana", "1", 987654321, "CR-1", 10, datetime(2026, 8, 31)]]
    portfolio_import(file=xlsx(rows), portfolio=other)
    result = portfolio_import(file=xlsx([[*rows[0][:5], 99, rows[0][6]]]), portfolio=lima, whole_portfolio=True)
    assert result.created == 1 and result.recalled == 0
    assert Debt.objects.get(debtor__portfolio=other).balance == Decimal("10")
    assert Debt.objects.get(debtor__portfolio=other).recalled_on is None


def test_duplicates_are_found_across_batches(lima, monkeypatch):
    monkeypatch.setattr("debtors.importing.loading.BATCH_SIZE", 2)
    rows = [[f"C-{n}", "Ana", "1", 987654321, f"CR-{n}", 10, datetime(2026, 8, 31)] for n in range(5)]
    rows.append(["C-0", "Otra", "1", 987654321, "CR-0", 99, datetime(2026, 8, 31)])
    result = portfolio_import(file=xlsx(rows), portfolio=lima)
    assert (result.created, result.rejected) == (5, 1)
    assert result.problems[-1].row == 7
    assert Debt.objects.get(account_reference="CR-0").balance == Decimal("10")


def test_an_import_after_the_follow_up_job_on_the_same_connection_loads(lima):
    # A worker keeps its database connection between jobs, and the follow-up job stages its rows
    # in a temp table. PostgreSQL then refuses to resize the session's temp buffers; inside a
    # transaction that refusal must not abort the import that asked.
    from django.db import connection

    with connection.cursor() as cursor:  # what the follow-up job's staging leaves in the session
        cursor.execute("CREATE TEMPORARY TABLE followup_staging_probe (debtor_id integer)")
        cursor.execute("INSERT INTO followup_staging_probe VALUES (1)")
    rows = [["C-1", "Nelly Apaza", "40000001", "987654321", "CR-1", "100,00", "31/08/2026"]]
    result = portfolio_import(file=xlsx(rows), portfolio=lima)
    assert result.created == 1
    assert list(Debtor.objects.values_list("external_id", flat=True)) == ["C-1"]

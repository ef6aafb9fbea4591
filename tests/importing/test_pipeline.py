"""An import merged chunk by chunk gives what one merge of the whole file gives.

These tests commit (transactional): outside a transaction, PostgreSQL takes the pipelined
path (chunk k merged in a thread while chunk k+1 is read, progress on its own connection);
SQLite merges the whole file at once. Chunks of 3 rows make a small file cross several.
"""

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils.translation import override

from debtors.importing import loading
from debtors.importing.loading import ImportFileError, portfolio_import
from debtors.importing.staging import Staging
from debtors.models import BalanceChange, Debt, Debtor, Phone
from tests.utils import xlsx_workbook

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = ["Código de cliente", "Nombre", "DNI", "Celular", "Nro. de crédito", "Saldo", "Fecha de vencimiento"]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(loading, "BATCH_SIZE", 2)
    monkeypatch.setattr(loading, "CHUNK_ROWS", 3)
    monkeypatch.setattr(loading, "EDGE_CHUNK_ROWS", 2)


def xlsx(rows):
    return xlsx_workbook(HEADER, rows)


def row(code, name, account, balance, *, phone=987654321, dni="", due=datetime(2026, 8, 31)):
    return [code, name, dni, phone, account, balance, due]


def test_a_key_repeated_in_a_later_chunk_is_rejected_and_the_first_row_wins(lima):
    rows = [row(f"C-{n}", f"Cliente {n}", f"CR-{n}", 100 + n) for n in range(1, 8)]
    rows.insert(6, row("C-2", "Otro nombre", "CR-2", 999))  # row 8 of the file repeats row 3's key
    with override("en"):
        result = portfolio_import(file=xlsx(rows), portfolio=lima)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (7, 0, 0, 1)
    assert Debtor.objects.count() == 7 and Debt.objects.count() == 7
    assert Debt.objects.get(account_reference="CR-2").balance == Decimal("102.00")
    assert [(problem.row, problem.value) for problem in result.problems] == [(8, "C-2")]
    assert result.problems[0].reason.startswith("Row 3 already has this customer code and account")


def test_a_customers_details_come_from_their_first_row_even_in_an_earlier_chunk(lima):
    rows = [
        row("C-1", "Ana Torres", "CR-1", 100, dni="11111111"),
        row("C-2", "Luis", "CR-2", 50),
        row("C-3", "Rosa", "CR-3", 60),
        row("C-4", "Juan", "CR-4", 70),
        row("C-1", "Ana T. (otra cuenta)", "CR-5", 25, dni="99999999", phone=912345678),
    ]
    result = portfolio_import(file=xlsx(rows), portfolio=lima)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (5, 0, 0, 0)
    ana = Debtor.objects.get(external_id="C-1")
    assert (ana.full_name, ana.national_id) == ("Ana Torres", "11111111")
    assert sorted(ana.debts.values_list("account_reference", flat=True)) == ["CR-1", "CR-5"]
    assert Phone.objects.filter(debtor=ana).count() == 2
    assert (ana.open_balance, ana.arrears_since) == (Decimal("125.00"), date(2026, 8, 31))


def test_next_months_file_updates_adds_and_recalls_across_chunks(lima):
    portfolio_import(file=xlsx([row(f"C-{n}", f"Cliente {n}", f"CR-{n}", 100) for n in range(1, 8)]), portfolio=lima)
    changed = [row(f"C-{n}", f"Cliente {n}", f"CR-{n}", 100 if n % 2 else 80) for n in range(1, 6)]
    changed.append(row("C-9", "Nueva", "CR-9", 40))
    result = portfolio_import(file=xlsx(changed), portfolio=lima, whole_portfolio=True)

    assert (result.created, result.updated, result.unchanged, result.recalled) == (1, 2, 3, 2)
    assert BalanceChange.objects.count() == 2
    assert set(Debt.objects.filter(recalled_on__isnull=False).values_list("account_reference", flat=True)) == {
        "CR-6",
        "CR-7",
    }
    assert Debtor.objects.get(external_id="C-6").open_balance == 0
    assert Debtor.objects.get(external_id="C-2").open_balance == Decimal("80.00")
    assert Debtor.objects.count() == 8


def test_a_file_that_breaks_half_way_loads_nothing(lima, monkeypatch):
    rows = [row(f"C-{n}", f"Cliente {n}", f"CR-{n}", 100) for n in range(1, 10)]
    real_rows = loading.SourceFile.rows

    def rows_then_broken(self):
        for number, (index, cells) in enumerate(real_rows(self)):
            if number == 7:  # the first chunk is merged by now
                raise ImportFileError("El archivo se cortó.")
            yield index, cells

    monkeypatch.setattr(loading.SourceFile, "rows", rows_then_broken)
    with pytest.raises(ImportFileError):
        portfolio_import(file=xlsx(rows), portfolio=lima)
    assert not Debtor.objects.exists() and not Debt.objects.exists() and not Phone.objects.exists()


def test_progress_is_reported_from_its_own_thread_as_rows_are_read(lima):
    seen = []
    portfolio_import(
        file=xlsx([row(f"C-{n}", f"Cliente {n}", f"CR-{n}", 100) for n in range(1, 8)]),
        portfolio=lima,
        progress=lambda done, total: seen.append((done, total, threading.current_thread().name)),
    )
    assert seen[-1][:2] == (7, 7)  # the last word: every row read, the total exact
    if connection.vendor == "postgresql":  # committed at once by a connection outside the import's transaction
        assert {name for _done, _total, name in seen} == {"import-progress"}
    assert [done for done, _total, _thread in seen] == sorted(done for done, _total, _thread in seen)
    assert Debtor.objects.count() == 7


@pytest.fixture(params=["as_the_role_allows", "row_by_row"])
def reference_checks(request, monkeypatch):
    """Both ways foreign keys are checked: set-based by the import where the database role may
    switch PostgreSQL's row-by-row checks off (CI grants it), PostgreSQL's own checks otherwise."""
    if request.param == "row_by_row":
        monkeypatch.setattr(Staging, "role_may_switch_off_row_checks", staticmethod(lambda cursor: False))
    return request.param


def test_both_ways_of_checking_references_load_the_same(lima, reference_checks):
    portfolio_import(file=xlsx([row(f"C-{n}", f"Cliente {n}", f"CR-{n}", 100) for n in range(1, 5)]), portfolio=lima)
    again = [row(f"C-{n}", f"Cliente {n}", f"CR-{n}", 90, phone=912345600 + n) for n in range(1, 5)]
    again += [row("C-1", "Cliente 1", "CR-9", 40), row("C-7", "Nuevo", "CR-7", 70)]
    result = portfolio_import(file=xlsx(again), portfolio=lima)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (2, 4, 0, 0)
    assert Debtor.objects.count() == 5 and Debt.objects.count() == 6 and Phone.objects.count() == 9
    assert BalanceChange.objects.count() == 4
    assert Debtor.objects.get(external_id="C-1").open_balance == Decimal("130.00")
    with connection.cursor() as cursor:  # every reference points at a row that is there
        cursor.execute(
            """SELECT (SELECT COUNT(*) FROM debtors_debt t LEFT JOIN debtors_debtor d ON d.id = t.debtor_id WHERE d.id IS NULL)
                    + (SELECT COUNT(*) FROM debtors_phone p LEFT JOIN debtors_debtor d ON d.id = p.debtor_id WHERE d.id IS NULL)
                    + (SELECT COUNT(*) FROM debtors_balancechange b LEFT JOIN debtors_debt t ON t.id = b.debt_id WHERE t.id IS NULL)"""
        )
        assert cursor.fetchone()[0] == 0


def test_a_debtor_getting_new_rows_cannot_be_deleted_until_the_import_ends(lima, reference_checks, monkeypatch):
    portfolio_import(file=xlsx([row("C-1", "Ana", "CR-1", 100), row("C-2", "Luis", "CR-2", 50)]), portfolio=lima)
    ana = Debtor.objects.get(external_id="C-1")
    attempts = []
    real_end = Staging.end

    def delete_from_elsewhere():
        from django.db import DatabaseError, transaction
        from django.db import connection as own_connection

        try:
            with own_connection.cursor() as cursor:  # give up after 300 ms instead of queueing
                cursor.execute(
                    "SET lock_timeout = '300ms'"
                    if own_connection.vendor == "postgresql"
                    else "PRAGMA busy_timeout = 300"
                )
            with transaction.atomic(), own_connection.cursor() as cursor:
                cursor.execute("DELETE FROM debtors_debtor WHERE id = %s", [ana.pk])
            attempts.append("deleted")
        except DatabaseError as error:
            attempts.append(type(error).__name__)
        finally:
            own_connection.close()

    def try_a_delete():
        other = threading.Thread(target=delete_from_elsewhere)
        other.start()
        other.join()

    def end_after_a_delete_is_tried(self):
        try_a_delete()
        real_end(self)

    def merge_then_try_a_delete(self, **arguments):
        result = real_merge(self, **arguments)
        try_a_delete()  # still inside the chunk's own transaction
        return result

    real_merge = Staging.merge_chunk
    if connection.vendor == "postgresql":
        monkeypatch.setattr(Staging, "end", end_after_a_delete_is_tried)
    else:  # SQLite commits chunk by chunk: the delete is tried inside the chunk's transaction
        monkeypatch.setattr(Staging, "merge_chunk", merge_then_try_a_delete)
    # Only a new phone: the debtor's own row is not written, so only a lock protects it.
    result = portfolio_import(file=xlsx([row("C-1", "Ana", "CR-1", 100, phone=912345678)]), portfolio=lima)

    assert attempts == ["OperationalError"]  # it waited for the import's lock, and gave up
    assert result.updated == 1
    assert Debtor.objects.filter(pk=ana.pk).exists() and ana.phones.count() == 2


def test_the_tables_an_import_writes_have_no_triggers_of_their_own():
    # With its set-based reference checks an import switches PostgreSQL's triggers off for its
    # transaction: a trigger added to one of these tables later must be ENABLE ALWAYS (and this
    # test updated), or imports would skip it.
    tables = ["debtors_debtor", "debtors_debt", "debtors_phone", "debtors_balancechange"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = ANY(%s::regclass[])", [tables]
            )
        else:
            cursor.execute(
                f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({', '.join(['%s'] * len(tables))})",
                tables,
            )
        assert cursor.fetchall() == []

"""Loading a file again: rows met unchanged are counted without being read further
(Debt.import_hash); whatever changed since, in the file or by hand on the desk, is applied again.

Each test runs inside one transaction (every row staged, one merge) and committed with chunks
of three rows (PostgreSQL: the pipelined merge; SQLite: a transaction per batch, with undo).
"""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.sites import site
from django.utils import translation

from debtors.importing import loading
from debtors.importing.loading import portfolio_import
from debtors.models import BalanceChange, Debt, Debtor, Phone
from promises.services import payment_record

PATHS = [
    pytest.param(False, marks=pytest.mark.django_db, id="one-transaction"),
    pytest.param(True, marks=pytest.mark.django_db(transaction=True), id="committed-in-chunks"),
]
pytestmark = pytest.mark.parametrize("committed", PATHS)

HEADER = "Código de cliente;Apellidos y nombres;DNI;Teléfono;Nro. de crédito;Saldo deudor;Fecha de vencimiento"
FILE = [
    "C-001;Muñoz Pérez, José;12345678;987 654 321;CR-1;1.234,56;31/08/2026",
    "C-002;Ñuñez Ríos, Ana;87654321;912345678;CR-2;500,00;15/09/2026",
    "C-003;Quispe, Rosa;11223344;;CR-3;2.000,50;01/10/2026",
    "C-003;Quispe, Rosa;11223344;;CR-4;300,00;01/10/2026",
    "C-005;Flores, Luis;55667788;999888777;CR-5;80,00;01/11/2026",
]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch, tmp_path, settings, committed):
    settings.MEDIA_ROOT = tmp_path / "media"
    if committed:
        monkeypatch.setattr(loading, "BATCH_SIZE", 2)
        monkeypatch.setattr(loading, "CHUNK_ROWS", 3)
        monkeypatch.setattr(loading, "EDGE_CHUNK_ROWS", 2)


@pytest.fixture
def parsed_rows(monkeypatch):
    """The numbers of the rows the importer parsed (read cell by cell), in order."""
    numbers = []
    parse = loading._RowParser.parse

    def counting(self, number, cells, *args):
        numbers.append(number)
        return parse(self, number, cells, *args)

    monkeypatch.setattr(loading._RowParser, "parse", counting)
    return numbers


def load(tmp_path, lima, rows, name="cartera.csv", **options):
    path = tmp_path / name
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp1252"))
    result = portfolio_import(file=path, portfolio=lima, **options)
    return result, (result.created, result.updated, result.unchanged, result.rejected)


def states():
    return {
        debt.account_reference: (debt.balance, debt.due_date, debt.recalled_on, debt.updated_at, debt.debtor.full_name)
        for debt in Debt.objects.select_related("debtor")
    }


def test_an_unchanged_file_loaded_again_is_counted_unchanged_and_not_read_again(tmp_path, lima, parsed_rows):
    assert load(tmp_path, lima, FILE)[1] == (5, 0, 0, 0)
    before, phones = states(), Phone.objects.count()
    parsed_rows.clear()

    assert load(tmp_path, lima, FILE, name="again.csv")[1] == (0, 0, 5, 0)
    assert parsed_rows == []
    assert states() == before and Phone.objects.count() == phones
    assert not BalanceChange.objects.exists()


def test_only_the_changed_rows_are_read_and_applied(tmp_path, lima, parsed_rows):
    load(tmp_path, lima, FILE)
    changed = list(FILE)
    changed[1] = "C-002;Ñuñez Ríos, Ana;87654321;912345678;CR-2;450,00;15/09/2026"
    changed.append("C-006;Torres, Elena;99887766;955444333;CR-6;75,00;01/12/2026")
    parsed_rows.clear()

    assert load(tmp_path, lima, changed, name="changed.csv")[1] == (1, 1, 4, 0)
    assert parsed_rows == [3, 7]  # the header is row 1
    assert Debt.objects.get(account_reference="CR-2").balance == Decimal("450.00")
    assert BalanceChange.objects.get().new_balance == Decimal("450.00")
    # Loaded a third time, the changed rows are now known too.
    parsed_rows.clear()
    assert load(tmp_path, lima, changed, name="third.csv")[1] == (0, 0, 6, 0)
    assert parsed_rows == []


def test_a_payment_recorded_on_the_desk_does_not_hide_the_files_balance(tmp_path, lima):
    load(tmp_path, lima, FILE)
    ana_debt = Debt.objects.get(account_reference="CR-2")
    payment_record(
        debtor=ana_debt.debtor,
        debt=ana_debt,
        amount=Decimal("100.00"),
        reference="OP-1",
        source="manual",
        paid_at=datetime(2026, 11, 20, 10, tzinfo=ZoneInfo("America/Lima")),
    )
    assert Debt.objects.get(pk=ana_debt.pk).balance == Decimal("400.00")

    assert load(tmp_path, lima, FILE, name="again.csv")[1] == (0, 1, 4, 0)
    assert Debt.objects.get(pk=ana_debt.pk).balance == Decimal("500.00")


def test_a_debt_or_a_name_edited_by_hand_is_set_again_by_the_same_file(tmp_path, lima):
    load(tmp_path, lima, FILE)
    debt = Debt.objects.get(account_reference="CR-1")
    debt.due_date = debt.due_date.replace(day=1)
    debt.save()
    rosa = Debtor.objects.get(external_id="C-003")
    rosa.full_name = "Rosa Quispe"
    rosa.save()

    # José's row, and both of Rosa's (her name is in each): applied again.
    assert load(tmp_path, lima, FILE, name="again.csv")[1] == (0, 3, 2, 0)
    assert Debt.objects.get(pk=debt.pk).due_date.day == 31
    assert Debtor.objects.get(pk=rosa.pk).full_name == "Quispe, Rosa"


def test_a_phone_removed_by_hand_comes_back_with_the_same_file(tmp_path, lima, rf, ana):
    load(tmp_path, lima, FILE)
    phone = Phone.objects.get(debtor__external_id="C-002")
    site._registry[Phone].delete_model(rf.post("/"), phone)
    assert not Phone.objects.filter(debtor__external_id="C-002").exists()

    assert load(tmp_path, lima, FILE, name="again.csv")[1] == (0, 1, 4, 0)
    assert [str(p.number) for p in Phone.objects.filter(debtor__external_id="C-002")] == ["+51912345678"]


def test_another_mapping_reads_every_row_again(tmp_path, lima, parsed_rows):
    load(tmp_path, lima, FILE)
    parsed_rows.clear()

    # The phone column left out: the same cells, read otherwise.
    assert load(tmp_path, lima, FILE, name="again.csv", mapping={"phone": None})[1] == (0, 0, 5, 0)
    assert parsed_rows == [2, 3, 4, 5, 6]
    parsed_rows.clear()
    assert load(tmp_path, lima, FILE, name="third.csv", mapping={"phone": None})[1] == (0, 0, 5, 0)
    assert parsed_rows == []


def test_a_recalled_account_that_comes_back_is_active_again(tmp_path, lima):
    load(tmp_path, lima, FILE)
    result, counts = load(tmp_path, lima, FILE[:-1], name="without-luis.csv", whole_portfolio=True)
    assert counts == (0, 0, 4, 0) and result.recalled == 1
    assert Debt.objects.get(account_reference="CR-5").recalled_on is not None

    assert load(tmp_path, lima, FILE, name="with-luis.csv", whole_portfolio=True)[1] == (0, 1, 4, 0)
    assert Debt.objects.get(account_reference="CR-5").recalled_on is None


def test_a_row_repeating_an_unchanged_one_is_still_rejected(tmp_path, lima):
    load(tmp_path, lima, FILE)
    repeated = [*FILE, FILE[0], FILE[1].replace("500,00", "1,00")]
    with translation.override("en"):
        result, counts = load(tmp_path, lima, repeated, name="repeated.csv")

    assert counts == (0, 0, 5, 2)
    assert [(problem.row, problem.value) for problem in result.problems] == [(7, "C-001"), (8, "C-002")]
    assert result.problems[0].reason.startswith("Row 2 already has this customer code and account")
    assert Debt.objects.get(account_reference="CR-2").balance == Decimal("500.00")


def test_a_customers_details_still_come_from_their_first_row_when_it_is_skipped(tmp_path, lima):
    load(tmp_path, lima, FILE)
    changed = list(FILE)
    changed[3] = "C-003;Quispe Mamani, Rosa;11223344;;CR-4;250,00;01/10/2026"

    assert load(tmp_path, lima, changed, name="changed.csv")[1] == (0, 1, 4, 0)
    rosa = Debtor.objects.get(external_id="C-003")
    assert rosa.full_name == "Quispe, Rosa"
    assert rosa.debts.get(account_reference="CR-4").balance == Decimal("250.00")
    # Her second row is not in step with her name: read again each time, never skipped.
    assert load(tmp_path, lima, changed, name="third.csv")[1] == (0, 0, 5, 0)


def test_an_import_that_fails_leaves_the_row_hashes_as_they_were(tmp_path, lima, monkeypatch):
    load(tmp_path, lima, FILE)
    hashes = dict(Debt.objects.values_list("account_reference", "import_hash"))
    changed = list(FILE)
    changed[0] = "C-001;Muñoz Pérez, José;12345678;987 654 321;CR-1;1.000,00;31/08/2026"
    real_recall = loading.Staging.recall_absent

    def recall_then_fail(self, **arguments):  # the worker fails after every chunk was written
        real_recall(self, **arguments)
        raise OSError("disk full")

    monkeypatch.setattr(loading.Staging, "recall_absent", recall_then_fail)
    with pytest.raises(OSError):
        load(tmp_path, lima, changed, name="changed.csv", whole_portfolio=True)
    assert dict(Debt.objects.values_list("account_reference", "import_hash")) == hashes
    assert Debt.objects.get(account_reference="CR-1").balance == Decimal("1234.56")

    monkeypatch.setattr(loading.Staging, "recall_absent", real_recall)
    assert load(tmp_path, lima, changed, name="again.csv")[1] == (0, 1, 4, 0)
    assert Debt.objects.get(account_reference="CR-1").balance == Decimal("1000.00")

"""Files as creditors send them, with no mapping file: keys spelled their way, partial
mappings, and a rejected-rows report the admin corrects and loads again."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import Workbook

from debtors.importing.loading import ImportFileError, portfolio_get_or_create, portfolio_import
from debtors.importing.mapping import suggest_mapping
from debtors.models import Debt, Debtor, Phone
from promises.importing import payments_import
from promises.models import Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def cdmx():
    return portfolio_get_or_create(portfolio="Créditos personales", creditor="Financiera del Valle", country="MX")


@pytest.fixture
def madrid():
    return portfolio_get_or_create(portfolio="Impagados", creditor="Caja Meseta", country="ES")


def csv_bytes(lines, *, delimiter, encoding):
    return ("\r\n".join(delimiter.join(line) for line in lines) + "\r\n").encode(encoding)


def xlsx_bytes(lines):
    book = Workbook()
    for line in lines:
        book.active.append(list(line))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_report(result):
    with open(result.report_path, encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


# --- A Mexican file keyed by RFC -----------------------------------------------------------

MEXICAN = [
    ("RFC", "Nombre del acreditado", "Número de crédito", "Saldo insoluto", "Fecha de vencimiento", "Teléfono celular"),
    ("GOMA800101AB1", "MARIA GOMEZ ARIAS", "CRED-0001", "12,345.67", "15/09/2026", "55 1234 5678"),
    ("GOMA800101AB1", "MARIA GOMEZ ARIAS", "CRED-0002", "1,000.00", "15/10/2026", "55 1234 5678"),
    ("PERJ751231XY9", "JUAN PÉREZ", "CRED-0003", "500.00", "01/10/2026", "33 8765 4321"),
]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(
            b"\xef\xbb\xbf"
            + csv_bytes(MEXICAN, delimiter=",", encoding="utf-8")
            .replace(b"12,345.67", b'"12,345.67"')
            .replace(b"1,000.00", b'"1,000.00"'),
            id="utf8-bom-commas",
        ),
        pytest.param(xlsx_bytes(MEXICAN), id="xlsx"),
    ],
)
def test_a_mexican_file_keyed_by_rfc_loads_without_a_mapping(cdmx, content):
    result = portfolio_import(file=io.BytesIO(content), portfolio=cdmx)

    assert (result.created, result.rejected) == (3, 0)
    maria = Debtor.objects.get(portfolio=cdmx, external_id="GOMA800101AB1")
    assert maria.national_id == "GOMA800101AB1"  # the RFC is her key and her document
    assert sorted(maria.debts.values_list("account_reference", "balance")) == [
        ("CRED-0001", Decimal("12345.67")),
        ("CRED-0002", Decimal("1000.00")),
    ]
    assert Phone.objects.get(debtor=maria).number.as_e164 == "+525512345678"


# --- A Spanish file keyed by "Referencia" --------------------------------------------------

SPANISH = [
    ("Referencia", "Titular", "Importe", "F. Vencimiento", "Móvil"),
    ("REF-1001", "Núñez Peña, María José", "1.234,56", "31/08/2026", "612 345 678"),
    ("REF-1002", "Ibáñez, Íñigo", "89,90", "15/09/2026", ""),
]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(csv_bytes(SPANISH, delimiter=";", encoding="latin-1"), id="latin1-semicolons"),
        pytest.param(xlsx_bytes(SPANISH), id="xlsx"),
    ],
)
def test_a_spanish_file_keyed_by_referencia_loads_without_a_mapping(madrid, content):
    result = portfolio_import(file=io.BytesIO(content), portfolio=madrid)

    assert (result.created, result.rejected) == (2, 0)
    debt = Debt.objects.get(account_reference="REF-1001")
    assert (debt.debtor.external_id, debt.debtor.full_name, debt.balance) == (
        "REF-1001",
        "Núñez Peña, María José",
        Decimal("1234.56"),
    )


def test_with_a_nif_beside_the_referencia_the_nif_keys_the_customer(madrid):
    lines = [
        ("NIF", "Nº de operación", "Apellidos y nombre", "Deuda", "Vencimiento"),
        ("12345678Z", "OP-1", "Núñez, María", "100,00", "31/08/2026"),
        ("12345678Z", "OP-2", "Núñez, María", "200,00", "31/08/2026"),
    ]
    result = portfolio_import(file=io.BytesIO(csv_bytes(lines, delimiter=";", encoding="cp1252")), portfolio=madrid)

    assert result.created == 2
    assert Debtor.objects.get().debts.count() == 2


@pytest.mark.parametrize(
    "header",
    [
        "Referencia",
        "Nº de operación",
        "No. de operación",
        "N° operación",
        "N.º operación",
        "Nro. de cuenta",
        "Núm. de crédito",
        "NUMERO DE CREDITO",
        "Contrato",
        "Póliza",
        "Nº póliza",
        "Expediente",
        "Nro. Expediente",
        "Número de obligación",
        "Folio",
    ],
)
def test_the_usual_spellings_of_the_account_reference_are_known(header):
    assert suggest_mapping(["Código de cliente", header, "Saldo"]) == {
        "external_id": 0,
        "account_reference": 1,
        "balance": 2,
    }


@pytest.mark.parametrize(
    "header", ["RFC", "CURP", "DNI", "NIF", "RUT", "Cédula", "CÉDULA DE IDENTIDAD", "Nro. Documento"]
)
def test_a_national_id_keys_the_customer_when_there_is_no_customer_code(madrid, header):
    lines = [(header, "Nombre", "Saldo", "Vencimiento"), ("ID-77", "Ana Ríos", "10,00", "31/08/2026")]
    portfolio_import(file=io.BytesIO(csv_bytes(lines, delimiter=";", encoding="cp1252")), portfolio=madrid)

    assert Debtor.objects.values_list("external_id", "national_id").get() == ("ID-77", "ID-77")


def test_a_payments_file_keeps_referencia_as_the_payments_own_reference():
    from debtors.importing.mapping import PAYMENTS

    assert suggest_mapping(["Referencia", "Nº de crédito", "Importe", "Fecha"], file_kind=PAYMENTS) == {
        "account_reference": 1,
        "reference": 0,
        "amount": 2,
        "paid_at": 3,
    }


# --- A mapping file that names only what it changes ---------------------------------------

ODD = [
    ("Código de cliente", "Apellidos y nombres", "Saldo", "Deuda al día", "Fecha de vencimiento", "Teléfono 2"),
    ("C-1", "Ríos, Ana", "1,00", "150,00", "31/08/2026", "912345678"),
]


def odd_file():
    return io.BytesIO(csv_bytes(ODD, delimiter=";", encoding="cp1252"))


def test_a_mapping_file_names_only_the_columns_it_changes(madrid):
    # "Saldo" would be taken for the balance; the creditor says it is "Deuda al día".
    result = portfolio_import(file=odd_file(), portfolio=madrid, mapping=json.dumps({"balance": "Deuda al día"}))

    assert result.created == 1
    debt = Debt.objects.get()
    assert (debt.debtor.external_id, debt.debtor.full_name, debt.balance) == ("C-1", "Ríos, Ana", Decimal("150.00"))
    assert Phone.objects.count() == 1  # detected, since the mapping did not name it


def test_a_mapping_can_say_a_detected_column_is_not_to_be_read(madrid):
    portfolio_import(file=odd_file(), portfolio=madrid, mapping={"phone_2": None})

    assert Debt.objects.get().balance == Decimal("1.00")
    assert not Phone.objects.exists()


def test_a_mapping_naming_a_column_the_file_lacks_says_which_columns_it_has(madrid):
    with translation.override("en"), pytest.raises(ImportFileError) as error:
        portfolio_import(file=odd_file(), portfolio=madrid, mapping={"balance": "Saldo capital"})
    assert str(error.value.message) == (
        "The mapping takes “balance” from the column “Saldo capital”, which this file does not have. Columns in the "
        "file: Código de cliente, Apellidos y nombres, Saldo, Deuda al día, Fecha de vencimiento, Teléfono 2."
    )


# --- The rejected-rows report, corrected and loaded again ----------------------------------

WITH_BAD_ROWS = [
    ("Cartera Caja Meseta — octubre",),
    ("Código de cliente", "Apellidos y nombres", "DNI", "Teléfono", "Saldo deudor", "Fecha de vencimiento", "Notas"),
    ("C-1", "Núñez, María", "111", "612345678", "100,00", "31/08/2026", "ok"),
    ("C-2", "Ibáñez, Íñigo", "222", "612000111", "mucho", "31/08/2026", "saldo mal"),
    ("C-3", "Peña, José", "333", "", "50,00", "31/02/2026", "fecha mal"),
    ("", "Sin Código", "444", "", "10,00", "31/08/2026", ""),
]


@pytest.mark.parametrize(("language", "own_headers"), [("es", ["Fila", "Motivo"]), ("en", ["Row", "Reason"])])
def test_the_report_gives_each_rejected_row_whole_with_its_number_and_reason(madrid, language, own_headers):
    content = csv_bytes(WITH_BAD_ROWS, delimiter=";", encoding="cp1252")
    with translation.override(language):
        result = portfolio_import(file=io.BytesIO(content), portfolio=madrid)

    header, *rows = read_report(result)
    assert header == [*own_headers, *WITH_BAD_ROWS[1]]
    assert [row[0] for row in rows] == ["4", "5", "6"]  # the rows' numbers in the file
    assert [row[2:] for row in rows] == [list(line) for line in WITH_BAD_ROWS[3:]]
    if language == "en":
        assert [row[1] for row in rows] == [
            "Saldo deudor: “mucho” is not a number.",
            "Fecha de vencimiento: “31/02/2026” is not a day that exists.",
            "Código de cliente: The cell is empty.",
        ]


@pytest.mark.parametrize("as_xlsx", [False, True], ids=["csv", "xlsx"])
def test_the_corrected_report_loads_again_and_its_rows_are_accepted(madrid, as_xlsx):
    content = csv_bytes(WITH_BAD_ROWS, delimiter=";", encoding="cp1252")
    first = portfolio_import(file=io.BytesIO(content), portfolio=madrid)
    assert (first.created, first.rejected) == (1, 3)

    # The admin opens the report, fixes the cells at fault and sends it back as it is.
    header, *rows = read_report(first)
    fixes = {"C-2": {6: "2.000,00"}, "C-3": {7: "28/02/2026"}, "": {2: "C-4"}}
    for row in rows:
        for index, value in fixes[row[2]].items():
            row[index] = value
    corrected = (
        xlsx_bytes([header, *rows]) if as_xlsx else csv_bytes([header, *rows], delimiter=";", encoding="utf-8-sig")
    )
    again = portfolio_import(file=io.BytesIO(corrected), portfolio=madrid)

    assert (again.created, again.rejected) == (3, 0)
    assert read_report(again) == [header]
    assert sorted(Debtor.objects.values_list("external_id", flat=True)) == ["C-1", "C-2", "C-3", "C-4"]
    assert Debt.objects.get(debtor__external_id="C-2").balance == Decimal("2000.00")


def test_a_phone_kept_safe_from_spreadsheets_in_the_report_loads_back(madrid):
    lines = [
        ("Código de cliente", "Nombre", "Móvil", "Saldo", "Vencimiento"),
        ("C-1", "Ana", "+34 612 345 678", "10,00", "31/02/2026"),
    ]
    first = portfolio_import(file=io.BytesIO(csv_bytes(lines, delimiter=";", encoding="utf-8")), portfolio=madrid)
    header, row = read_report(first)
    assert row[4] == "'+34 612 345 678"  # so that no spreadsheet takes it for a formula
    row[6] = "28/02/2026"

    again = portfolio_import(
        file=io.BytesIO(csv_bytes([header, row], delimiter=";", encoding="utf-8")), portfolio=madrid
    )

    assert again.created == 1
    assert Phone.objects.get().number.as_e164 == "+34612345678"


def test_the_reports_own_headers_are_known_in_every_language(settings):
    from debtors.importing.mapping import report_own_columns

    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            assert report_own_columns([translation.gettext("Row"), translation.gettext("Reason"), "Saldo"]) == 2
    assert report_own_columns(["Código", "Saldo"]) == 0


def test_a_mapping_may_read_the_customer_code_from_the_document_column(madrid):
    lines = [("RFC", "Nombre", "Saldo", "Vencimiento"), ("GOMA800101AB1", "María", "10,00", "31/08/2026")]
    mapping = {"external_id": "RFC", "national_id": "RFC"}
    portfolio_import(
        file=io.BytesIO(csv_bytes(lines, delimiter=";", encoding="utf-8")), portfolio=madrid, mapping=mapping
    )

    assert Debtor.objects.values_list("external_id", "national_id").get() == ("GOMA800101AB1", "GOMA800101AB1")


# --- Payments of customers keyed by their document ---------------------------------------


def test_payments_keyed_by_rfc_find_the_debtors_the_portfolio_keyed_by_rfc(cdmx):
    portfolio_import(file=io.BytesIO(xlsx_bytes(MEXICAN)), portfolio=cdmx)
    lines = [
        ("RFC", "Referencia", "Importe", "Fecha de pago"),
        ("PERJ751231XY9", "PAGO-1", "200.00", "01/11/2026"),
        ("XXXX000000XX0", "PAGO-2", "10.00", "01/11/2026"),
    ]

    with translation.override("en"):
        result = payments_import(file=io.BytesIO(csv_bytes(lines, delimiter=",", encoding="utf-8")), portfolio=cdmx)

    assert (result.created, result.rejected) == (1, 1)
    assert Payment.objects.get().debtor.full_name == "JUAN PÉREZ"
    assert read_report(result)[1][:2] == ["3", "RFC: No debtor in this portfolio has “XXXX000000XX0”."]


def test_a_document_two_debtors_share_does_not_pick_one_of_them(madrid):
    lines = [
        ("Código de cliente", "DNI", "Nombre", "Saldo", "Vencimiento"),
        ("C-1", "111", "Ana", "10,00", "31/08/2026"),
        ("C-2", "111", "Ana R.", "10,00", "31/08/2026"),
    ]
    portfolio_import(file=io.BytesIO(csv_bytes(lines, delimiter=";", encoding="utf-8")), portfolio=madrid)
    payments = [("DNI", "Referencia", "Importe", "Fecha de pago"), ("111", "P-1", "5,00", "01/11/2026")]

    with translation.override("en"):
        result = payments_import(
            file=io.BytesIO(csv_bytes(payments, delimiter=";", encoding="utf-8")), portfolio=madrid
        )

    assert (result.created, result.rejected) == (0, 1)
    assert read_report(result)[1][1] == (
        "DNI: Several debtors in this portfolio have the document “111”: name the customer code or the account."
    )


def test_the_report_of_an_excel_file_loads_again_once_corrected(madrid):
    from datetime import datetime

    book = [
        ("Código de cliente", "Apellidos y nombres", "Teléfono", "Saldo deudor", "Fecha de vencimiento"),
        ("C-1", "Núñez, María", 612345678, 1234.5, datetime(2026, 8, 31)),
        ("C-2", "Ibáñez, Íñigo", 612000111, "mucho", datetime(2026, 9, 15)),
    ]
    first = portfolio_import(file=io.BytesIO(xlsx_bytes(book)), portfolio=madrid)
    header, row = read_report(first)
    assert row == ["3", row[1], "C-2", "Ibáñez, Íñigo", "612000111", "mucho", "2026-09-15"]
    row[5] = "99,90"

    again = portfolio_import(
        file=io.BytesIO(csv_bytes([header, row], delimiter=";", encoding="utf-8-sig")), portfolio=madrid
    )

    assert (again.created, again.rejected) == (1, 0), read_report(again)
    debt = Debt.objects.get(debtor__external_id="C-2")
    assert (debt.balance, debt.due_date.isoformat()) == (Decimal("99.90"), "2026-09-15")
    assert Phone.objects.filter(debtor=debt.debtor).exists()


def test_a_report_is_never_loaded_as_the_whole_portfolio(madrid):
    content = csv_bytes(WITH_BAD_ROWS, delimiter=";", encoding="cp1252")
    first = portfolio_import(file=io.BytesIO(content), portfolio=madrid)
    report = csv_bytes(read_report(first), delimiter=";", encoding="utf-8")

    with translation.override("en"), pytest.raises(ImportFileError) as error:
        portfolio_import(file=io.BytesIO(report), portfolio=madrid, whole_portfolio=True)
    with translation.override("en"):
        assert "This is a rejected-rows report" in str(error.value.message)
    assert not Debt.objects.filter(recalled_on__isnull=False).exists()


def test_a_repeat_far_from_its_first_row_is_reported_whole(madrid, monkeypatch):
    from debtors.importing import loading

    monkeypatch.setattr(loading, "CHUNK_ROWS", 3)  # the reader forgets keys after three rows
    lines = [("Código de cliente", "Nombre", "Teléfono", "Saldo", "Vencimiento")]
    lines += [(f"C-{n}", f"Cliente {n}", f"61234567{n}", "10,00", "31/08/2026") for n in range(1, 7)]
    lines.append(("C-1", "Otra Persona", "699999999", "99,00", "30/09/2026"))  # row 8 repeats row 2's key
    with translation.override("en"):
        result = portfolio_import(file=io.BytesIO(csv_bytes(lines, delimiter=";", encoding="cp1252")), portfolio=madrid)

    assert (result.created, result.rejected) == (6, 1)
    assert read_report(result)[1:] == [
        [
            "8",
            "Código de cliente: Row 2 already has this customer code and account; this row was skipped.",
            "C-1",
            "Otra Persona",
            "699999999",
            "99,00",
            "30/09/2026",
        ]
    ]
    assert Debt.objects.get(debtor__external_id="C-1").balance == Decimal("10.00")

"""Which column feeds which field: suggestions from header spellings, and saved mappings."""

import json
from collections import defaultdict

import pytest
from django.utils.functional import Promise

from debtors.importing.mapping import FIELDS, PAYMENTS, PORTFOLIO, mapping_from_json, normalise_header, suggest_mapping
from debtors.importing.values import ValueProblem

pytestmark = pytest.mark.usefixtures("english_messages")


def test_every_field_has_a_translatable_label_and_spellings():
    expected = {
        "external_id",
        "national_id",
        "full_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "phone_2",
        "phone_3",
        "account_reference",
        "product",
        "original_amount",
        "balance",
        "due_date",
        "currency",
        "time_zone",
        "reference",
        "amount",
        "paid_at",
    }
    assert set(FIELDS) == expected
    for field in FIELDS.values():
        assert isinstance(field.label, Promise) and str(field.label)
        assert field.spellings


@pytest.mark.parametrize("file_kind", [PORTFOLIO, PAYMENTS])
def test_no_spelling_names_two_fields_in_one_kind_of_file(file_kind):
    fields_by_spelling = defaultdict(set)
    for field in FIELDS.values():
        if file_kind in field.files:
            for spelling in field.spellings:
                fields_by_spelling[normalise_header(spelling)].add(field.name)
    assert {spelling: names for spelling, names in fields_by_spelling.items() if len(names) > 1} == {}


@pytest.mark.parametrize(
    ("header", "spelling"),
    [
        ("  TELÉFONO ", "telefono"),
        ("Nro. de Crédito", "numero credito"),
        ("Nº crédito", "numero credito"),
        ("N° de crédito", "numero credito"),
        ("F. Venc.", "fecha vencimiento"),
        ("Cod.Cliente", "codigo cliente"),
        ("Teléfono1", "telefono 1"),
        ("Apellidos y Nombres", "apellidos nombres"),
    ],
)
def test_headers_are_compared_without_case_accents_or_punctuation(header, spelling):
    assert normalise_header(header) == spelling


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Documento", "Apellidos y Nombres", "Celular", "Correo", "Saldo Deudor", "Fecha de Vencimiento", "Moneda"],
            {"national_id": 0, "full_name": 1, "email": 3, "phone": 2, "balance": 4, "due_date": 5, "currency": 6},
        ),
        (
            ["RUT", "Nombres", "Apellidos", "Fono", "Monto adeudado", "F. Venc.", "N° de operación"],
            {
                "national_id": 0,
                "first_name": 1,
                "last_name": 2,
                "phone": 3,
                "account_reference": 6,
                "balance": 4,
                "due_date": 5,
            },
        ),
        (
            ["Cod. Cliente", "RFC", "Razón Social", "Tel.", "Importe pendiente", "Número de cuenta", "Producto"],
            {
                "external_id": 0,
                "national_id": 1,
                "full_name": 2,
                "phone": 3,
                "account_reference": 5,
                "product": 6,
                "balance": 4,
            },
        ),
        (
            [
                "Customer ID",
                "SSN",
                "Full Name",
                "E-mail",
                "Phone",
                "Balance",
                "Due Date",
                "Account Number",
                "Time zone",
            ],
            {
                "external_id": 0,
                "national_id": 1,
                "full_name": 2,
                "email": 3,
                "phone": 4,
                "account_reference": 7,
                "balance": 5,
                "due_date": 6,
                "time_zone": 8,
            },
        ),
    ],
)
def test_it_suggests_fields_from_spanish_and_english_headers(headers, expected):
    assert suggest_mapping(headers) == expected


def test_exact_matches_come_before_partial_ones():
    assert suggest_mapping(["Saldo deudor total (S/)", "Saldo"]) == {"balance": 1}


def test_the_longest_partial_match_wins():
    assert suggest_mapping(["Saldo deudor al corte", "Fecha de vencimiento del crédito"]) == {
        "balance": 0,
        "due_date": 1,
    }


def test_each_header_feeds_one_field_and_extra_phones_fill_the_phone_slots():
    headers = ["DNI", "Teléfono", "Celular", "WhatsApp", "Teléfono 4", "Documento"]
    assert suggest_mapping(headers) == {"national_id": 0, "phone": 1, "phone_2": 2, "phone_3": 3}


def test_numbered_phones_keep_their_numbers():
    assert suggest_mapping(["Teléfono 2", "Teléfono 1", "Teléfono 3"]) == {"phone": 1, "phone_2": 0, "phone_3": 2}


def test_first_names_alone_are_the_full_name():
    assert suggest_mapping(["DNI", "Nombres"]) == {"national_id": 0, "full_name": 1}


def test_a_document_type_column_is_not_the_document_number():
    assert suggest_mapping(["Tipo de documento", "Nro. documento"]) == {"national_id": 1}


def test_payment_files_map_amounts_to_the_payment():
    headers = ["Nro. de operación", "Fecha de pago", "Monto", "Código de cliente", "Número de crédito"]
    assert suggest_mapping(headers, file_kind=PAYMENTS) == {
        "external_id": 3,
        "account_reference": 4,
        "reference": 0,
        "amount": 2,
        "paid_at": 1,
    }
    assert suggest_mapping(["Monto"]) == {"balance": 0}


def test_unknown_headers_are_left_out():
    assert suggest_mapping(["Observaciones", "", "Zona"]) == {}


HEADERS = ["Código de cliente", "DNI", "Apellidos y nombres", "Teléfono", "Saldo"]


def test_a_saved_mapping_reads_against_the_files_headers():
    saved = {
        "external_id": "Código de cliente",
        "full_name": "Apellidos y nombres",
        "balance": "Saldo",
        "phone": "Teléfono",
    }
    assert mapping_from_json(saved, HEADERS) == {"external_id": 0, "full_name": 2, "phone": 3, "balance": 4}
    assert mapping_from_json(json.dumps(saved), HEADERS) == mapping_from_json(saved, HEADERS)


def test_a_saved_mapping_survives_a_reexport_that_changed_case_and_accents():
    assert mapping_from_json({"phone": "TELEFONO"}, HEADERS) == {"phone": 3}


@pytest.mark.parametrize(
    ("saved", "code", "message"),
    [
        ({"saldo": "Saldo"}, "unknown_field", "The mapping names a field the importer does not know: “saldo”."),
        (
            {"balance": "Saldo capital"},
            "missing_header",
            "The mapping takes “balance” from the column “Saldo capital”, which this file does not have.",
        ),
        (
            {"phone": "Teléfono", "phone_2": "TELÉFONO"},
            "header_used_twice",
            "The column “Teléfono” is mapped to both “phone” and “phone_2”.",
        ),
        (["balance"], "invalid_mapping", "A mapping file must pair field names with column headers, as a JSON object."),
        (
            {"balance": 4},
            "invalid_mapping",
            "A mapping file must pair field names with column headers, as a JSON object.",
        ),
        ("{not json", "invalid_mapping", "A mapping file must pair field names with column headers, as a JSON object."),
    ],
)
def test_a_broken_mapping_says_what_is_wrong(saved, code, message):
    with pytest.raises(ValueProblem) as problem:
        mapping_from_json(saved, HEADERS)
    assert problem.value.code == code
    assert str(problem.value).startswith(message)

"""Column mappings: which column of a creditor's file feeds which of the importer's fields.

A creditor's file names its columns however its bank's system does ("Apellidos y nombres",
"Nro. de crédito", "F. Venc."); the fields and their spellings are in `fields` (re-exported
here). `suggest_mapping` proposes which column feeds which field; a person confirms it, and
the confirmed mapping is saved per creditor (see Creditor) and read back with
`mapping_from_json`. A mapping file may name only the columns it changes:
`resolve_mapping` detects the rest.
"""

import json
import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from debtors.importing.fields import BOTH, FIELDS, PAYMENTS, PHONE_FIELDS, PORTFOLIO, ImportField, fields_for
from debtors.importing.values import ValueProblem

__all__ = [
    "BOTH",
    "CUSTOMER_KEY_FIELDS",
    "FIELDS",
    "PAYMENTS",
    "PHONE_FIELDS",
    "PORTFOLIO",
    "REPORT_OWN_HEADERS",
    "ImportField",
    "contains_words",
    "customer_key_field",
    "fields_for",
    "known_header_spellings",
    "mapping_from_json",
    "missing_fields",
    "normalise_header",
    "report_own_columns",
    "resolve_mapping",
    "suggest_mapping",
]

# Headers that contain a field's words but are not that field: "Tipo de documento" is not the
# document number, "Tipo de teléfono" not a phone.
# The rejected-rows report's own two first columns, in each language (the report is
# corrected and loaded again: they are not the file's).
REPORT_OWN_HEADERS = (("fila", "row"), ("motivo", "reason"))
_NOT_A_FIELD = (
    "tipo de documento",
    "tipo documento",
    "tipo doc.",
    "tipo de teléfono",
    "tipo teléfono",
    "tipo de cliente",
    "tipo de persona",
    *(header for pair in REPORT_OWN_HEADERS for header in pair),
)


def report_own_columns(headers: list[str]) -> int:
    """How many of the first headers are a rejected-rows report's own (0 in a creditor's file)."""
    if len(headers) >= 2 and all(
        normalise_header(header) in spellings for header, spellings in zip(headers, REPORT_OWN_HEADERS)
    ):
        return 2
    return 0


# Abbreviations that mean the same word, so that "Nro. de crédito", "Nº crédito" and
# "Número de crédito" are one spelling; small words that carry no meaning in a header.
_SYNONYMS = {
    "nro": "numero",
    "num": "numero",
    "no": "numero",
    "n": "numero",
    "nr": "numero",
    "number": "numero",
    "cod": "codigo",
    "tel": "telefono",
    "telf": "telefono",
    "cel": "celular",
    "f": "fecha",
    "fec": "fecha",
    "fch": "fecha",
    "venc": "vencimiento",
    "vcto": "vencimiento",
    "doc": "documento",
    "mail": "email",
}
_SMALL_WORDS = {"de", "del", "la", "el", "los", "las", "y", "of", "the"}
_WORDS = re.compile(r"[^\W\d_]+|\d+")
# "Nº", "N.º" and "N°" all abbreviate "número"; unicode would turn "º" into a letter "o"
# ("N.º operación" into "n o operacion", "Nºoperación" into one word), so it is a space first.
_ORDINALS = str.maketrans({"º": " ", "ª": " ", "°": " "})


def normalise_header(text: str) -> str:
    """A header reduced to what it says: no case, accents, punctuation or small words."""
    without_accents = "".join(
        char
        for char in unicodedata.normalize("NFKD", str(text).translate(_ORDINALS))
        if not unicodedata.combining(char)
    )
    words = (_SYNONYMS.get(word, word) for word in _WORDS.findall(without_accents.lower()))
    return " ".join(word for word in words if word not in _SMALL_WORDS)


def _spellings(field: ImportField, file_kind: str | None) -> tuple[str, ...]:
    if file_kind == PAYMENTS:
        return field.spellings
    return field.spellings + field.portfolio_spellings


def known_header_spellings(file_kind: str | None = None) -> frozenset:
    """Every normalised spelling of every field (of one kind of file, if given)."""
    fields = FIELDS.values() if file_kind is None else fields_for(file_kind).values()
    return frozenset(normalise_header(spelling) for field in fields for spelling in _spellings(field, file_kind))


def _spelling_index(file_kind: str) -> dict:
    index = {}
    for field in fields_for(file_kind).values():
        for spelling in _spellings(field, file_kind):
            index.setdefault(normalise_header(spelling), field.name)
    return index


# Columns that can stand for the creditor's customer code when a portfolio file has none,
# best first: the debtor's document (RFC, DNI, RUT...) identifies the person across accounts;
# failing that each account is its own customer.
CUSTOMER_KEY_FIELDS = ("external_id", "national_id", "account_reference")


def customer_key_field(mapped) -> str | None:
    """The field whose column keys the debtors of a portfolio file with these fields mapped."""
    return next((name for name in CUSTOMER_KEY_FIELDS if name in mapped), None)


def missing_fields(mapped, file_kind: str = PORTFOLIO) -> list[str]:
    """The fields a file of this kind cannot load without, given the fields that are mapped."""
    if file_kind == PAYMENTS:
        return [name for name in ("reference", "amount", "paid_at") if name not in mapped]
    missing = [] if customer_key_field(mapped) else ["external_id"]
    if "full_name" not in mapped and "first_name" not in mapped:
        missing.append("full_name")
    return missing + [name for name in ("balance", "due_date") if name not in mapped]


def contains_words(header: str, spelling: str) -> bool:
    """Whether a normalised spelling appears in a normalised header as whole words."""
    return f" {spelling} " in f" {header} "


def suggest_mapping(headers: list[str], *, file_kind: str = PORTFOLIO) -> dict[str, int]:
    """Propose which column (by index) feeds each field.

    1. Normalise the headers and every field's spellings alike (case, accents,
       punctuation, "Nro."/"Número", small words).
    2. Exact matches first, in column order: a field takes the first column that names it.
    3. Then partial matches: each remaining column stands for the field of the longest
       spelling it contains ("Fecha de pago del cliente" is the payment date, not a name:
       "fecha pago" is longer than "cliente"), and the most specific columns choose first.
       A column whose field is taken stays out ("Saldo deudor total" beside "Saldo" is not
       the debtor's name for containing "deudor").
    4. Extra phone columns ("Celular", "WhatsApp", "Teléfono 4") fill the free phone slots
       in column order.
    5. Names given as first names only are the full name.
    Each column feeds at most one field; the result is in the order of FIELDS.
    """
    spelling_index = _spelling_index(file_kind)
    ignored = {normalise_header(text) for text in _NOT_A_FIELD}
    normalised = [normalise_header(header) for header in headers]
    mapping: dict[str, int] = {}
    used: set[int] = set()

    def assign(field_name: str, column: int) -> None:
        mapping[field_name] = column
        used.add(column)

    candidates = [(column, header) for column, header in enumerate(normalised) if header and header not in ignored]
    for column, header in candidates:
        field_name = spelling_index.get(header)
        if field_name and field_name not in mapping:
            assign(field_name, column)

    field_order = {name: position for position, name in enumerate(FIELDS)}
    best_partial = []
    for column, header in candidates:
        if column in used:
            continue
        matches = [
            (-len(spelling.split()), field_order[field_name], field_name)
            for spelling, field_name in spelling_index.items()
            if contains_words(header, spelling)
        ]
        if matches:
            words, _order, field_name = min(matches)
            best_partial.append((words, column, field_name))
    for _words, column, field_name in sorted(best_partial):
        if field_name not in mapping:
            assign(field_name, column)

    phone_spellings = [spelling for spelling, name in spelling_index.items() if name in PHONE_FIELDS]
    free_phone_fields = [name for name in PHONE_FIELDS if name not in mapping and name in spelling_index.values()]
    for column, header in candidates:
        if free_phone_fields and column not in used and any(contains_words(header, s) for s in phone_spellings):
            assign(free_phone_fields.pop(0), column)

    if "first_name" in mapping and "last_name" not in mapping and "full_name" not in mapping:
        mapping["full_name"] = mapping.pop("first_name")
    return {name: mapping[name] for name in FIELDS if name in mapping}


def mapping_from_json(obj, headers: list[str]) -> dict[str, int]:
    """Read a saved mapping {"field name": "header text"} against this file's headers.

    Headers are found exactly first, then as their normalised spelling (a file re-exported
    with "TELÉFONO" for "Teléfono" still maps). A field given null or "" is not in the file.
    Raises ValueProblem with code "invalid_mapping", "unknown_field", "missing_header" or
    "header_used_twice".
    """
    mapping, _absent = _read_mapping(obj, headers)
    return mapping


def resolve_mapping(obj, headers: list[str], *, file_kind: str = PORTFOLIO) -> dict[str, int]:
    """A mapping that names only the columns it changes, completed by detection.

    The fields it names take the columns it says (null or "" for a field the file lacks);
    every other field takes the column suggest_mapping finds for it, unless the mapping
    gave that column to another field.
    """
    given, absent = _read_mapping(obj, headers)
    taken = set(given.values())
    detected = suggest_mapping(headers, file_kind=file_kind)
    mapping = {
        name: column
        for name, column in detected.items()
        if name not in given and name not in absent and column not in taken
    }
    mapping.update(given)
    return {name: mapping[name] for name in FIELDS if name in mapping}


def _read_mapping(obj, headers: list[str]) -> tuple[dict[str, int], set[str]]:
    if isinstance(obj, (str, bytes)):
        try:
            obj = json.loads(obj)
        except ValueError:
            obj = None
    if not isinstance(obj, dict) or not all(value is None or isinstance(value, str) for value in obj.values()):
        raise ValueProblem(
            "invalid_mapping", _("A mapping file must pair field names with column headers, as a JSON object.")
        )
    exact = {}
    by_spelling = {}
    for column, header in enumerate(headers):
        exact.setdefault(header.strip(), column)
        by_spelling.setdefault(normalise_header(header), column)
    mapping: dict[str, int] = {}
    absent: set[str] = set()
    field_of_column: dict[int, str] = {}
    for field_name, header in obj.items():
        if field_name not in FIELDS:
            raise ValueProblem(
                "unknown_field",
                _("The mapping names a field the importer does not know: “%(field)s”. Known fields: %(known)s."),
                {"field": field_name, "known": ", ".join(FIELDS)},
            )
        if header is None or not header.strip():
            absent.add(field_name)
            continue
        column = exact.get(header.strip())
        if column is None:
            column = by_spelling.get(normalise_header(header))
        if column is None:
            raise ValueProblem(
                "missing_header",
                _(
                    "The mapping takes “%(field)s” from the column “%(header)s”, which this file does not have. "
                    "Columns in the file: %(headers)s."
                ),
                {"field": field_name, "header": header, "headers": ", ".join(h for h in headers if h.strip()) or "—"},
            )
        if column in field_of_column and not _may_share(field_of_column[column], field_name):
            raise ValueProblem(
                "header_used_twice",
                _("The column “%(header)s” is mapped to both “%(first)s” and “%(second)s”."),
                {"header": headers[column], "first": field_of_column[column], "second": field_name},
            )
        field_of_column.setdefault(column, field_name)
        mapping[field_name] = column
    return {name: mapping[name] for name in FIELDS if name in mapping}, absent


def _may_share(first: str, second: str) -> bool:
    # The customer code may be read from the column that also gives the document or the
    # account ("RFC" as both): that is what a file without a customer code does anyway.
    return {first, second} in ({"external_id", "national_id"}, {"external_id", "account_reference"})

"""The importer's fields: what each one is, which files have it, and the header spellings
that name it in a creditor's file ("Apellidos y nombres", "Nro. de crédito", "F. Venc.").

A table, read by `mapping` (which turns headers into a column mapping) and by the pages and
the API that list the fields.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PORTFOLIO = "portfolio"
PAYMENTS = "payments"
BOTH = frozenset({PORTFOLIO, PAYMENTS})


@dataclass(frozen=True)
class ImportField:
    name: str
    label: object  # a lazy translation
    spellings: tuple[str, ...]
    files: frozenset = frozenset({PORTFOLIO})
    # Spellings that name this field in a portfolio file only: there "Referencia" or "Nº de
    # operación" is the account, in a payments file it is the payment's own reference.
    portfolio_spellings: tuple[str, ...] = ()


_PHONE_WORDS = (
    "telefono",
    "teléfono",
    "tel.",
    "telf.",
    "fono",
    "celular",
    "cel.",
    "móvil",
    "movil",
    "phone",
    "mobile",
    "cell",
    "whatsapp",
)

FIELDS = {
    field.name: field
    for field in (
        ImportField(
            "external_id",
            _("creditor's customer code"),
            (
                "código de cliente",
                "cod. cliente",
                "id cliente",
                "id del cliente",
                "cliente id",
                "número de cliente",
                "nro. cliente",
                "código",
                "customer id",
                "customer code",
                "client id",
                "external id",
            ),
            BOTH,
        ),
        ImportField(
            "national_id",
            _("national id"),
            (
                "documento",
                "nro. documento",
                "número de documento",
                "documento de identidad",
                "doc. identidad",
                "DNI",
                "RUT",
                "RUN",
                "RFC",
                "NIF",
                "NIE",
                "CURP",
                "CUIT",
                "CUIL",
                "NIT",
                "cédula",
                "cédula de identidad",
                "CI",
                "CC",
                "national id",
                "tax id",
                "SSN",
            ),
            BOTH,
        ),
        ImportField(
            "full_name",
            _("full name"),
            (
                "nombre",
                "nombre completo",
                "nombres y apellidos",
                "apellidos y nombres",
                "nombre del cliente",
                "nombre cliente",
                "titular",
                "nombre del titular",
                "cliente",
                "razón social",
                "deudor",
                "nombre del deudor",
                "name",
                "full name",
                "customer name",
                "debtor name",
            ),
        ),
        ImportField(
            "first_name", _("first name"), ("nombres", "primer nombre", "nombre(s)", "first name", "given name")
        ),
        ImportField(
            "last_name",
            _("last name"),
            ("apellidos", "apellido", "apellido(s)", "last name", "surname", "family name"),
        ),
        ImportField("email", _("e-mail"), ("correo", "correo electrónico", "e-mail", "email", "mail", "email address")),
        ImportField(
            "phone",
            _("phone"),
            (
                *_PHONE_WORDS,
                *(f"{word} 1" for word in _PHONE_WORDS),
                "número de teléfono",
                "teléfono móvil",
                "teléfono celular",
                "número de celular",
                "phone number",
                "mobile phone",
            ),
        ),
        ImportField(
            "phone_2",
            _("second phone"),
            (
                *(f"{word} 2" for word in _PHONE_WORDS),
                "otro teléfono",
                "teléfono alternativo",
                "teléfono fijo",
                "teléfono de casa",
                "teléfono domicilio",
                "alternative phone",
                "home phone",
            ),
        ),
        ImportField(
            "phone_3",
            _("third phone"),
            (
                *(f"{word} 3" for word in _PHONE_WORDS),
                "teléfono trabajo",
                "teléfono laboral",
                "teléfono de oficina",
                "work phone",
            ),
        ),
        ImportField(
            "account_reference",
            _("account reference"),
            (
                "número de crédito",
                "nro. de crédito",
                "crédito",
                "número de cuenta",
                "cuenta",
                "nro. de cuenta",
                "operación",
                "número de préstamo",
                "préstamo",
                "contrato",
                "número de contrato",
                "pagaré",
                "número de tarjeta",
                "código de crédito",
                "id crédito",
                "obligación",
                "número de obligación",
                "póliza",
                "número de póliza",
                "expediente",
                "número de expediente",
                "folio",
                "account",
                "account number",
                "account reference",
                "loan number",
                "loan id",
                "contract",
                "policy number",
            ),
            BOTH,
            portfolio_spellings=(
                "referencia",
                "número de referencia",
                "número de operación",
                "código de operación",
                "reference",
                "reference number",
            ),
        ),
        ImportField(
            "product", _("product"), ("producto", "tipo de producto", "tipo de crédito", "product", "product type")
        ),
        ImportField(
            "original_amount",
            _("original amount"),
            (
                "monto original",
                "importe original",
                "deuda original",
                "monto inicial",
                "monto desembolsado",
                "monto del crédito",
                "importe del préstamo",
                "capital original",
                "original amount",
                "principal",
                "loan amount",
            ),
        ),
        ImportField(
            "balance",
            _("balance"),
            (
                "saldo",
                "saldo deudor",
                "saldo capital",
                "saldo total",
                "saldo pendiente",
                "saldo actual",
                "importe pendiente",
                "deuda",
                "deuda total",
                "total deuda",
                "monto",
                "monto adeudado",
                "monto deuda",
                "total adeudado",
                "importe",
                "importe adeudado",
                "balance",
                "amount due",
                "outstanding",
                "outstanding balance",
            ),
        ),
        ImportField(
            "due_date",
            _("due date"),
            (
                "fecha de vencimiento",
                "fecha vencimiento",
                "vencimiento",
                "f. venc.",
                "fec. venc.",
                "f. vcto.",
                "fecha de impago",
                "due date",
                "maturity date",
            ),
        ),
        ImportField("currency", _("currency"), ("moneda", "divisa", "tipo de moneda", "currency"), BOTH),
        ImportField("time_zone", _("time zone"), ("zona horaria", "huso horario", "time zone", "timezone")),
        ImportField(
            "reference",
            _("reference"),
            (
                "referencia",
                "referencia de pago",
                "número de operación",
                "nro. de operación",
                "nro. operación",
                "recibo",
                "número de recibo",
                "comprobante",
                "voucher",
                "transacción",
                "id transacción",
                "reference",
                "payment reference",
                "transaction id",
                "receipt",
            ),
            frozenset({PAYMENTS}),
        ),
        ImportField(
            "amount",
            _("amount"),
            (
                "monto",
                "monto pagado",
                "importe",
                "importe pagado",
                "pago",
                "monto del pago",
                "importe del pago",
                "abono",
                "monto abonado",
                "amount",
                "amount paid",
                "payment amount",
            ),
            frozenset({PAYMENTS}),
        ),
        ImportField(
            "paid_at",
            _("paid at"),
            (
                "fecha de pago",
                "fecha pago",
                "f. pago",
                "fecha",
                "fecha de abono",
                "fecha de operación",
                "paid at",
                "payment date",
                "date",
            ),
            frozenset({PAYMENTS}),
        ),
    )
}

PHONE_FIELDS = ("phone", "phone_2", "phone_3")


def fields_for(file_kind: str) -> dict:
    return {name: field for name, field in FIELDS.items() if file_kind in field.files}

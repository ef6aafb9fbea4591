"""Each demo creditor's letterhead and each portfolio's self-service limits, so that letters
print with a legal name and tax id, and the debtor's page offers plans and a settlement."""

from decimal import Decimal

from documents.models import Letterhead
from selfservice.models import SelfServiceLimits

# Fictitious companies: names and tax ids in each country's format, owned by nobody.
LETTERHEADS = {
    "PE": {
        "legal_name": "Banco Andino S.A.A.",
        "tax_id": "RUC 20999999901",
        "address": "Av. José Larco 101, Miraflores, Lima",
        "place": "Lima",
        "legal_text_es": "Este convenio se rige por las leyes de la República del Perú. El deudor puede "
        "pedir información sobre su deuda y presentar reclamos por los canales del acreedor.",
        "legal_text_en": "This agreement is governed by the laws of the Republic of Peru. The debtor may ask "
        "about the debt and file complaints through the creditor's channels.",
    },
    "MX": {
        "legal_name": "Financiera del Norte, S.A. de C.V., SOFOM, E.N.R.",
        "tax_id": "RFC FNO990101AB1",
        "address": "Av. Constitución 400, Centro, Monterrey, N.L.",
        "place": "Monterrey",
        "legal_text_es": "Este convenio se rige por las leyes de los Estados Unidos Mexicanos. Para "
        "aclaraciones, acuda a la unidad especializada del acreedor.",
        "legal_text_en": "This agreement is governed by the laws of the United Mexican States. For "
        "clarifications, contact the creditor's specialised unit.",
    },
    "ES": {
        "legal_name": "Telecomunicaciones Ibéricas, S.A.",
        "tax_id": "CIF A99999999",
        "address": "Calle de Alcalá 100, 28009 Madrid",
        "place": "Madrid",
        "legal_text_es": "Este acuerdo se rige por la legislación española. Sus datos se tratan conforme "
        "al RGPD; puede ejercer sus derechos ante el responsable del tratamiento.",
        "legal_text_en": "This agreement is governed by Spanish law. Your data is processed under the "
        "GDPR; you may exercise your rights before the controller.",
    },
}


def agreements_seed(*, creditor, portfolio, country: str) -> None:
    """Idempotent: an existing letterhead or limits row is left as the admin set it."""
    Letterhead.objects.get_or_create(creditor=creditor, defaults=LETTERHEADS[country])
    SelfServiceLimits.objects.get_or_create(
        portfolio=portfolio,
        defaults={"max_instalments": 6, "settlement_discount_percent": Decimal("15"), "link_in_summary": True},
    )

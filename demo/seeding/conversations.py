"""What the demo's phones and calls hold: what collectors write, and how often each phone
kind, phone status, call outcome and debtor stance comes up."""

from __future__ import annotations

from calls.models import Call
from debtors.models import Phone

from .common import Weighted

# Demo content in the collectors' own language, as they would type it; not product text.

OBJECTIONS = (
    Call.StanceReason.FORGOT,
    Call.StanceReason.NO_INVOICE,
    Call.StanceReason.PAY_LATER,
    Call.StanceReason.DISAGREES_AMOUNT,
    Call.StanceReason.CLAIMS_PAID,
    Call.StanceReason.SERVICE_COMPLAINT,
)
SITUATIONS = (
    Call.StanceReason.JOB_LOSS,
    Call.StanceReason.ILLNESS,
    Call.StanceReason.BUSINESS_FAILURE,
    Call.StanceReason.BEREAVEMENT,
    Call.StanceReason.REDUCED_INCOME,
    Call.StanceReason.OTHER,
)
STANCE_NOTES = {
    Call.StanceReason.FORGOT: "Dice que se le pasó la fecha.",
    Call.StanceReason.NO_INVOICE: "Dice que no le llegó el estado de cuenta.",
    Call.StanceReason.PAY_LATER: "Quiere pagar más adelante, sin fecha.",
    Call.StanceReason.DISAGREES_AMOUNT: "No está de acuerdo con el monto; pide el detalle.",
    Call.StanceReason.CLAIMS_PAID: "Dice que ya pagó; pide que revisemos.",
    Call.StanceReason.SERVICE_COMPLAINT: "Molesto con el servicio; reclamo pendiente.",
    Call.StanceReason.JOB_LOSS: "Se quedó sin trabajo hace poco.",
    Call.StanceReason.ILLNESS: "Estuvo enfermo y con gastos médicos.",
    Call.StanceReason.BUSINESS_FAILURE: "Cerró su negocio.",
    Call.StanceReason.BEREAVEMENT: "Falleció un familiar cercano.",
    Call.StanceReason.REDUCED_INCOME: "Le redujeron el sueldo.",
    Call.StanceReason.OTHER: "Problemas familiares.",
}
COMMITMENT_NOTES = {
    Call.Commitment.PROMISE: "Acepta pagar; se le repite monto, fecha y canal.",
    Call.Commitment.INSTALMENTS: "Se acuerda convenio en cuotas mensuales.",
    Call.Commitment.CALLBACK: "Pide que lo llamemos a una hora acordada.",
    Call.Commitment.SEND_DOCUMENTS: "Le enviamos el detalle de la deuda por correo.",
    Call.Commitment.RECEIVE_DOCUMENTS: "Enviará el comprobante de pago.",
    Call.Commitment.CONSULT: "Lo consultará con su pareja.",
    Call.Commitment.OTHER: "Irá a la agencia a revisar su cuenta.",
}
NO_COMMITMENT_REASONS = (
    "Se niega a dar una fecha de pago.",
    "Cortó la llamada al identificarnos.",
    "Dice que no tiene cómo pagar y no acepta opciones.",
    "No reconoce la deuda.",
    "Pide que no lo volvamos a llamar.",
)
THIRD_PARTY_NOTES = (
    "Contestó un familiar; dejó recado.",
    "Atendió la pareja; dice que no está.",
    "Contestó un compañero de trabajo; no saben cuándo vuelve.",
)
CONSENT_SOURCES = ("Contrato firmado", "Formulario web", "Llamada grabada", "App del acreedor")
RELATIONSHIP_HINTS = {
    Phone.Relationship.REFERENCE: "referencia",
    Phone.Relationship.RELATIVE: "familiar",
    Phone.Relationship.EMPLOYER: "empleador",
}

# How often things happen (weights).
PHONE_COUNT = Weighted(((1, 60), (2, 30), (3, 10)))
# For the second and third number.
PHONE_RELATIONSHIP = Weighted(
    (
        (Phone.Relationship.OWN, 45),
        (Phone.Relationship.RELATIVE, 25),
        (Phone.Relationship.REFERENCE, 15),
        (Phone.Relationship.EMPLOYER, 15),
    )
)
PHONE_STATUS = Weighted(
    (
        (Phone.Status.UNKNOWN, 40),
        (Phone.Status.VALID, 50),
        (Phone.Status.WRONG_NUMBER, 5),
        (Phone.Status.DISCONNECTED, 5),
    )
)
UNREACHABLE_PHONE_STATUSES = (Phone.Status.WRONG_NUMBER, Phone.Status.DISCONNECTED)
NO_CONTACT_OUTCOME = Weighted(
    (
        (Call.Outcome.NO_ANSWER, 50),
        (Call.Outcome.BUSY, 12),
        (Call.Outcome.VOICEMAIL, 26),
        (Call.Outcome.THIRD_PARTY, 12),
    )
)


def _stance(objection: int, situation: int) -> Weighted:
    return Weighted(
        (
            (Call.Stance.OBJECTION, objection),
            (Call.Stance.SITUATION, situation),
            (Call.Stance.NONE, 100 - objection - situation),
        )
    )


# The debtor's stance by the commitment the call ended with: hardship leads to instalment
# plans, objections to refusals and to requests for paperwork.
STANCE_BY_COMMITMENT = {
    Call.Commitment.INSTALMENTS: _stance(15, 70),
    Call.Commitment.NONE: _stance(70, 20),
    Call.Commitment.SEND_DOCUMENTS: _stance(70, 5),
    Call.Commitment.RECEIVE_DOCUMENTS: _stance(70, 5),
}
DEFAULT_STANCE = _stance(30, 25)

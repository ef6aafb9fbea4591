"""What a document says, read from the database once, when it is issued: a plain JSON snapshot
that the PDF is rendered from (documents.rendering), so a letter never changes afterwards."""

from datetime import datetime
from decimal import Decimal

from django.utils import translation

from collections_crm.lib.timezones import debtor_local_today, debtor_zone
from debtors.models import Debt, Debtor
from documents.models import DocumentKind, Letterhead
from promises.models import Arrangement, Payment, Promise

CENT = Decimal("0.01")


def _amount(value) -> str:
    return str(Decimal(value or 0).quantize(CENT))


def _creditor(debtor: Debtor, language: str) -> dict:
    creditor = debtor.portfolio.creditor
    try:
        letterhead = creditor.letterhead
    except Letterhead.DoesNotExist:
        return {
            "name": creditor.name,
            "legal_name": creditor.name,
            "tax_id": "",
            "address": "",
            "legal_text": "",
            "logo_path": "",
        }
    logo_path = ""
    if letterhead.logo:
        try:
            logo_path = letterhead.logo.path
        except NotImplementedError:  # a remote storage has no local path: the letter goes without
            logo_path = ""
    return {
        "name": creditor.name,
        "legal_name": letterhead.legal_name,
        "tax_id": letterhead.tax_id,
        "address": letterhead.address,
        "legal_text": letterhead.legal_text(language),
        "logo_path": logo_path,
    }


def _debt_row(debt: Debt) -> dict:
    return {
        "reference": debt.account_reference,
        "product": debt.product,
        "original_amount": _amount(debt.original_amount),
        "balance": _amount(debt.balance),
        "due_date": debt.due_date.isoformat() if debt.due_date else "",
    }


def acceptance_of(arrangement: Arrangement, promises: list) -> dict:
    """How the debtor accepted: as recorded on the arrangement (the self-service page), or the
    call it was agreed on; times on the debtor's clock."""
    debtor = arrangement.debtor
    zone = debtor_zone(debtor)
    if arrangement.acceptance:
        return arrangement.acceptance
    call = promises[0].call if promises and promises[0].call_id else None
    if call is None:
        return {}
    collector = call.collector
    return {
        "how": "phone",
        "at": call.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "zone": str(zone),
        "collector": (collector.get_full_name() or collector.username) if collector else "",
        "call": call.pk,
    }


def _arrangement_row(arrangement: Arrangement, promises: list) -> dict:
    approver = arrangement.approved_by if arrangement.approval_status == "approved" else None
    return {
        "number": arrangement.pk,
        "kind": arrangement.kind,
        "made_on": debtor_local_today(arrangement.debtor, arrangement.created_at).isoformat(),
        "total": _amount(arrangement.total_amount),
        "discount": _amount(arrangement.discount_amount),
        "balance_before": _amount(arrangement.total_amount + arrangement.discount_amount),
        "grace_days": promises[0].grace_days if promises else 0,
        "approved_by": (approver.get_full_name() or approver.username) if approver else "",
        "schedule": [
            {
                "number": promise.instalment_number or index,
                "due_date": promise.due_date.isoformat(),
                "amount": _amount(promise.amount),
                "status": promise.status,
            }
            for index, promise in enumerate(promises, start=1)
        ],
    }


def document_facts(
    kind: str, debtor: Debtor, *, at: datetime, arrangement: Arrangement | None = None, debt: Debt | None = None
) -> dict:
    """The snapshot of `kind` for `debtor`, in the debtor's language and calendar."""
    language = debtor.language if debtor.language in ("es", "en") else "es"
    letterhead = getattr(debtor.portfolio.creditor, "letterhead", None)
    open_debts = list(debtor.debts.filter(recalled_on__isnull=True).order_by("due_date", "pk"))
    if arrangement is not None and arrangement.debt_id is not None:
        covered = [arrangement.debt]
    elif debt is not None:
        covered = [debt]
    else:
        covered = open_debts
    facts = {
        "kind": kind,
        "language": language,
        "reference": "",
        "issued_on": debtor_local_today(debtor, at).isoformat(),
        "place": letterhead.place if letterhead else "",
        "currency": (arrangement.currency if arrangement else debtor.portfolio.currency),
        "creditor": _creditor(debtor, language),
        "agency": {"name": letterhead.agency_name if letterhead else ""},
        "debtor": {
            "name": debtor.full_name,
            "national_id": debtor.national_id,
            "customer_code": debtor.external_id,
            "address": "",  # no postal address is kept for debtors yet
        },
        "debts": [_debt_row(row) for row in covered],
        "balance": _amount(sum((row.balance for row in open_debts), Decimal("0"))),
    }
    if arrangement is not None:
        promises = list(arrangement.promises.select_related("call__collector").order_by("instalment_number", "pk"))
        facts["arrangement"] = _arrangement_row(arrangement, promises)
        facts["acceptance"] = acceptance_of(arrangement, promises)
    if kind == DocumentKind.STATEMENT:
        with translation.override(language):
            payments = debtor.payments.order_by("paid_at", "pk")
            facts["payments"] = [
                {
                    "paid_on": debtor_local_today(debtor, payment.paid_at).isoformat(),
                    "amount": _amount(payment.amount),
                    "reference": payment.reference,
                    "source": str(Payment.Source(payment.source).label)
                    if payment.source in Payment.Source.values
                    else payment.source,
                }
                for payment in payments
            ]
            facts["promises"] = [
                {
                    "made_on": debtor_local_today(debtor, promise.created_at).isoformat(),
                    "due_date": promise.due_date.isoformat(),
                    "amount": _amount(promise.amount),
                    "status": str(Promise.Status(promise.status).label),
                }
                for promise in debtor.promises.order_by("due_date", "pk")
            ]
    if kind == DocumentKind.PAID_IN_FULL and debt is not None:
        facts["debt"] = _debt_row(debt)
        facts["paid_on"] = facts["issued_on"]
    return facts

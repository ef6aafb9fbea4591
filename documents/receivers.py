"""Letters issued on their own: the convenio when an agreement stands, the settlement letter
when a settlement is kept, the paid-in-full letter when a debt's balance reaches zero; and the
files an e-mail of the outbox carries."""

import logging

from django.db import transaction

from documents.models import Document, DocumentKind
from documents.services import document_issue, document_pdf
from promises.models import Arrangement

log = logging.getLogger(__name__)


def _render_after_commit(document: Document) -> None:
    """The PDF is rendered by the worker once the transaction stands (not inside a call being
    logged). A broker that cannot be reached costs nothing to the caller: the beat job, or the
    first read, renders the letter."""
    from kombu.exceptions import OperationalError

    from documents.tasks import render_document

    def queue():
        try:
            render_document.delay(document.pk)
        except (OperationalError, OSError) as error:
            log.warning("document %s left for the beat job: %s", document.pk, error)

    transaction.on_commit(queue)


def on_arrangement_agreed(sender, *, arrangement, by, at, **kwargs) -> None:
    document = document_issue(
        kind=DocumentKind.AGREEMENT,
        debtor=arrangement.debtor,
        arrangement=arrangement,
        source=Document.Source.AUTOMATIC,
        by=by,
        at=at,
    )
    _render_after_commit(document)


def on_arrangement_completed(sender, *, arrangement_ids, at, **kwargs) -> None:
    settlements = Arrangement.objects.filter(pk__in=arrangement_ids, kind=Arrangement.Kind.SETTLEMENT)
    for arrangement in settlements.select_related("debtor__portfolio__creditor"):
        document = document_issue(
            kind=DocumentKind.SETTLEMENT_SATISFIED,
            debtor=arrangement.debtor,
            arrangement=arrangement,
            source=Document.Source.AUTOMATIC,
            at=at,
        )
        _render_after_commit(document)


def on_debt_paid_off(sender, *, debt_id, at, **kwargs) -> None:
    from debtors.models import Debt

    debt = Debt.objects.select_related("debtor__portfolio__creditor").get(pk=debt_id)
    document = document_issue(
        kind=DocumentKind.PAID_IN_FULL, debtor=debt.debtor, debt=debt, source=Document.Source.AUTOMATIC, at=at
    )
    _render_after_commit(document)


def message_attachments(references) -> list[tuple[str, bytes, str]]:
    ids = [int(ref.split(":", 1)[1]) for ref in references if ref.startswith("document:")]
    return [
        (document.file_name, document_pdf(document), "application/pdf")
        for document in Document.objects.filter(pk__in=ids).order_by("pk")
    ]

from celery import shared_task

from documents.models import Document
from documents.services import document_pdf, documents_render_pending


@shared_task(ignore_result=True)
def render_document(document_id: int) -> None:
    document = Document.objects.filter(pk=document_id).first()
    if document is not None:
        document_pdf(document)


@shared_task(ignore_result=True)
def render_pending_documents() -> int:
    """Those a worker missed (down when they were issued): none waits more than the beat's period."""
    return documents_render_pending()

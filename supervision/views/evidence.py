"""The evidence pack of a debtor, downloaded from the debtor page (supervisors and admins)."""

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from debtors.selectors import debtor_get_for_action
from supervision.evidence import evidence_pack_build

log = logging.getLogger(__name__)


def may_build_evidence(user) -> bool:
    return user.is_supervisor or user.is_crm_admin


def evidence_response(user, debtor_id: int) -> HttpResponse:
    """The ZIP as a download; every one built is logged with who asked (the pack holds personal data)."""
    debtor = debtor_get_for_action(user, debtor_id)
    pack = evidence_pack_build(debtor=debtor, by=user)
    log.info("evidence pack of debtor %s built by %s", debtor.pk, user.get_username())
    response = HttpResponse(pack.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
    return response


@login_required
def evidence_pack(request, pk: int):
    if not may_build_evidence(request.user):
        raise Http404
    return evidence_response(request.user, pk)

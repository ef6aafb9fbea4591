"""The debtor page's documents and self-service box: letters issued, the statement of account,
a link to the debtor's own page sent by SMS, WhatsApp or e-mail, and links revoked."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from debtors.selectors import debtor_get_for_action
from promises.models import Message
from selfservice.models import SelfServiceLink
from selfservice.services import LINK_CHANNELS, link_revoke, link_send


def agreements_box(debtor) -> dict:
    """What the box shows: the debtor's documents and latest links, and where a link can go."""
    return {
        "documents": list(debtor.documents.select_related("created_by").order_by("-created_at", "-pk")[:30]),
        "links": list(debtor.self_service_links.select_related("created_by").order_by("-created_at", "-pk")[:5]),
        "channels": [(channel, label) for channel, label in Message.Channel.choices if channel in LINK_CHANNELS],
    }


def _back(debtor_pk: int):
    return redirect(reverse("debtors:detail", args=[debtor_pk]) + "#documents")


@login_required
@require_POST
def link_send_view(request, debtor_pk: int):
    debtor = debtor_get_for_action(request.user, debtor_pk)
    document = None
    if request.POST.get("document"):
        document = get_object_or_404(debtor.documents.all(), pk=request.POST["document"])
    try:
        link_send(
            debtor=debtor,
            channel=request.POST.get("channel", ""),
            by=request.user,
            base_url=request.build_absolute_uri("/"),
            document=document,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, gettext("The link goes to the debtor at the next lawful moment."))
    return _back(debtor.pk)


@login_required
@require_POST
def link_revoke_view(request, debtor_pk: int, link_pk: int):
    debtor = debtor_get_for_action(request.user, debtor_pk)
    link = get_object_or_404(SelfServiceLink.objects.select_related("debtor"), pk=link_pk, debtor=debtor)
    if link_revoke(link=link, by=request.user):
        messages.success(request, gettext("The link no longer opens the debtor's page."))
    return _back(debtor.pk)

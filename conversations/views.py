"""The unmatched inbox: messages no debtor's number matched, for supervisors to attach."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from conversations import selectors
from conversations.forms import AttachForm
from conversations.models import InboundMessage
from conversations.services import inbound_message_attach

PAGE_SIZE = 50


def _supervisor_or_admin(user) -> None:
    if not (user.is_supervisor or user.is_crm_admin):
        raise Http404


@login_required
def unmatched_inbox(request, *, form=None, form_for=None, status=200):
    _supervisor_or_admin(request.user)
    page = Paginator(selectors.unmatched_messages(), PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page:
        message.attach_form = form if form_for == message.pk else AttachForm(auto_id=f"id_m{message.pk}_%s")
    context = {"page": page, "active_nav": "unmatched"}
    return render(request, "conversations/unmatched.html", context, status=status)


@login_required
@require_POST
def unmatched_attach(request, pk: int):
    _supervisor_or_admin(request.user)
    inbound = get_object_or_404(InboundMessage, pk=pk)
    form = AttachForm(request.POST, auto_id=f"id_m{pk}_%s")
    if form.is_valid():
        found = selectors.debtors_identified_for_user(request.user, form.cleaned_data["identifier"])
        if len(found) == 1:
            try:
                inbound_message_attach(inbound=inbound, debtor=found[0], by=request.user)
            except ValidationError as error:
                # Someone attached it first: it has left the inbox, so the notice says so.
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request, _("The message is now on the timeline of %(debtor)s.") % {"debtor": found[0].full_name}
                )
            return redirect("conversations:unmatched")
        elif not found:
            form.add_error("identifier", _("No debtor you can see matches this."))
        else:
            form.add_error("identifier", _("Several debtors match this; use the page number (#1234)."))
    return unmatched_inbox(request, form=form, form_for=pk, status=400)

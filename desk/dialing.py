"""The debtor page's numbers: click-to-call (the install's dialer dials from the collector's own
phone, if the contact policy allows the call now: calls.dialers), and restoring a demoted number."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from calls.services import click_to_call, phone_restore
from debtors.selectors import debtor_get_for_action


@login_required
@require_POST
def dial_view(request, debtor_pk: int, phone_pk: int):
    debtor = debtor_get_for_action(request.user, debtor_pk)
    phone = get_object_or_404(debtor.phones.all(), pk=phone_pk)
    outcome = click_to_call(debtor=debtor, phone=phone, by=request.user)
    if outcome.placed:
        messages.success(request, outcome.message)
    else:
        messages.error(request, " ".join([outcome.message, *outcome.reasons]))
    return redirect("debtors:detail", pk=debtor.pk)


@login_required
@require_POST
def phone_restore_view(request, debtor_pk: int, phone_pk: int):
    """A demoted number back in use, with the reason typed beside it."""
    debtor = debtor_get_for_action(request.user, debtor_pk)
    phone = get_object_or_404(debtor.phones.all(), pk=phone_pk)
    try:
        phone_restore(phone=phone, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, gettext("%(number)s is in use again.") % {"number": phone.number.as_international})
    return redirect("debtors:detail", pk=debtor.pk)

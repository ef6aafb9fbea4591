"""Click-to-call from the debtor page: the number clicked is dialled by the install's dialer
from the collector's own phone, if the contact policy allows the call now (calls.dialers)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from calls.services import click_to_call
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

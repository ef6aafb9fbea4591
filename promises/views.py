"""Promise pages: recording a payment and the arrangements awaiting approval.

The supervisor dashboards live in supervision.views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from collections_crm.permissions import can_record_payments
from debtors.selectors import debtor_get_for_user
from promises import selectors, services
from promises.forms import PaymentForm
from promises.models import Payment


@login_required
@require_POST
def payment_create(request, debtor_pk: int):
    """A supervisor or admin records a payment; it reconciles the debtor's promises at once."""
    debtor = debtor_get_for_user(request.user, debtor_pk)
    if not can_record_payments(request.user):
        raise Http404
    form = PaymentForm(request.POST, debtor=debtor)
    if form.is_valid():
        try:
            result = services.payment_record(
                debtor=debtor,
                source=Payment.Source.MANUAL,
                recorded_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if result.created:
                messages.success(
                    request,
                    ngettext(
                        "Payment recorded; it kept %(count)d promise.",
                        "Payment recorded; it kept %(count)d promises.",
                        len(result.kept_promise_ids),
                    )
                    % {"count": len(result.kept_promise_ids)},
                )
            elif result.reference_taken:
                messages.error(request, gettext("This reference is already recorded for another debtor."))
            else:
                messages.info(request, gettext("That reference was already recorded; nothing changed."))
            return redirect("debtors:detail", pk=debtor.pk)
    for error in form.errors.get("__all__", []):
        messages.error(request, error)
    for name, errors in form.errors.items():
        if name != "__all__":
            messages.error(request, f"{form.fields[name].label}: {' '.join(errors)}")
    return redirect("debtors:detail", pk=debtor.pk)


def _limit_sentence(reason: dict) -> str:
    """One breached limit ({code, value, limit}) as a sentence the supervisor can weigh."""
    values = {"value": reason.get("value", "?"), "limit": reason.get("limit", "?")}
    code = reason.get("code")
    if code == services.MIN_SHARE:
        return gettext("It covers %(value)s%% of the balance; the minimum is %(limit)s%%.") % values
    if code == services.MAX_DAYS_TO_FIRST:
        return gettext("The first payment is %(value)s days away; the limit is %(limit)s days.") % values
    if code == services.MAX_INSTALMENTS:
        return gettext("It has %(value)s instalments; the limit is %(limit)s.") % values
    if code == services.ABOVE_BALANCE:
        return gettext("It comes to %(value)s, more than the balance of %(limit)s.") % values
    if code == services.MAX_DISCOUNT:
        return gettext("It forgives %(value)s%% of the balance; the limit is %(limit)s%%.") % values
    return reason.get("message") or str(code)


@login_required
def approvals(request):
    """Arrangements beyond a collector's limits, waiting for a supervisor's or admin's decision."""
    user = request.user
    if not (user.is_supervisor or user.is_crm_admin):
        raise Http404
    arrangements = list(selectors.arrangements_awaiting_approval(user))
    for arrangement in arrangements:
        arrangement.limit_sentences = [_limit_sentence(reason) for reason in arrangement.approval_reasons or []]
    context = {"arrangements": arrangements, "active_nav": "approvals"}
    return render(request, "promises/approvals.html", context)


@login_required
@require_POST
def arrangement_approve(request, pk: int):
    arrangement = selectors.arrangement_get_for_decision(request.user, pk)
    try:
        services.arrangement_approve(arrangement=arrangement, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            gettext("Arrangement for %(debtor)s approved.") % {"debtor": arrangement.debtor.full_name},
        )
    return redirect("promises:approvals")


@login_required
@require_POST
def arrangement_reject(request, pk: int):
    arrangement = selectors.arrangement_get_for_decision(request.user, pk)
    try:
        services.arrangement_reject(arrangement=arrangement, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            gettext("Arrangement for %(debtor)s rejected; its pending promises are cancelled.")
            % {"debtor": arrangement.debtor.full_name},
        )
    return redirect("promises:approvals")

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from calls import selectors
from calls.forms import CallLogForm
from calls.policy import check_contact_many
from calls.services import ContactBlocked, call_log
from debtors.selectors import days_past_due, debtor_get_for_user, debtor_local_now
from debtors.views import can_override_contact_policy, debtor_detail_context

CALL_PANEL = "debtors/debtor_detail.html#call-panel"


@login_required
def queue(request):
    """The collector's day: follow-ups due now first, then assigned debtors by arrears.

    Debtors who may not lawfully be called right now sink to the end of their list,
    showing when they become callable.
    """
    now = timezone.now()
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    follow_ups = list(selectors.follow_ups_due_for(request.user, until=end_of_today)[:50])
    debtors = list(
        selectors.queue_debtors_for(request.user, exclude_ids=[f.debtor_id for f in follow_ups], limit=50)
    )
    verdicts = check_contact_many([f.debtor for f in follow_ups] + debtors, "voice", now)
    for follow_up in follow_ups:
        follow_up.verdict = verdicts[follow_up.debtor_id]
    for debtor in debtors:
        debtor.verdict = verdicts[debtor.pk]
        debtor.local_now = debtor_local_now(debtor, now)
        debtor.days_past_due = days_past_due(debtor.oldest_unpaid_due, debtor.local_now.date())
    follow_ups.sort(key=lambda f: not f.verdict.allowed)  # stable: due order kept within each group
    debtors.sort(key=lambda d: not d.verdict.allowed)
    context = {"follow_ups": follow_ups, "debtors": debtors, "now": now, "active_nav": "queue"}
    return render(request, "calls/queue.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def call_log_create(request, debtor_pk: int):
    """Log a call from the debtor page: htmx swaps the panel, a plain POST redirects.

    GET gives a fresh panel (the "log another call" link).
    """
    debtor = debtor_get_for_user(request.user, debtor_pk)
    htmx = request.headers.get("HX-Request") == "true"
    phones = list(debtor.phones.all())
    can_override = can_override_contact_policy(request.user)
    if request.method == "GET":
        if not htmx:
            return redirect("debtors:detail", pk=debtor.pk)
        form = CallLogForm(debtor=debtor, phones=phones, can_override=can_override)
        return render(request, CALL_PANEL, {"debtor": debtor, "call_form": form})

    form = CallLogForm(request.POST, debtor=debtor, phones=phones, can_override=can_override)
    blocked = result = None
    if form.is_valid():
        try:
            result = call_log(
                debtor=debtor,
                collector=request.user,
                override_by=request.user if form.override_requested else None,
                **form.service_arguments(),
            )
        except ContactBlocked as error:
            blocked = error.verdict
        except ValidationError as error:
            form.add_service_errors(error)
    if result is not None and not htmx:
        messages.success(request, gettext("Call logged."))
        return redirect("debtors:detail", pk=debtor.pk)
    if htmx:
        context = {
            "debtor": debtor,
            "call_form": form,
            "call_blocked": blocked,
            "call_result": result,
            "call_summary": _closing_summary(result) if result else None,
        }
        return render(request, CALL_PANEL, context)
    context = debtor_detail_context(request, debtor, call_form=form)
    context["call_blocked"] = blocked
    return render(request, "debtors/debtor_detail.html", context)


def _closing_summary(result) -> dict:
    """What the collector reads back: the promises in date order, and whether there is anything to read."""
    call = result.call
    if result.arrangement is not None and call.commitment == call.Commitment.INSTALMENTS:
        promises = list(result.arrangement.promises.order_by("instalment_number"))
    else:
        promises = [result.promise] if result.promise else []
    return {
        "promises": promises,
        "total": sum((promise.amount for promise in promises), start=0),
        "currency": promises[0].currency if promises else "",
        "read_back": call.is_right_party and call.commitment != call.Commitment.NONE,
    }

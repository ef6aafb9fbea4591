from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_http_methods

from calls import selectors
from calls.forms import CallLogForm, FollowUpDoneForm, FollowUpMoveForm
from calls.models import FollowUp
from calls.policy import check_contact_many
from calls.services import (
    ContactBlocked,
    call_log,
    call_summary_can_be_sent,
    call_summary_routes,
    call_summary_send,
    follow_up_complete,
    follow_up_move,
)
from collections_crm.lib.clock import Clock
from collections_crm.lib.timezones import debtor_local_now, debtor_local_today, debtor_zone
from collections_crm.templatetags.crm import money
from debtors.selectors import days_past_due, debtor_get_for_user
from desk.debtor_page import can_override_contact_policy, debtor_detail_context, follow_up_panel
from promises.selectors import with_account_and_promise_figures

CALL_PANEL = "debtors/debtor_detail.html#call-panel"
TIMELINE = "debtors/debtor_detail.html#timeline"
SUMMARY_SEND = "calls/_summary_send.html"
FOLLOW_UPS = "calls/_follow_ups.html"


def _queue_lists(user, now, *, portfolio_id: int | None = None, reason: str = ""):
    """The queue in the order the collector sees it.

    1. Follow-ups due by the end of today, oldest first; then assigned debtors by arrears.
    2. Within each list, debtors who may not lawfully be called right now sink to the end
       (stable sort: the selector order is kept within each group).
    """
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    follow_ups, debtors = selectors.queue_lists_for(user, until=end_of_today, portfolio_id=portfolio_id, reason=reason)
    verdicts = check_contact_many([f.debtor for f in follow_ups] + debtors, "voice", now)
    for follow_up in follow_ups:
        follow_up.verdict = verdicts[follow_up.debtor_id]
    for debtor in debtors:
        debtor.verdict = verdicts[debtor.pk]
    follow_ups.sort(key=lambda f: not f.verdict.allowed)
    debtors.sort(key=lambda d: not d.verdict.allowed)
    return follow_ups, debtors


# Probability of paying within 30 days from which a debtor reads as a likely or possible payer.
LIKELY_PAYER = 0.5
POSSIBLE_PAYER = 0.2


def _account_reason(debtor, days: int) -> str:
    """Why this account is where it is on today's list, in a few words (follow-ups carry
    their own reason): for a scored debtor, how likely they are to pay and what the queue
    expects to recover; for one not scored yet, their promise record or arrears."""
    expected = getattr(debtor, "expected_recovery", None)
    if expected is not None:
        if expected <= 0:
            return pgettext("queue reason", "Costs more to contact than it is likely to recover")
        whole = formats.number_format(round(expected), decimal_pos=0, use_l10n=True, force_grouping=True)
        amount = f"{whole}\u00a0{debtor.portfolio.currency}"
        if debtor.payment_probability >= LIKELY_PAYER:
            return pgettext("queue reason", "Likely payer, %(amount)s expected") % {"amount": amount}
        if debtor.payment_probability >= POSSIBLE_PAYER:
            return pgettext("queue reason", "Possible payer, %(amount)s expected") % {"amount": amount}
        return pgettext("queue reason", "Unlikely payer, %(amount)s expected") % {"amount": amount}
    if debtor.promises_broken > debtor.promises_kept:
        return pgettext("queue reason", "Broken promises")
    if debtor.promises_kept:
        return pgettext("queue reason", "Keeps promises")
    if days > 90:
        return pgettext("queue reason", "Long overdue")
    return pgettext("queue reason", "In arrears")


# A page of the queue: about two laptop screens. The queue is at most 200 rows (QUEUE_LIMIT
# follow-ups and as many accounts, calls.selectors); on one page it was 16,000 pixels long.
QUEUE_PAGE_SIZE = 25


class _QueueRows:
    """What the queue's rows print, computed for one page's rows only (the markup is in
    calls/queue.html). Labels and the clock are looked up once per request."""

    def __init__(self):
        self.reasons = dict(FollowUp.Reason.choices)
        self.clock = Clock.current()

    def debtor_cells(self, debtor, *, balance, oldest_unpaid_due, kept: int, broken: int, verdict, now) -> dict:
        local_now = debtor_local_now(debtor, now)
        return {
            "debtor": debtor,
            "balance": money(balance, debtor.portfolio.currency),
            "days_past_due": days_past_due(oldest_unpaid_due, local_now.date()),
            "kept": kept,
            "broken": broken,
            "local_time": self.clock.time(local_now),
            "verdict": verdict,
            # When a debtor who may not be called now becomes callable, on the reader's clock.
            "callable_from": self.clock.weekday_time(timezone.localtime(verdict.next_allowed_at))
            if verdict.next_allowed_at and not verdict.allowed
            else "",
        }

    def follow_up(self, follow_up, now) -> dict:
        return {
            **self.debtor_cells(
                follow_up.debtor,
                balance=follow_up.debtor_balance,
                oldest_unpaid_due=follow_up.debtor_oldest_unpaid_due,
                kept=follow_up.debtor_promises_kept,
                broken=follow_up.debtor_promises_broken,
                verdict=follow_up.verdict,
                now=now,
            ),
            "due_at": self.clock.short_datetime(timezone.localtime(follow_up.due_at)),
            "reason": self.reasons.get(follow_up.reason, follow_up.reason),
            "broken_promise": follow_up.reason == FollowUp.Reason.BROKEN_PROMISE,
        }

    def account(self, debtor, now) -> dict:
        cells = self.debtor_cells(
            debtor,
            balance=debtor.total_balance,
            oldest_unpaid_due=debtor.oldest_unpaid_due,
            kept=debtor.promises_kept,
            broken=debtor.promises_broken,
            verdict=debtor.verdict,
            now=now,
        )
        cells["why"] = _account_reason(debtor, cells["days_past_due"])
        return cells


def _queue_filters(request, portfolios) -> tuple[int | None, str]:
    """The portfolio and follow-up reason asked for, ignoring values that are not choices."""
    portfolio_id = request.GET.get("portfolio", "")
    portfolio_id = int(portfolio_id) if portfolio_id.isdigit() else None
    if portfolio_id not in {portfolio.pk for portfolio in portfolios}:
        portfolio_id = None
    reason = request.GET.get("reason", "")
    if reason not in FollowUp.Reason.values:
        reason = ""
    return portfolio_id, reason


def _page(paginator: Paginator, asked: str):
    """The page asked for, or the nearest one that exists (the first for anything else)."""
    number = min(max(int(asked), 1), paginator.num_pages) if asked.isdigit() else 1
    return paginator.page(number)


@login_required
def queue(request):
    """The collector's day: follow-ups due now first, then assigned debtors by expected recovery.

    Debtors who may not lawfully be called right now sink to the end of their list,
    showing when they become callable and why not now. The list can be narrowed to one
    portfolio or one follow-up reason, and is shown a page at a time in the order "next
    debtor" walks it (follow-ups, then accounts), the filters kept in the page links.
    """
    return _queue_page(request, owner=request.user, address=reverse("home"))


@login_required
def collector_queue(request, collector_pk: int):
    """A team member's queue as they see it now, read-only, for their supervisor or an admin:
    why each debtor is where it is (404 for anyone else, or a collector of another team)."""
    from supervision.selectors import collectors_for_user

    if not (request.user.is_supervisor or request.user.is_crm_admin):
        raise Http404
    collector = get_object_or_404(collectors_for_user(request.user), pk=collector_pk)
    return _queue_page(request, owner=collector, address=reverse("calls:collector_queue", args=[collector.pk]))


def _queue_page(request, *, owner, address: str):
    now = timezone.now()
    portfolios = list(selectors.queue_portfolios_for(owner))
    portfolio_id, reason = _queue_filters(request, portfolios)
    follow_ups, debtors = _queue_lists(owner, now, portfolio_id=portfolio_id, reason=reason)
    page = _page(Paginator([*follow_ups, *debtors], QUEUE_PAGE_SIZE), request.GET.get("page", ""))
    rows = _QueueRows()
    page_follow_ups = [rows.follow_up(item, now) for item in page if isinstance(item, FollowUp)]
    page_accounts = [rows.account(item, now) for item in page if not isinstance(item, FollowUp)]
    filters = {key: value for key, value in (("portfolio", portfolio_id), ("reason", reason)) if value}
    context = {
        "page": page,
        "page_follow_ups": page_follow_ups,
        "page_accounts": page_accounts,
        "follow_up_count": len(follow_ups),
        "account_count": len(debtors),
        # Each list shows on the pages that hold its rows; an empty one says so on the first
        # page (follow-ups) or the last (accounts, which come after them).
        "show_follow_ups": bool(page_follow_ups) or (not follow_ups and page.number == 1),
        "show_accounts": not reason and (bool(page_accounts) or (not debtors and not page.has_next())),
        "first_row": page.start_index(),
        "now": now,
        "active_nav": "queue" if owner == request.user else "dashboard",
        # Someone else's queue (a supervisor looking): read-only, named.
        "owner": None if owner == request.user else owner,
        "queue_address": address,
        "portfolios": portfolios,
        "reasons": FollowUp.Reason.choices,
        "portfolio_id": portfolio_id,
        "reason": reason,
        "filtered": bool(filters),
        "filter_query": urlencode(filters),
    }
    return render(request, "calls/queue.html", context)


@login_required
def queue_next(request):
    """Redirect to the debtor after `?after=<id>` in the queue's order, or back to the queue at its end.

    Computed here rather than on the debtor page, so that the page costs no extra queries.

    1. A debtor among the due follow-ups, or among the accounts, leads to the one after it.
    2. A debtor whose follow-up was closed today (by the call just logged, or by hand) has
       left the follow-ups: the walk carries on from the place it had there, with the
       follow-ups due after it. Otherwise the debtor, who is usually still among the
       accounts, would lead into the accounts and past the follow-ups still due.
    3. Any other debtor (opened from the debtor list) leads to the first one in the queue.
    """
    after = request.GET.get("after", "")
    after = int(after) if after.isdigit() else None
    now = timezone.now()
    follow_ups, debtors = _queue_lists(request.user, now)
    order = list(dict.fromkeys([f.debtor_id for f in follow_ups] + [d.pk for d in debtors]))
    settled = None
    if after is not None and after not in {f.debtor_id for f in follow_ups}:
        start_of_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        settled = selectors.follow_up_settled_since(after, start_of_today)
    if settled is not None:
        place = (settled.from_due_at, settled.follow_up_id)
        position = next(
            (i for i, f in enumerate(follow_ups) if not f.verdict.allowed or (f.due_at, f.pk) > place), len(follow_ups)
        )
        rest = [f.debtor_id for f in follow_ups[position:]] + [d.pk for d in debtors]
        following = [pk for pk in dict.fromkeys(rest) if pk != after]
    elif after in order:
        following = order[order.index(after) + 1 :]
    else:
        following = [pk for pk in order if pk != after]
    if following:
        return redirect("debtors:detail", pk=following[0])
    messages.info(request, gettext("You have reached the end of your queue."))
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def call_log_create(request, debtor_pk: int):
    """Log a call from the debtor page: htmx swaps the panel, a plain POST redirects.

    GET gives a fresh panel (the "log another call" link).
    """
    debtor = debtor_get_for_user(request.user, debtor_pk, with_figures=with_account_and_promise_figures)
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
        if result is None:
            return render(request, CALL_PANEL, context)
        if call_summary_can_be_sent(result.call):
            context["summary_routes"] = call_summary_routes(call=result.call, at=timezone.now(), phones=phones)
        # The new call (and its promises) shows on the history at once, without a reload.
        return _with_timeline(request, render_to_string(CALL_PANEL, context, request), debtor)
    context = debtor_detail_context(request, debtor, call_form=form)
    context["call_blocked"] = blocked
    return render(request, "debtors/debtor_detail.html", context)


def _closing_summary(result) -> dict:
    """What the collector reads back: the promises in date order, the next call that is really
    scheduled, and whether there is anything to read.

    The read-back promises only what something schedules: the next call is the follow-up the
    commitment made (its time may be later than the one agreed, when that was not lawful),
    and reminders are announced only where the portfolio sends them.
    """
    from promises.selectors import promise_rules_for

    call = result.call
    debtor = call.debtor
    if result.arrangement is not None and call.commitment in (call.Commitment.INSTALMENTS, call.Commitment.SETTLEMENT):
        promises = list(result.arrangement.promises.order_by("instalment_number"))
    else:
        promises = [result.promise] if result.promise else []
    follow_up = result.follow_up
    next_call = timezone.localtime(follow_up.due_at, debtor_zone(debtor)) if follow_up else None
    today = debtor_local_today(debtor, call.started_at)
    return {
        "promises": promises,
        "total": sum((promise.amount for promise in promises), start=0),
        "discount": result.arrangement.discount_amount if call.commitment == call.Commitment.SETTLEMENT else 0,
        "currency": promises[0].currency if promises else "",
        "read_back": call.is_right_party and call.commitment != call.Commitment.NONE,
        "next_call": next_call,
        "callback_moved": bool(follow_up and call.callback_at and follow_up.due_at != call.callback_at),
        # Reminders start the day after a promise is made (calls.services.scheduling._schedule_reminders).
        "reminders": any(promise.due_date > today for promise in promises)
        and promise_rules_for(debtor.portfolio).reminder_days_before > 0,
        "settled": result.settled,
        "retry_after_minutes": result.retry_after_minutes,
    }


def _with_timeline(request, html: str, debtor) -> HttpResponse:
    """A fragment followed by the debtor's history and follow-ups, swapped out of band by htmx."""
    from conversations.selectors import inbound_for_debtor
    from debtors.selectors import permission_history
    from desk.debtor_page import timeline_entries
    from promises.selectors import promises_for_debtor
    from selfservice.selectors import self_service_history

    timeline = timeline_entries(
        list(selectors.calls_for_debtor(debtor)),
        list(promises_for_debtor(debtor)),
        list(debtor.payments.select_related("debt", "recorded_by")),
        list(debtor.messages.all()),
        inbound=list(inbound_for_debtor(debtor).select_related("attached_by")),
        time_zone=debtor.time_zone,
        documents=list(debtor.documents.select_related("created_by").order_by("-created_at", "-pk")[:30]),
        self_service=self_service_history(debtor),
        **permission_history(debtor),
    )
    context = {"debtor": debtor, "timeline": timeline, "timeline_oob": True}
    panel = {"debtor": debtor, "follow_up_panel": follow_up_panel(debtor), "follow_ups_oob": True}
    return HttpResponse(
        html + render_to_string(TIMELINE, context, request) + render_to_string(FOLLOW_UPS, panel, request)
    )


# --- The debtor's follow-ups: done or moved by hand -----------------------------------------------


@login_required
@require_http_methods(["POST"])
def follow_up_done_view(request, follow_up_pk: int):
    """Mark a follow-up done from the debtor page, with the reason; htmx swaps the box."""
    return _follow_up_action(request, follow_up_pk, "done")


@login_required
@require_http_methods(["POST"])
def follow_up_move_view(request, follow_up_pk: int):
    """Move a follow-up to another lawful moment from the debtor page, with the reason."""
    return _follow_up_action(request, follow_up_pk, "move")


def _follow_up_action(request, follow_up_pk: int, action: str):
    """Scope (404 outside it) → form → service → the box again (htmx) or the page.

    The service checks again that the user may work the debtor, and writes the change with
    who, when and why; a follow-up closed meanwhile (by a call, by a colleague) says so.
    """
    follow_up = get_object_or_404(selectors.follow_ups_in_scope(request.user), pk=follow_up_pk)
    debtor = follow_up.debtor
    prefix = f"fu{follow_up.pk}"
    if action == "done":
        form = FollowUpDoneForm(request.POST, auto_id=f"id_{prefix}_done_%s")
    else:
        form = FollowUpMoveForm(request.POST, auto_id=f"id_{prefix}_move_%s", time_zone=debtor.time_zone)
    changed = None
    if form.is_valid():
        try:
            if action == "done":
                changed = follow_up_complete(follow_up=follow_up, by=request.user, note=form.cleaned_data["note"])
            else:
                changed = follow_up_move(
                    follow_up=follow_up,
                    by=request.user,
                    due_at=form.cleaned_data["due_at"],
                    note=form.cleaned_data["note"],
                )
        except ValidationError as error:
            form.add_service_errors(error)
    notice = ""
    if changed is False:
        notice = gettext("This follow-up was already closed; nothing was changed.")
    elif changed:
        notice = gettext("Follow-up marked done.") if action == "done" else gettext("Follow-up moved.")
    bound = {"pk": follow_up.pk, action: form} if changed is None else None
    if request.headers.get("HX-Request") == "true":
        context = {"debtor": debtor, "follow_up_panel": follow_up_panel(debtor, bound=bound, notice=notice)}
        return render(request, FOLLOW_UPS, context)
    if changed is not None:
        (messages.success if changed else messages.info)(request, notice)
        return redirect("debtors:detail", pk=debtor.pk)
    page_debtor = debtor_get_for_user(request.user, debtor.pk, with_figures=with_account_and_promise_figures)
    context = debtor_detail_context(request, page_debtor)
    context["follow_up_panel"] = follow_up_panel(page_debtor, bound=bound)
    return render(request, "debtors/debtor_detail.html", context)


@login_required
@require_http_methods(["POST"])
def call_summary_send_view(request, call_pk: int):
    """Send the closing summary of a call by one channel; htmx swaps the sending box.

    The call is looked up within the user's debtors (404 otherwise) and the service checks
    again. Sending twice returns the message queued the first time.
    """
    call = get_object_or_404(selectors.calls_in_scope(request.user), pk=call_pk)
    debtor = call.debtor
    channel = request.POST.get("channel", "")
    error = sent = None
    try:
        sent = call_summary_send(call=call, channel=channel, by=request.user)
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    htmx = request.headers.get("HX-Request") == "true"
    if not htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, gettext("The summary is in the outbox."))
        return redirect("debtors:detail", pk=debtor.pk)
    context = {
        "debtor": debtor,
        "call": call,
        "summary_routes": call_summary_routes(call=call, at=timezone.now()),
        "summary_error": error,
        "summary_sent": sent,
    }
    return _with_timeline(request, render_to_string(SUMMARY_SEND, context, request), debtor)

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_http_methods

from calls import selectors
from calls.forms import CallLogForm
from calls.models import FollowUp
from calls.policy import check_contact_many
from collections_crm.lib.clock import Clock
from collections_crm.lib.html import format_html
from collections_crm.templatetags.crm import money
from calls.services import (
    ContactBlocked,
    call_log,
    call_summary_can_be_sent,
    call_summary_routes,
    call_summary_send,
)
from debtors.selectors import days_past_due, debtor_get_for_user, debtor_local_now
from debtors.views import can_override_contact_policy, debtor_detail_context

CALL_PANEL = "debtors/debtor_detail.html#call-panel"
TIMELINE = "debtors/debtor_detail.html#timeline"
SUMMARY_SEND = "calls/_summary_send.html"


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


def _account_reason(debtor) -> str:
    """Why this account is on today's list, in a word or two (follow-ups carry their own reason)."""
    if debtor.promises_broken > debtor.promises_kept:
        return pgettext("queue reason", "Broken promises")
    if debtor.promises_kept:
        return pgettext("queue reason", "Keeps promises")
    if debtor.days_past_due > 90:
        return pgettext("queue reason", "Long overdue")
    return pgettext("queue reason", "In arrears")


class _QueueCells:
    """The display text of the queue's rows, built once per row in Python.

    200 rows through `{% include %}`, `{% url %}` and the `money`/`zoned`/`|date` tags cost
    more than the page's SQL (bench_desk); the template now only prints these strings. The
    translated labels and the link pattern are looked up once per request, not once per row.
    """

    def __init__(self):
        self.link = reverse("debtors:detail", args=[0]).replace("/0/", "/{}/")
        self.callable_now = gettext("Callable now")
        self.warning = gettext("warning")
        self.not_now = gettext("Not now")
        self.do_not_call = gettext("Do not call")
        self.reasons = dict(FollowUp.Reason.choices)
        self.clock = Clock.current()

    def follow_up_reason(self, value: str) -> str:
        return str(self.reasons.get(value, value))

    def verdict(self, verdict) -> str:
        if verdict.allowed:
            return format_html(
                '<span class="tag ok">{}</span>{}',
                self.callable_now,
                format_html_join("", ' <span class="tag warn" title="{}">{}</span>', ((w.message, self.warning) for w in verdict.warnings)),
            )
        title = "".join(f"{reason.message} " for reason in verdict.reasons)
        if verdict.next_allowed_at:
            moment = self.clock.weekday_time(timezone.localtime(verdict.next_allowed_at))
            return format_html(
                '<span class="tag warn" title="{}">{}</span>\n  <small>{}</small>',
                title, self.not_now, gettext("from %(moment)s") % {"moment": moment},
            )
        return format_html('<span class="tag danger" title="{}">{}</span>', title, self.do_not_call)

    def for_row(self, debtor, balance, local_now, verdict, *, days_past_due: int, kept: int, broken: int, **extra) -> dict:
        return {
            "link": self.link.format(debtor.pk),
            "name": debtor.full_name,
            "portfolio": debtor.portfolio.name,
            "balance": money(balance, debtor.portfolio.currency),
            "days_past_due": _count(days_past_due),
            "promises": f"{_count(kept)} / {_count(broken)}",
            "local_time": self.clock.time(local_now),
            "time_zone": debtor.time_zone,
            "verdict": self.verdict(verdict),
            **extra,
        }

    # Whole table rows: one template variable per row rather than ten (bench_desk).
    _DEBTOR_CELLS = (
        '<td><a href="{link}">{name}</a><br><small class="muted">{portfolio}</small></td>\n'
        '        <td class="num">{balance}</td>\n'
        '        <td class="num">{days_past_due}</td>\n'
        "        <td>{promises}</td>\n"
        '        <td>{local_time} <span class="muted">{time_zone}</span></td>\n'
        "        <td>{verdict}</td>"
    )

    def follow_up_row(self, cells: dict, *, broken_promise: bool) -> str:
        return format_html(
            '<tr>\n        <td>{due_at}</td>\n        <td><span class="tag{tone}">{reason}</span></td>\n        '
            + self._DEBTOR_CELLS
            + "\n      </tr>",
            tone=" danger" if broken_promise else "",
            **cells,
        )

    def account_row(self, cells: dict) -> str:
        return format_html(
            '<tr>\n        <td><span class="tag">{why}</span></td>\n        ' + self._DEBTOR_CELLS + "\n      </tr>",
            **cells,
        )


def _count(number: int) -> str:
    # What the template's localisation prints, without its cost for the common small numbers.
    return str(number) if -1000 < number < 1000 else formats.localize(number)


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


@login_required
def queue(request):
    """The collector's day: follow-ups due now first, then assigned debtors by arrears.

    Debtors who may not lawfully be called right now sink to the end of their list,
    showing when they become callable. The list can be narrowed to one portfolio or
    one follow-up reason.
    """
    now = timezone.now()
    portfolios = list(selectors.queue_portfolios_for(request.user))
    portfolio_id, reason = _queue_filters(request, portfolios)
    follow_ups, debtors = _queue_lists(request.user, now, portfolio_id=portfolio_id, reason=reason)
    cells = _QueueCells()
    for follow_up in follow_ups:
        follow_up.local_now = debtor_local_now(follow_up.debtor, now)
        follow_up.days_past_due = days_past_due(follow_up.debtor_oldest_unpaid_due, follow_up.local_now.date())
        follow_up.cells = cells.for_row(
            follow_up.debtor, follow_up.debtor_balance, follow_up.local_now, follow_up.verdict,
            days_past_due=follow_up.days_past_due, kept=follow_up.debtor_promises_kept, broken=follow_up.debtor_promises_broken,
            due_at=formats.date_format(timezone.localtime(follow_up.due_at), "SHORT_DATETIME_FORMAT"),
            reason=cells.follow_up_reason(follow_up.reason),
        )
        follow_up.row = cells.follow_up_row(follow_up.cells, broken_promise=follow_up.reason == FollowUp.Reason.BROKEN_PROMISE)
    for debtor in debtors:
        debtor.local_now = debtor_local_now(debtor, now)
        debtor.days_past_due = days_past_due(debtor.oldest_unpaid_due, debtor.local_now.date())
        debtor.why = _account_reason(debtor)
        debtor.cells = cells.for_row(
            debtor, debtor.total_balance, debtor.local_now, debtor.verdict,
            days_past_due=debtor.days_past_due, kept=debtor.promises_kept, broken=debtor.promises_broken,
            why=debtor.why,
        )
        debtor.row = cells.account_row(debtor.cells)
    context = {
        "follow_ups": follow_ups,
        "debtors": debtors,
        "now": now,
        "active_nav": "queue",
        "portfolios": portfolios,
        "reasons": FollowUp.Reason.choices,
        "portfolio_id": portfolio_id,
        "reason": reason,
        "filtered": portfolio_id is not None or bool(reason),
    }
    return render(request, "calls/queue.html", context)


@login_required
def queue_next(request):
    """Redirect to the debtor after `?after=<id>` in the queue's order, or back to the queue at its end.

    Computed here rather than on the debtor page, so that the page costs no extra queries.
    A debtor who is not in the queue (opened from the debtor list, or whose follow-up was
    just closed) leads to the first one in the queue.
    """
    after = request.GET.get("after", "")
    after = int(after) if after.isdigit() else None
    follow_ups, debtors = _queue_lists(request.user, timezone.now())
    order = list(dict.fromkeys([f.debtor_id for f in follow_ups] + [d.pk for d in debtors]))
    if after in order:
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


def _with_timeline(request, html: str, debtor) -> HttpResponse:
    """A fragment followed by the debtor's history, swapped out of band by htmx."""
    from debtors.views import _timeline
    from promises.selectors import promises_for_debtor

    timeline = _timeline(
        list(selectors.calls_for_debtor(debtor)),
        list(promises_for_debtor(debtor)),
        list(debtor.payments.select_related("debt", "recorded_by")),
        list(debtor.messages.all()),
        time_zone=debtor.time_zone,
    )
    context = {"debtor": debtor, "timeline": timeline, "timeline_oob": True}
    return HttpResponse(html + render_to_string(TIMELINE, context, request))


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

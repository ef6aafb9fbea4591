from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from calls import selectors
from calls.policy import check_contact_many
from debtors.selectors import days_past_due, debtor_local_now


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

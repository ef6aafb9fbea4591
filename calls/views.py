from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from calls import selectors
from debtors.selectors import days_past_due, debtor_local_now


@login_required
def queue(request):
    """The collector's day: follow-ups due now first, then assigned debtors by arrears."""
    now = timezone.now()
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    follow_ups = list(selectors.follow_ups_due_for(request.user, until=end_of_today)[:50])
    debtors = list(
        selectors.queue_debtors_for(request.user, exclude_ids=[f.debtor_id for f in follow_ups], limit=50)
    )
    for debtor in debtors:
        debtor.local_now = debtor_local_now(debtor, now)
        debtor.days_past_due = days_past_due(debtor.oldest_unpaid_due, debtor.local_now.date())
    return render(request, "calls/queue.html", {"follow_ups": follow_ups, "debtors": debtors, "now": now, "active_nav": "queue"})

"""The dashboard's messaging figures: delivery, reading and reply rates per channel and template.

Loaded after the dashboard (htmx), so that the dashboard's own figures never wait for them;
the same address is a page of its own without JavaScript.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from promises.models import Message
from supervision.selectors.messaging import REPLY_WINDOW, messaging_figures
from supervision.views.common import labels_of, selection_from, supervisor_or_admin


@login_required
def messaging_figures_view(request):
    supervisor_or_admin(request.user)
    selection = selection_from(request)
    rows = messaging_figures(request.user, selection.period, selection.filters, selection.zone)
    channels, purposes = labels_of(Message.Channel.choices), labels_of(Message.Purpose.choices)
    for row in rows:
        row["channel_label"] = channels.get(row["channel"], row["channel"])
        row["purpose_label"] = purposes.get(row["purpose"], row["purpose"])
    context = {
        "rows": rows,
        "selection": selection,
        "period": selection.period,
        "reply_days": REPLY_WINDOW.days,
        "active_nav": "dashboard",
    }
    fragment = request.headers.get("HX-Request") == "true"
    template = "promises/_messaging.html" if fragment else "promises/messaging.html"
    return render(request, template, context)

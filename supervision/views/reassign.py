"""Reassigning work between collectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from promises.models import Reassignment
from supervision import selectors, services
from supervision.forms import ReassignForm
from supervision.views.common import supervisor_or_admin


@login_required
def reassign(request):
    """Move debtors (and their open follow-ups) between collectors of the supervisor's teams.

    GET with a selection previews the counts; POST with `confirm` moves them.
    """
    user = request.user
    supervisor_or_admin(user)
    source = request.POST if request.method == "POST" else request.GET
    form = ReassignForm(source or None, user=user)
    preview = None
    debtors_listed = None
    if form.is_valid():
        data = form.cleaned_data
        debtors = selectors.debtors_for_reassignment(
            user,
            from_collector=data["from_collector"].pk if data["from_collector"] else None,
            portfolio=data["portfolio"].pk if data["portfolio"] else None,
            ids=data["debtor_ids"] or None,
        )
        try:
            if request.method == "POST" and source.get("confirm"):
                done = services.debtors_reassign(
                    by=user,
                    debtors=debtors,
                    to_collector=data["to_collector"],
                    from_collector=data["from_collector"],
                    criteria=form.describe(),
                )
                messages.success(
                    request,
                    gettext("%(debtors)d debtors and %(follow_ups)d open follow-ups moved to %(collector)s.")
                    % {
                        "debtors": done.debtor_count,
                        "follow_ups": done.follow_up_count,
                        "collector": data["to_collector"].get_full_name() or data["to_collector"].username,
                    },
                )
                return redirect("promises:reassign")
            preview = services.debtors_reassign_preview(by=user, debtors=debtors, to_collector=data["to_collector"])
            debtors_listed = list(
                debtors.exclude(assigned_to=data["to_collector"]).select_related("assigned_to", "portfolio")[:200]
            )
        except ValidationError as error:
            form.add_error("to_collector", error)
    context = {
        "form": form,
        "preview": preview,
        "debtors_listed": debtors_listed,
        "recent": Reassignment.objects.filter(by=user).select_related("to_collector", "from_collector")[:10],
        "active_nav": "dashboard",
    }
    return render(request, "promises/reassign.html", context)

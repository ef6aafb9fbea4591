"""Segments, their strategies, and the champion/challenger tests a supervisor decides on."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from scoring.experiments import strategy_test_results, tests_for_supervisors
from scoring.selectors import segments_for_supervisors
from scoring.services import strategy_test_end
from supervision.views.common import supervisor_or_admin


@login_required
def strategies(request):
    """Every portfolio's segments with the strategy treating each, and the tests."""
    supervisor_or_admin(request.user)
    context = {
        "segments": segments_for_supervisors(),
        "tests": tests_for_supervisors(),
        "active_nav": "dashboard",
    }
    return render(request, "promises/strategies.html", context)


@login_required
def strategy_test(request, pk: int):
    supervisor_or_admin(request.user)
    test = get_object_or_404(tests_for_supervisors(), pk=pk)
    results = strategy_test_results(test)
    context = {
        "test": test,
        "results": results,
        "arms": [results.champion, results.challenger],
        "currency": test.segment.portfolio.currency,
        "active_nav": "dashboard",
    }
    return render(request, "promises/strategy_test.html", context)


@login_required
@require_POST
def strategy_test_decide(request, pk: int):
    """Promote the challenger (`decision=promote`) or keep the champion (`decision=stop`)."""
    supervisor_or_admin(request.user)
    test = get_object_or_404(tests_for_supervisors(), pk=pk)
    decisions = request.POST.getlist("decision")
    decision = decisions[0] if len(decisions) == 1 else ""  # two at once say nothing
    if decision not in ("promote", "stop"):
        messages.error(request, gettext("Choose whether to promote the challenger or keep the champion."))
        return redirect(reverse("promises:strategy_test", args=[test.pk]))
    try:
        strategy_test_end(test=test, promote=decision == "promote", by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(reverse("promises:strategy_test", args=[test.pk]))
    if decision == "promote":
        text = gettext("“%(strategy)s” now treats every debtor of the segment “%(segment)s”.")
        strategy = test.challenger
    else:
        text = gettext("“%(strategy)s” keeps treating every debtor of the segment “%(segment)s”.")
        strategy = test.champion
    messages.success(request, text % {"strategy": strategy.name, "segment": test.segment.name})
    return redirect(reverse("promises:strategy_test", args=[test.pk]))

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request):
    """The role-aware navigation bar: each role sees the pages it works in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    if user.is_collector:
        items.append(("queue", _("My queue"), reverse("home")))
        items.append(("my_reviews", _("My call reviews"), reverse("review:mine")))
    if user.is_supervisor or user.is_crm_admin:
        items.append(("dashboard", _("Dashboard"), reverse("promises:dashboard")))
        # No pending count here: it would cost a query on every page.
        items.append(("approvals", _("Approvals"), reverse("promises:approvals")))
        items.append(("unmatched", _("Unmatched messages"), reverse("conversations:unmatched")))
    items.append(("debtors", _("Debtors"), reverse("debtors:list")))
    if user.is_crm_admin:
        items.append(("portfolios", _("Portfolios"), reverse("debtors:portfolios")))
        items.append(("imports", _("Imports"), reverse("debtors:imports")))
        items.append(("admin", _("Administration"), reverse("admin:index")))
    return {"nav_items": items}

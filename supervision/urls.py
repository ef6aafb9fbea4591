"""The supervisor pages, under /promises/ in the "promises" namespace (collections_crm/urls.py)."""

from django.urls import path

from supervision import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/figures.csv", views.figures_export, name="figures_export"),
    path("dashboard/promises/", views.promises_behind, name="promises_behind"),
    path("dashboard/calls/", views.calls_behind, name="calls_behind"),
    path("dashboard/payments/", views.payments_behind, name="payments_behind"),
    path("dashboard/debts/", views.debts_behind, name="debts_behind"),
    path("dashboard/messages/", views.messaging_figures_view, name="messaging_figures"),
    path("health/", views.portfolio_health, name="health"),
    path("health/score/", views.score_now, name="score_now"),
    path("strategies/", views.strategies, name="strategies"),
    path("strategies/tests/<int:pk>/", views.strategy_test, name="strategy_test"),
    path("strategies/tests/<int:pk>/decide/", views.strategy_test_decide, name="strategy_test_decide"),
    path("reassign/", views.reassign, name="reassign"),
    path("debtors/<int:pk>/evidence.zip", views.evidence_pack, name="evidence_pack"),
]

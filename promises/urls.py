from django.urls import path

from promises import views

app_name = "promises"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/figures.csv", views.figures_export, name="figures_export"),
    path("dashboard/promises/", views.promises_behind, name="promises_behind"),
    path("dashboard/calls/", views.calls_behind, name="calls_behind"),
    path("dashboard/payments/", views.payments_behind, name="payments_behind"),
    path("dashboard/debts/", views.debts_behind, name="debts_behind"),
    path("health/", views.portfolio_health, name="health"),
    path("reassign/", views.reassign, name="reassign"),
    path("approvals/", views.approvals, name="approvals"),
    path("arrangements/<int:pk>/approve/", views.arrangement_approve, name="arrangement_approve"),
    path("arrangements/<int:pk>/reject/", views.arrangement_reject, name="arrangement_reject"),
    path("debtors/<int:debtor_pk>/payments/", views.payment_create, name="payment_create"),
]

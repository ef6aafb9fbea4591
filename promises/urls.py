from django.urls import path

from promises import views

app_name = "promises"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("approvals/", views.approvals, name="approvals"),
    path("arrangements/<int:pk>/approve/", views.arrangement_approve, name="arrangement_approve"),
    path("arrangements/<int:pk>/reject/", views.arrangement_reject, name="arrangement_reject"),
    path("debtors/<int:debtor_pk>/payments/", views.payment_create, name="payment_create"),
]

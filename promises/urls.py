from django.urls import path

from promises import views

app_name = "promises"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("debtors/<int:debtor_pk>/payments/", views.payment_create, name="payment_create"),
]

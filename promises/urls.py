from django.urls import path

from promises import views

# The "promises" namespace also holds the supervisor pages (supervision.urls), composed in
# collections_crm/urls.py so that their names and paths stay what they were.
app_name = "promises"
urlpatterns = [
    path("approvals/", views.approvals, name="approvals"),
    path("arrangements/<int:pk>/approve/", views.arrangement_approve, name="arrangement_approve"),
    path("arrangements/<int:pk>/reject/", views.arrangement_reject, name="arrangement_reject"),
    path("debtors/<int:debtor_pk>/payments/", views.payment_create, name="payment_create"),
]

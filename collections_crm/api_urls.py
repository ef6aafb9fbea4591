from django.urls import path

from calls.api import CallCreateApi, ContactVerdictApi
from promises.api import PaymentCreateApi

urlpatterns = [
    path("debtors/<int:debtor_id>/contact-verdict/", ContactVerdictApi.as_view(), name="api-contact-verdict"),
    path("calls/", CallCreateApi.as_view(), name="api-call-create"),
    path("payments/", PaymentCreateApi.as_view(), name="api-payment-create"),
]

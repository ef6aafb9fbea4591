"""/api/v1/: one view per operation, each over the same services and scope as the pages."""

from django.urls import path, register_converter

from calls.api import CallListCreateApi, ContactVerdictApi, FollowUpCompleteApi, FollowUpListApi, FollowUpMoveApi
from collections_crm.api.converters import IdConverter
from debtors.api import (
    ConsentChangeListApi,
    DebtDetailApi,
    DebtListApi,
    DebtorDetailApi,
    DebtorListApi,
    HoldChangeListApi,
    ImportDetailApi,
    ImportListCreateApi,
    ImportRejectedRowsApi,
    PhoneCreateApi,
    PhoneUpdateApi,
    SavedFilterDetailApi,
    SavedFilterListCreateApi,
    ScreenPopApi,
)
from documents.api import DebtorDocumentListApi, DocumentPdfApi
from promises.api import PaymentCreateApi, PromiseCancelApi, PromiseListCreateApi
from promises.selectors import with_account_and_promise_figures
from scoring.api import StrategyListApi, StrategyTestDetailApi, StrategyTestListApi
from selfservice.api import SelfServiceLinkListCreateApi, SelfServiceLinkRevokeApi
from supervision.api import EvidencePackApi

register_converter(IdConverter, "id")

# A debtor in the API carries its promise record, which the promises app computes.
DEBTOR_FIGURES = {"with_figures": with_account_and_promise_figures}

urlpatterns = [
    path("debtors/", DebtorListApi.as_view(**DEBTOR_FIGURES), name="api-debtor-list"),
    path("debtors/<id:debtor_id>/", DebtorDetailApi.as_view(**DEBTOR_FIGURES), name="api-debtor-detail"),
    path("debtors/<id:debtor_id>/phones/", PhoneCreateApi.as_view(), name="api-phone-create"),
    path("debtors/<id:debtor_id>/phones/<id:phone_id>/", PhoneUpdateApi.as_view(), name="api-phone-update"),
    path("debtors/<id:debtor_id>/hold-changes/", HoldChangeListApi.as_view(), name="api-hold-change-list"),
    path("debtors/<id:debtor_id>/consent-changes/", ConsentChangeListApi.as_view(), name="api-consent-change-list"),
    path("debtors/<id:debtor_id>/evidence-pack/", EvidencePackApi.as_view(), name="api-evidence-pack"),
    path("debtors/<id:debtor_id>/documents/", DebtorDocumentListApi.as_view(), name="api-document-list"),
    path(
        "debtors/<id:debtor_id>/self-service-links/",
        SelfServiceLinkListCreateApi.as_view(),
        name="api-self-service-link-list",
    ),
    path("documents/<id:document_id>/pdf/", DocumentPdfApi.as_view(), name="api-document-pdf"),
    path(
        "self-service-links/<id:link_id>/revoke/",
        SelfServiceLinkRevokeApi.as_view(),
        name="api-self-service-link-revoke",
    ),
    path("debtors/<id:debtor_id>/contact-verdict/", ContactVerdictApi.as_view(), name="api-contact-verdict"),
    path("debts/", DebtListApi.as_view(), name="api-debt-list"),
    path("debts/<id:debt_id>/", DebtDetailApi.as_view(), name="api-debt-detail"),
    path("calls/", CallListCreateApi.as_view(), name="api-call-create"),
    path("promises/", PromiseListCreateApi.as_view(), name="api-promise-list"),
    path("promises/<id:promise_id>/cancel/", PromiseCancelApi.as_view(), name="api-promise-cancel"),
    path("payments/", PaymentCreateApi.as_view(), name="api-payment-create"),
    path("follow-ups/", FollowUpListApi.as_view(), name="api-follow-up-list"),
    path("imports/", ImportListCreateApi.as_view(), name="api-import-list"),
    path("imports/<id:job_id>/", ImportDetailApi.as_view(), name="api-import-detail"),
    path("imports/<id:job_id>/rejected/", ImportRejectedRowsApi.as_view(), name="api-import-rejected"),
    path("screen-pop/", ScreenPopApi.as_view(), name="api-screen-pop"),
    path("saved-filters/", SavedFilterListCreateApi.as_view(), name="api-saved-filter-list"),
    path("saved-filters/<id:saved_filter_id>/", SavedFilterDetailApi.as_view(), name="api-saved-filter-detail"),
    path("strategies/", StrategyListApi.as_view(), name="api-strategy-list"),
    path("strategy-tests/", StrategyTestListApi.as_view(), name="api-strategy-test-list"),
    path("strategy-tests/<id:test_id>/", StrategyTestDetailApi.as_view(), name="api-strategy-test-detail"),
    path("follow-ups/<id:follow_up_id>/complete/", FollowUpCompleteApi.as_view(), name="api-follow-up-complete"),
    path("follow-ups/<id:follow_up_id>/move/", FollowUpMoveApi.as_view(), name="api-follow-up-move"),
]

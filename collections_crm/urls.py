from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from collections_crm import views
from collections_crm.api.docs import ApiRedocView, ApiSwaggerView
from collections_crm.api.views import NotFoundApi
from conversations.webhooks import messages_webhook
from debtors import urls as debtors_urls
from desk import pop
from desk import urls as desk_urls
from promises import urls as promises_urls
from selfservice import views as selfservice_views
from supervision import urls as supervision_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/preferences/", views.preferences, name="preferences"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    # The debtors namespace: the lists and imports (debtors) and the debtor page (desk).
    path("debtors/", include((debtors_urls.urlpatterns + desk_urls.debtor_page_patterns, "debtors"))),
    path("calls/", include("desk.urls")),
    # The promises namespace: approvals and payments (promises) and the supervisor pages.
    path("promises/", include((promises_urls.urlpatterns + supervision_urls.urlpatterns, "promises"))),
    path("review/", include("calls.review_urls")),
    path("conversations/", include("conversations.urls")),
    path("documents/", include("documents.urls")),
    path("s/", include("selfservice.urls")),
    path("pay/dev/<str:signed_id>/", selfservice_views.dev_pay, name="dev_pay"),
    path("hooks/payments/<str:provider>/", selfservice_views.payment_webhook, name="payment_webhook"),
    # Providers post replies and delivery receipts here (Twilio, WhatsApp Cloud API).
    path("hooks/messages/<str:provider>/", messages_webhook, name="messages_webhook"),
    # A dialer opens the screen pop when a call connects, and reports each call's disposition.
    path("desk/pop/", pop.screen_pop, name="screen_pop"),
    path("hooks/dialer/<str:dialer>/", pop.dialer_hook, name="dialer_hook"),
    path("api/v1/", include("collections_crm.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", ApiRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Any other /api/ address: a JSON 404 in the API's error shape, never the HTML page.
    re_path(r"^api/", NotFoundApi.as_view(), name="api-not-found"),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon),
]

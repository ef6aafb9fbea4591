from django.urls import path

from selfservice import views

app_name = "selfservice"

urlpatterns = [
    path("<str:token>/", views.page, name="page"),
    path("<str:token>/identity/", views.identity_submit, name="identity"),
    path("<str:token>/promise/", views.promise, name="promise"),
    path("<str:token>/plan/", views.plan, name="plan"),
    path("<str:token>/settlement/", views.settlement, name="settlement"),
    path("<str:token>/callback/", views.callback, name="callback"),
    path("<str:token>/pay/<int:promise_id>/", views.pay, name="pay"),
    path("<str:token>/paid/", views.paid, name="paid"),
    path("<str:token>/documents/<int:document_id>/", views.document, name="document"),
    path("<str:token>/sign-out/", views.sign_out, name="sign_out"),
]

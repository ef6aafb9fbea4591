from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("<int:pk>/pdf/", views.document_download, name="download"),
    path("<int:pk>/email/", views.document_email, name="email"),
    path("debtors/<int:debtor_id>/statement/", views.statement_issue, name="statement"),
]

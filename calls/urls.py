from django.urls import path

from calls import views

app_name = "calls"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/next/", views.queue_next, name="queue_next"),
    path("debtors/<int:debtor_pk>/log/", views.call_log_create, name="log"),
    path("<int:call_pk>/summary/send/", views.call_summary_send_view, name="summary_send"),
]

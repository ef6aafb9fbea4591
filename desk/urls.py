from django.urls import path

from desk import agreements, debtor_page, dialing, replies, views

# The namespace keeps its name: templates, bookmarks and tools use calls:queue and its paths.
app_name = "calls"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/next/", views.queue_next, name="queue_next"),
    path("queue/of/<int:collector_pk>/", views.collector_queue, name="collector_queue"),
    path("debtors/<int:debtor_pk>/log/", views.call_log_create, name="log"),
    path("<int:call_pk>/summary/send/", views.call_summary_send_view, name="summary_send"),
    path("debtors/<int:debtor_pk>/phones/<int:phone_pk>/dial/", dialing.dial_view, name="dial"),
    path("debtors/<int:debtor_pk>/phones/<int:phone_pk>/restore/", dialing.phone_restore_view, name="phone_restore"),
    path("debtors/<int:debtor_pk>/reply/", replies.reply_send_view, name="reply"),
    path("debtors/<int:debtor_pk>/letter/", replies.letter_record_view, name="letter"),
    path("debtors/<int:debtor_pk>/messages/since/", replies.inbound_since_view, name="inbound_since"),
    path("debtors/<int:debtor_pk>/self-service/", agreements.link_send_view, name="self_service_send"),
    path(
        "debtors/<int:debtor_pk>/self-service/<int:link_pk>/revoke/",
        agreements.link_revoke_view,
        name="self_service_revoke",
    ),
    path("follow-ups/<int:follow_up_pk>/done/", views.follow_up_done_view, name="follow_up_done"),
    path("follow-ups/<int:follow_up_pk>/move/", views.follow_up_move_view, name="follow_up_move"),
]

# The debtor page, served under the debtors namespace (debtors:detail) beside debtors.urls'
# routes: collections_crm/urls.py puts the two lists together.
debtor_page_patterns = [
    path("<int:pk>/", debtor_page.debtor_detail, name="detail"),
]

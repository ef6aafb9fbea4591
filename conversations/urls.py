"""The unmatched inbox, under /conversations/ in the "conversations" namespace."""

from django.urls import path

from conversations import views

app_name = "conversations"
urlpatterns = [
    path("unmatched/", views.unmatched_inbox, name="unmatched"),
    path("unmatched/<int:pk>/attach/", views.unmatched_attach, name="unmatched_attach"),
]

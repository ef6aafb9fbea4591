from django.urls import path

from calls import review_views

app_name = "review"
urlpatterns = [
    path("", review_views.review_list, name="list"),
    path("mine/", review_views.my_reviews, name="mine"),
    path("calls/<int:pk>/", review_views.review_call, name="call"),
    path("calls/<int:pk>/recording/", review_views.recording_upload, name="upload"),
    path("calls/<int:pk>/audio/", review_views.recording_audio, name="audio"),
    path("calls/<int:pk>/audio/<int:version>/", review_views.recording_version_audio, name="audio_version"),
]

"""Call review: recordings through Django's storage, served only to who may see the call; the
QA scorecard on the call method; collectors see their own scores and nobody else's."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from calls.models import Call, CallRecording, CallRecordingVersion, CallReview
from tests import factories

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def call(diego, carla):
    return factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.RIGHT_PARTY)


def _upload(client, call, name="llamada.mp3", content=MP3, content_type="audio/mpeg"):
    return client.post(
        reverse("review:upload", args=[call.pk]), {"audio": SimpleUploadedFile(name, content, content_type)}
    )


def test_a_supervisor_attaches_a_recording_stored_under_media_root(client, sofia, call, _media):
    client.force_login(sofia)
    assert _upload(client, call).status_code == 302
    recording = CallRecording.objects.get(call=call)
    assert recording.content_type == "audio/mpeg" and recording.size == len(MP3) and recording.uploaded_by == sofia
    stored = Path(_media) / recording.file.name
    assert stored.read_bytes() == MP3
    assert "llamada" not in recording.file.name  # the stored name is not the uploader's


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("notes.txt", b"hello", "text/plain"),  # not audio
        ("call.mp3", b"<html>not audio</html>", "audio/mpeg"),  # audio name, other content
        ("call.mp3", MP3, "application/pdf"),  # declared type contradicts the name
        ("call.wav", MP3, "audio/wav"),  # an MP3 named .wav
    ],
)
def test_files_that_are_not_the_audio_they_claim_are_refused(client, sofia, call, name, content, content_type):
    client.force_login(sofia)
    _upload(client, call, name=name, content=content, content_type=content_type)
    assert not CallRecording.objects.exists()


def test_recordings_above_the_size_limit_are_refused(client, settings, sofia, call):
    settings.CALL_RECORDING_MAX_BYTES = 100
    client.force_login(sofia)
    client.cookies["django_language"] = "en"
    response = _upload(client, call, content=MP3 + b"\x00" * 200)
    assert not CallRecording.objects.exists()
    # The review page again, saying why.
    assert response.status_code == 400
    assert "The recording must be between 1 byte and" in response.content.decode()


def test_a_wav_is_accepted_and_a_new_upload_replaces_the_recording_keeping_the_old_file(
    client, sofia, ana, call, _media
):
    client.force_login(sofia)
    _upload(client, call)
    first = CallRecording.objects.get()
    old = Path(_media) / first.file.name
    client.force_login(ana)
    response = client.post(
        reverse("review:upload", args=[call.pk]),
        {"audio": SimpleUploadedFile("again.wav", WAV, "audio/wav"), "reason": "La primera grabación estaba cortada."},
    )
    assert response.status_code == 302
    recording = CallRecording.objects.get()
    assert recording.content_type == "audio/wav" and recording.uploaded_by == ana
    assert (Path(_media) / recording.file.name).read_bytes() == WAV
    # The replaced audio is still on disk, with who uploaded it, who replaced it and why.
    assert old.read_bytes() == MP3
    version = CallRecordingVersion.objects.get(call=call)
    assert version.file.name == first.file.name and version.size == len(MP3) and version.content_type == "audio/mpeg"
    assert (version.uploaded_by, version.replaced_by) == (sofia, ana)
    assert version.reason == "La primera grabación estaba cortada."


def test_replacing_a_recording_needs_a_reason_and_keeps_the_current_one_until_given(client, sofia, call, _media):
    client.force_login(sofia)
    _upload(client, call)
    before = CallRecording.objects.get()
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        response = client.post(
            reverse("review:upload", args=[call.pk]),
            {"audio": SimpleUploadedFile("b.wav", WAV, "audio/wav"), "reason": "  "},
        )
    assert response.status_code == 400
    assert "Say why you are replacing the recording" in response.content.decode()
    after = CallRecording.objects.get()
    assert (after.file.name, after.content_type) == (before.file.name, "audio/mpeg")
    assert not CallRecordingVersion.objects.exists()


def test_a_collector_cannot_attach_a_recording_to_their_own_call(client, carla, call, _media):
    client.force_login(carla)
    assert _upload(client, call).status_code == 404
    assert not CallRecording.objects.exists()
    assert not (Path(_media) / "recordings").exists()


def test_a_collector_cannot_replace_or_remove_the_supervisors_recording(client, sofia, carla, call, _media):
    client.force_login(sofia)
    _upload(client, call)
    recording = CallRecording.objects.get()
    stored = Path(_media) / recording.file.name
    client.force_login(carla)
    response = client.post(
        reverse("review:upload", args=[call.pk]),
        {"audio": SimpleUploadedFile("mia.wav", WAV, "audio/wav"), "reason": "mejor audio"},
    )
    assert response.status_code == 404
    assert CallRecording.objects.get().file.name == recording.file.name and stored.read_bytes() == MP3
    assert not CallRecordingVersion.objects.exists()
    # Her own call's recording is still hers to hear, but the review page with its upload form is not.
    assert client.get(reverse("review:audio", args=[call.pk])).status_code == 200
    assert client.get(reverse("review:call", args=[call.pk])).status_code == 404


def test_a_supervisor_outside_the_team_cannot_attach(client, pablo, call):
    client.force_login(pablo)
    assert _upload(client, call).status_code == 404
    assert not CallRecording.objects.exists()


def test_the_service_refuses_a_collector_too(carla, call):
    from django.http import Http404

    from calls.review import call_recording_attach

    with pytest.raises(Http404):
        call_recording_attach(call=call, upload=SimpleUploadedFile("a.mp3", MP3, "audio/mpeg"), by=carla)
    assert not CallRecording.objects.exists()


def test_the_review_page_shows_the_history_and_plays_earlier_recordings_to_reviewers_only(
    client, sofia, ana, carla, pablo, call
):
    client.force_login(sofia)
    _upload(client, call, name="primera.mp3")
    client.post(
        reverse("review:upload", args=[call.pk]),
        {"audio": SimpleUploadedFile("segunda.wav", WAV, "audio/wav"), "reason": "Audio completo del proveedor"},
    )
    version = CallRecordingVersion.objects.get()
    client.cookies["django_language"] = "en"
    page = client.get(reverse("review:call", args=[call.pk])).content.decode()
    history = page[page.index('data-testid="recording-history"') :]
    assert "Earlier recordings" in page and "primera.mp3" in history and "Audio completo del proveedor" in history
    assert "Sofía Supervisora" in history
    url = reverse("review:audio_version", args=[call.pk, version.pk])
    assert url in history
    for user, status in ((sofia, 200), (ana, 200), (carla, 404), (pablo, 404)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert b"".join(response.streaming_content) == MP3
    # A version id of another call is not reachable through this call.
    other = factories.make_call(debtor=call.debtor, collector=call.collector, outcome=Call.Outcome.NO_ANSWER)
    client.force_login(sofia)
    assert client.get(reverse("review:audio_version", args=[other.pk, version.pk])).status_code == 404


def test_the_admin_lists_recordings_and_their_history_but_cannot_add_change_or_delete_them(client, sofia, ana, call):
    client.force_login(sofia)
    _upload(client, call)
    client.post(
        reverse("review:upload", args=[call.pk]),
        {"audio": SimpleUploadedFile("b.wav", WAV, "audio/wav"), "reason": "Corte"},
    )
    recording, version = CallRecording.objects.get(), CallRecordingVersion.objects.get()
    client.force_login(ana)
    assert client.get(reverse("admin:calls_callrecording_changelist")).status_code == 200
    assert client.get(reverse("admin:calls_callrecordingversion_changelist")).status_code == 200
    detail = client.get(reverse("admin:calls_callrecording_change", args=[recording.pk]))
    assert detail.status_code == 200 and "Corte" in detail.content.decode()
    assert client.get(reverse("admin:calls_callrecording_add")).status_code == 403
    assert client.get(reverse("admin:calls_callrecording_delete", args=[recording.pk])).status_code == 403
    assert (
        client.post(reverse("admin:calls_callrecordingversion_delete", args=[version.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert CallRecordingVersion.objects.count() == 1 and CallRecording.objects.count() == 1


def test_the_audio_is_served_only_to_who_may_see_the_call(client, sofia, pablo, carla, carlos, ana, call):
    client.force_login(sofia)
    _upload(client, call)
    url = reverse("review:audio", args=[call.pk])
    for user, status in ((sofia, 200), (ana, 200), (carla, 200), (pablo, 404), (carlos, 404)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert b"".join(response.streaming_content) == MP3
            assert response["Content-Type"] == "audio/mpeg"
            assert "no-store" in response["Cache-Control"]
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


def test_the_player_can_seek_inside_a_recording(client, sofia, call):
    """Audio players ask for byte ranges to seek; the answer is that part of the file."""
    client.force_login(sofia)
    _upload(client, call)
    url = reverse("review:audio", args=[call.pk])

    middle = client.get(url, HTTP_RANGE="bytes=10-19")
    assert middle.status_code == 206
    assert b"".join(middle.streaming_content) == MP3[10:20]
    assert middle["Content-Range"] == f"bytes 10-19/{len(MP3)}"

    tail = client.get(url, HTTP_RANGE="bytes=-4")
    assert b"".join(tail.streaming_content) == MP3[-4:]
    assert client.get(url, HTTP_RANGE="bytes=0-")["Content-Length"] == str(len(MP3))
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(MP3) + 5}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(MP3)}"


def test_the_review_page_plays_the_recording_in_the_browser(client, sofia, call):
    client.force_login(sofia)
    _upload(client, call)
    page = client.get(reverse("review:call", args=[call.pk])).content.decode()
    assert f'<audio controls preload="metadata" src="{reverse("review:audio", args=[call.pk])}"' in page


def test_a_supervisor_scores_a_call_on_the_call_method(client, sofia, call):
    client.force_login(sofia)
    answers = {
        "identified": "on",
        "kept_control": "on",
        "obtained_commitment": "on",
        "read_back": "on",
        "respectful": "on",
    }
    response = client.post(
        reverse("review:call", args=[call.pk]), {**answers, "comments": "Ofrece opciones la próxima vez."}
    )
    assert response.status_code == 302
    review = CallReview.objects.get(call=call)
    assert review.score == 71  # 5 of 7
    assert review.identified and not review.offered_options and not review.told_objection_from_situation
    assert (review.collector, review.reviewer) == (call.collector, sofia)
    assert review.comments == "Ofrece opciones la próxima vez."
    # Scoring again updates the same scorecard.
    client.post(reverse("review:call", args=[call.pk]), {name: "on" for name, _ in CallReview.CRITERIA})
    assert CallReview.objects.get(call=call).score == 100


def test_the_scorecard_asks_every_step_of_the_call_method(client, sofia, call):
    client.force_login(sofia)
    with translation.override("en"):
        sofia.language = "en"
        sofia.save()
        client.cookies["django_language"] = "en"
        page = client.get(reverse("review:call", args=[call.pk])).content.decode()
    for phrase in (
        "Identified themselves and the creditor",
        "Kept control",
        "Told an objection from a situation",
        "Offered options",
        "Obtained a commitment",
        "Read the agreement back",
        "Stayed respectful",
    ):
        assert phrase in page


def test_supervisors_review_only_their_teams_calls(client, pablo, carlos, call):
    for user in (pablo, carlos):
        client.force_login(user)
        assert client.get(reverse("review:call", args=[call.pk])).status_code == 404
        assert client.post(reverse("review:call", args=[call.pk]), {"identified": "on"}).status_code == 404
    assert not CallReview.objects.exists()


def test_collectors_cannot_score_calls_even_their_own(client, carla, call):
    client.force_login(carla)
    assert client.get(reverse("review:list")).status_code == 404
    assert client.post(reverse("review:call", args=[call.pk]), {"identified": "on"}).status_code == 404


def test_collectors_see_their_own_scores_and_only_theirs(client, sofia, carla, carlos, diego, call):
    from calls.review import call_review_save

    call_review_save(call=call, reviewer=sofia, answers={"identified": True}, comments="Buen saludo")
    carlos_call = factories.make_call(debtor=diego, collector=carlos, outcome=Call.Outcome.RIGHT_PARTY)
    call_review_save(call=carlos_call, reviewer=sofia, answers={}, comments="Comentario para Carlos")

    client.force_login(carla)
    response = client.get(reverse("review:mine"))
    page = response.content.decode()
    assert [r.call_id for r in response.context["page"]] == [call.pk]
    assert "Buen saludo" in page and "Comentario para Carlos" not in page


def test_the_review_list_shows_the_teams_calls_and_filters_reviewed(client, sofia, pablo, call, mateo, cris):
    from calls.review import call_review_save

    other = factories.make_call(debtor=mateo, collector=cris)
    client.force_login(sofia)
    assert [c.pk for c in client.get(reverse("review:list")).context["page"]] == [call.pk]
    assert [c.pk for c in client.get(reverse("review:list"), {"reviewed": "1"}).context["page"]] == []
    call_review_save(call=call, reviewer=sofia, answers={})
    assert [c.pk for c in client.get(reverse("review:list"), {"reviewed": "1"}).context["page"]] == [call.pk]
    client.force_login(pablo)
    assert [c.pk for c in client.get(reverse("review:list")).context["page"]] == [other.pk]


def test_the_review_list_downloads_as_csv_with_the_teams_calls_only(client, sofia, call, mateo, cris):
    from calls.review import call_review_save

    factories.make_call(debtor=mateo, collector=cris)  # another team's call
    call_review_save(call=call, reviewer=sofia, answers={"identified": True})
    client.force_login(sofia)
    response = client.get(reverse("review:list"), {"format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert response["Content-Disposition"].startswith("attachment")
    assert len(lines) == 2  # the header and sofia's team's one call
    assert lines[1].split(",")[2] == call.debtor.full_name
    assert lines[1].split(",")[-1] == str(CallReview.objects.get(call=call).score)


def test_qa_scores_show_in_the_collector_table(client, sofia, carla, carlos, call):
    from calls.review import call_review_save

    call_review_save(call=call, reviewer=sofia, answers={name: True for name, _ in CallReview.CRITERIA})
    client.force_login(sofia)
    rows = {
        r["collector"].username: r
        for r in client.get(reverse("promises:dashboard"), {"period": "week"}).context["collectors"]
    }
    assert rows["carla"]["qa_score"] == 100 and rows["carla"]["qa_reviews"] == 1
    assert rows["carlos"]["qa_score"] is None


def test_s3_compatible_storage_is_configured_only_when_a_bucket_is_set(monkeypatch):
    import importlib

    from collections_crm import settings as project_settings

    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "grabaciones")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "https://minio.example.com")
    try:
        reloaded = importlib.reload(project_settings)
        assert reloaded.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
        assert reloaded.STORAGES["default"]["OPTIONS"]["bucket_name"] == "grabaciones"
        assert reloaded.STORAGES["default"]["OPTIONS"]["endpoint_url"] == "https://minio.example.com"
        monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME")
        reloaded = importlib.reload(project_settings)
        assert reloaded.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    finally:
        importlib.reload(project_settings)


def test_the_s3_backend_is_installed():
    from storages.backends.s3 import S3Storage

    assert S3Storage

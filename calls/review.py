"""Call review: recordings attached to calls and supervisors' QA scorecards.

Reads and writes for review live here, apart from calls/services/ and calls/selectors.py,
which serve the collectors' desk.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import Call, CallRecording, CallRecordingVersion, CallReview
from collections_crm.permissions import can_view_call, collector_scope, debtor_scope_flag

# What browsers play in <audio>: extension → the content types uploads may declare.
AUDIO_TYPES = {
    ".mp3": {"audio/mpeg", "audio/mp3"},
    ".wav": {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"},
    ".ogg": {"audio/ogg", "application/ogg"},
    ".opus": {"audio/ogg", "audio/opus"},
    ".m4a": {"audio/mp4", "audio/x-m4a", "audio/m4a"},
    ".webm": {"audio/webm", "video/webm"},
}
CANONICAL_TYPE = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".webm": "audio/webm",
}


def _sniff(head: bytes, suffix: str) -> bool:
    """Whether the first bytes look like the format the name claims (no decoding)."""
    if suffix == ".mp3":
        return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if suffix == ".wav":
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    if suffix in (".ogg", ".opus"):
        return head.startswith(b"OggS")
    if suffix == ".m4a":
        return head[4:8] == b"ftyp"
    if suffix == ".webm":
        return head.startswith(b"\x1a\x45\xdf\xa3")
    return False


def recording_validate(upload) -> str:
    """The canonical content type of an acceptable upload; ValidationError otherwise."""
    name = (upload.name or "").lower()
    suffix = name[name.rfind(".") :] if "." in name else ""
    if suffix not in AUDIO_TYPES:
        raise ValidationError(_("Upload an audio file: MP3, WAV, OGG, Opus, M4A or WebM."))
    if upload.size == 0 or upload.size > settings.CALL_RECORDING_MAX_BYTES:
        raise ValidationError(
            _("The recording must be between 1 byte and %(limit)d MB.")
            % {"limit": settings.CALL_RECORDING_MAX_BYTES // (1024 * 1024)}
        )
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if declared and declared not in AUDIO_TYPES[suffix] and declared != "application/octet-stream":
        raise ValidationError(_("The file's type does not match its name."))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not _sniff(head, suffix):
        raise ValidationError(_("This file is not the audio its name says."))
    return CANONICAL_TYPE[suffix]


def may_review(user) -> bool:
    return user.is_authenticated and (user.is_supervisor or user.is_crm_admin)


def may_attach_recording(user, call: Call) -> bool:
    """Recordings are evidence for a call's review: only a reviewer who may see the call attaches or
    replaces one, never the collector whose call it is."""
    return may_review(user) and can_view_call(user, call)


@transaction.atomic
def call_recording_attach(*, call: Call, upload, by, reason: str = "") -> CallRecording:
    """Store the audio of a call through the default storage.

    1. Only a reviewer in scope may (404 for anyone else, as for a call they cannot see).
    2. The upload must be the audio it claims to be.
    3. Replacing needs a reason; the recording being replaced becomes a CallRecordingVersion that
       keeps its file, with who replaced it, when and why. Nothing is deleted from storage.
    """
    if not may_attach_recording(by, call):
        raise Http404
    content_type = recording_validate(upload)
    reason = (reason or "").strip()
    # One attach at a time per call: two reviewers replacing at once both land in the history.
    Call.objects.select_for_update().filter(pk=call.pk).first()
    current = CallRecording.objects.filter(call=call).first()
    if current is not None and not reason:
        raise ValidationError(
            _("Say why you are replacing the recording; the current one will be kept in its history.")
        )
    now = timezone.now()
    if current is None:
        recording = CallRecording(call=call)
    else:
        CallRecordingVersion.objects.create(
            call=call,
            file=current.file.name,
            content_type=current.content_type,
            size=current.size,
            original_name=current.original_name,
            uploaded_by_id=current.uploaded_by_id,
            uploaded_at=current.uploaded_at,
            replaced_by=by,
            replaced_at=now,
            reason=reason[:500],
        )
        recording = current
    recording.content_type = content_type
    recording.size = upload.size
    recording.original_name = (upload.name or "")[-200:]
    recording.uploaded_by = by
    recording.uploaded_at = now
    recording.file.save(upload.name, upload, save=False)
    recording.save()
    return recording


@transaction.atomic
def call_review_save(*, call: Call, reviewer, answers: dict, comments: str = "") -> CallReview:
    """Fill or update the call's QA scorecard; the score is the share of criteria met."""
    if not may_review(reviewer) or not can_view_call(reviewer, call):
        raise Http404
    if call.collector_id is None:
        raise ValidationError(_("Only a collector's calls can be scored."))
    values = {name: bool(answers.get(name)) for name, _label in CallReview.CRITERIA}
    review, _created = CallReview.objects.update_or_create(
        call=call,
        defaults={
            **values,
            "collector_id": call.collector_id,
            "reviewer": reviewer,
            "score": CallReview.score_for(values),
            "comments": comments.strip(),
            "call_started_at": call.started_at,
            "reviewed_at": timezone.now(),
        },
    )
    return review


# --- Selectors ------------------------------------------------------------------------------


def call_get_for_review(user, pk: int) -> Call:
    """The call with its recording and review, for whoever may see its debtor; 404 otherwise."""
    try:
        call = Call.objects.select_related(
            "debtor__portfolio", "collector", "recording__uploaded_by", "review__reviewer"
        ).get(pk=pk)
    except Call.DoesNotExist:
        raise Http404 from None
    if not can_view_call(user, call):
        raise Http404
    return call


def calls_for_review(user, *, collector: int | None = None, reviewed: bool | None = None) -> QuerySet[Call]:
    """Calls of a supervisor's teams' collectors (admins: all), newest first.

    Like the dashboards (whose QA score links here), the list credits the collector: a call on a
    debtor since moved out of the reader's teams is listed with `in_scope` False, to be shown
    without the debtor and without a link (its page answers 404)."""
    if not may_review(user):
        return Call.objects.none()
    calls = Call.objects.filter(collector_scope(user, "collector"), collector__isnull=False).annotate(
        in_scope=debtor_scope_flag(user)
    )
    if collector is not None:
        calls = calls.filter(collector_id=collector)
    if reviewed is not None:
        calls = calls.filter(review__isnull=not reviewed)
    return calls.select_related("debtor", "collector", "recording", "review").order_by("-started_at", "-pk")


def recording_history(call: Call) -> QuerySet[CallRecordingVersion]:
    """The recordings a call had before its current one, the latest replaced first."""
    return (
        CallRecordingVersion.objects.filter(call=call)
        .select_related("uploaded_by", "replaced_by")
        .order_by("-replaced_at", "-pk")
    )


def recording_version_get_for_review(user, call_pk: int, pk: int) -> CallRecordingVersion:
    """A replaced recording, for a reviewer who may see its call; 404 for anyone else."""
    if not may_review(user):
        raise Http404
    call = call_get_for_review(user, call_pk)
    try:
        return CallRecordingVersion.objects.get(pk=pk, call=call)
    except CallRecordingVersion.DoesNotExist:
        raise Http404 from None


def reviews_of_collector(user) -> QuerySet[CallReview]:
    """A collector's own scorecards, and nobody else's."""
    return (
        CallReview.objects.filter(collector=user)
        .select_related("call__debtor", "reviewer")
        .order_by("-call_started_at")
    )

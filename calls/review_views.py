"""Call review pages: the list of calls to review, one call's recording and scorecard, the
audio itself (served only to who may see the call) and a collector's own scores."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from calls import review
from calls.models import Call, CallReview
from collections_crm.lib.downloads import csv_response, ranged_file_response
from collections_crm.lib.paging import CappedPaginator


class RecordingForm(forms.Form):
    audio = forms.FileField(label=_("Recording"), help_text=_("MP3, WAV, OGG, Opus, M4A or WebM."))
    # Asked only when a recording is replaced (the service refuses a replacement without it).
    reason = forms.CharField(
        label=_("Why are you replacing it?"),
        help_text=_("The current recording is kept in the call's history with your reason."),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ScorecardForm(forms.Form):
    comments = forms.CharField(
        label=_("Comments for the collector"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in CallReview.CRITERIA:
            self.fields[name] = forms.BooleanField(label=label, required=False)

    def criteria(self):
        return [self[name] for name, _label in CallReview.CRITERIA]


def _number(text):
    return int(text) if text and text.isdigit() else None


@login_required
def review_list(request):
    if not review.may_review(request.user):
        raise Http404
    reviewed = {"1": True, "0": False}.get(request.GET.get("reviewed", ""))
    collector = _number(request.GET.get("collector"))
    calls = review.calls_for_review(request.user, collector=collector, reviewed=reviewed)
    if request.GET.get("format") == "csv":
        return _review_list_csv(calls)
    page = CappedPaginator(calls, 50).get_page(request.GET.get("page"))
    # The collector chosen (from the dashboard's QA score) stays on the tabs, pages and CSV.
    chosen = {"collector": collector} if collector is not None else {}
    context = {
        "page": page,
        "reviewed": reviewed,
        "collector_query": urlencode(chosen),
        "this_query": urlencode({**chosen, **({"reviewed": int(reviewed)} if reviewed is not None else {})}),
        "active_nav": "dashboard",
    }
    return render(request, "calls/review_list.html", context)


def _review_list_csv(calls):
    header = [_("Started"), _("Collector"), _("Debtor"), _("Outcome"), _("Recording"), _("QA score")]
    # Resolved now, in the reader's language and zone: the rows are written after the view returns.
    outcomes = {value: str(label) for value, label in Call.Outcome.choices}
    recorded, zone = gettext("Yes"), timezone.get_current_timezone()
    outside = gettext("Debtor now outside your teams")
    rows = (
        [
            call.started_at.astimezone(zone).isoformat(),
            call.collector.get_full_name() or call.collector.username,
            call.debtor.full_name if call.in_scope else outside,
            outcomes.get(call.outcome, call.outcome),
            recorded if getattr(call, "recording", None) else "",
            call.review.score if getattr(call, "review", None) else "",
        ]
        for call in calls.iterator(chunk_size=2000)
    )
    return csv_response("calls-to-review.csv", header, rows)


@login_required
def review_call(request, pk: int):
    """A supervisor listens to the call and fills its scorecard."""
    if not review.may_review(request.user):
        raise Http404
    call = review.call_get_for_review(request.user, pk)
    form = None  # the saved scorecard, or an empty one
    if request.method == "POST":
        form = ScorecardForm(request.POST)
        if form.is_valid():
            try:
                saved = review.call_review_save(
                    call=call, reviewer=request.user, answers=form.cleaned_data, comments=form.cleaned_data["comments"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, gettext("Scorecard saved: %(score)d of 100.") % {"score": saved.score})
                return redirect("review:call", pk=call.pk)
    return _review_page(request, call, form=form)


def _review_page(request, call, *, form=None, upload_form=None, status=200):
    existing = getattr(call, "review", None)
    if form is None:
        initial = {name: getattr(existing, name) for name, _label in CallReview.CRITERIA} if existing else {}
        if existing:
            initial["comments"] = existing.comments
        form = ScorecardForm(initial=initial)
    context = {
        "call": call,
        "recording": getattr(call, "recording", None),
        "existing": existing,
        "form": form,
        "upload_form": upload_form or RecordingForm(),
        "may_attach": review.may_attach_recording(request.user, call),
        "history": review.recording_history(call),
        "active_nav": "dashboard",
    }
    return render(request, "calls/review_call.html", context, status=status)


@login_required
@require_POST
def recording_upload(request, pk: int):
    """A reviewer attaches or replaces a call's recording; anyone else gets 404, as for a call
    they cannot see (a collector never attaches, replaces or removes one)."""
    call = review.call_get_for_review(request.user, pk)
    if not review.may_attach_recording(request.user, call):
        raise Http404
    form = RecordingForm(request.POST, request.FILES)
    if form.is_valid():
        replacing = getattr(call, "recording", None) is not None
        try:
            review.call_recording_attach(
                call=call, upload=form.cleaned_data["audio"], by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                gettext("Recording replaced; the earlier one is kept in the history.")
                if replacing
                else gettext("Recording attached."),
            )
            return redirect("review:call", pk=call.pk)
    # The page again with what was wrong; the reason typed stays in its box.
    return _review_page(request, call, upload_form=form, status=400)


@login_required
def recording_audio(request, pk: int):
    """The audio, only for who may see the call. Local files are streamed from here (never a
    public media URL); on S3 the answer is a short-lived signed link."""
    call = review.call_get_for_review(request.user, pk)
    recording = getattr(call, "recording", None)
    if recording is None:
        raise Http404
    return _audio_response(request, recording)


@login_required
def recording_version_audio(request, pk: int, version: int):
    """A replaced recording, for reviewers only (collectors hear the current one of their calls)."""
    return _audio_response(request, review.recording_version_get_for_review(request.user, pk, version))


def _audio_response(request, recording):
    if not isinstance(recording.file.storage, FileSystemStorage):
        return redirect(recording.file.url)
    response = ranged_file_response(request, recording.file, recording.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def my_reviews(request):
    """A collector's own scorecards (anyone's own: never another person's)."""
    reviews = review.reviews_of_collector(request.user)
    page = Paginator(reviews, 25).get_page(request.GET.get("page"))
    for item in page:
        item.answers = [(label, getattr(item, name)) for name, label in CallReview.CRITERIA]
    return render(request, "calls/review_mine.html", {"page": page, "active_nav": "my_reviews"})

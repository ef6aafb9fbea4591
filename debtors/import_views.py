"""The admins' import pages: upload → mapping on a preview → job with a live progress bar →
result with the rejected rows; the list of recent imports; assignment after an import.

Thin views: the reading is `SourceFile` (the engine's own), the writing `import_job_create`
and `debtors_assign_unassigned`. Only admins reach these pages (403 for everyone else).
"""

import csv
import functools
import itertools
import secrets
import time
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from debtors import selectors, services
from debtors.forms import AssignmentForm, ImportUploadForm, MappingForm
from debtors.importing.loading import ImportFileError, SourceFile, portfolio_get_or_create
from debtors.importing.mapping import PAYMENTS, fields_for, missing_fields
from debtors.importing.reading import clip
from debtors.models import Portfolio

PREVIEW_ROWS = 10
# The preview is read in the request: it stops after this long, showing the rows read by then.
PREVIEW_SECONDS = 5
_SESSION_KEY = "pending_imports"


def admin_required(view):
    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not services.can_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@admin_required
def import_list(request):
    jobs = selectors.import_jobs_for_user(request.user)[:50]
    return render(request, "debtors/import_list.html", {"jobs": jobs, "active_nav": "imports"})


@admin_required
def import_new(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        portfolio, new_portfolio = data["portfolio"], None
        if portfolio is None:
            try:
                # A new portfolio for debtors is created by the import with its first rows (an
                # upload never loaded leaves none empty); payments need one that exists.
                portfolio = portfolio_get_or_create(
                    portfolio=data["new_portfolio"],
                    creditor=data["new_creditor"],
                    country=data["new_country"],
                    save=data["kind"] == PAYMENTS,
                )
            except ValidationError as error:
                form.add_error(None, error)
            if portfolio is not None and portfolio.pk is None:
                new_portfolio = {
                    "portfolio": portfolio.name,
                    "creditor": portfolio.creditor.name,
                    "country": portfolio.country,
                }
        if portfolio is not None:
            upload = data["file"]
            token = secrets.token_urlsafe(12)
            # Kept aside until the mapping is confirmed; then the job takes its own copy.
            path = default_storage.save(f"imports/pending/{token}-{Path(upload.name).name}", upload)
            pending = request.session.get(_SESSION_KEY, {})
            pending[token] = {
                "path": path,
                "name": upload.name,
                "kind": data["kind"],
                "portfolio": portfolio.pk,
                "new_portfolio": new_portfolio,
                "whole_portfolio": data["whole_portfolio"],
                "dry_run": data["dry_run"],
            }
            request.session[_SESSION_KEY] = pending
            return redirect("debtors:import_mapping", token=token)
    return render(request, "debtors/import_new.html", {"form": form, "active_nav": "imports"})


def _pending(request, token: str) -> dict:
    pending = request.session.get(_SESSION_KEY, {}).get(token)
    if pending is None or not default_storage.exists(pending["path"]):
        raise Http404
    return pending


@admin_required
def import_mapping(request, token: str):
    """The first rows of the file under the detected (or the creditor's saved) mapping."""
    pending = _pending(request, token)
    if pending.get("new_portfolio"):
        portfolio = portfolio_get_or_create(**pending["new_portfolio"], save=False)  # saved by the import
    else:
        portfolio = get_object_or_404(Portfolio.objects.select_related("creditor"), pk=pending["portfolio"])
    kind = pending["kind"]
    refused = []
    try:
        with default_storage.open(pending["path"], "rb") as stream:
            source = SourceFile(stream, file_kind=kind, deadline=time.monotonic() + PREVIEW_SECONDS)
            # The first few refused rows are enough to show; the import's report lists them all.
            source.on_refused = lambda number, _cells, column, value, reason: (
                len(refused) < PREVIEW_ROWS
                and refused.append({"row": number, "column": column, "value": clip(value), "reason": reason})
            )
            rows = list(itertools.islice(source.rows(), PREVIEW_ROWS))
            source.close()
    except ImportFileError as error:
        default_storage.delete(pending["path"])
        return render(
            request,
            "debtors/import_unreadable.html",
            {"message": error.message, "name": pending["name"], "active_nav": "imports"},
        )
    detected = {name: source.headers[column] for name, column in source.mapping.items()}
    saved = (selectors.import_mapping_for(portfolio.creditor, kind) if portfolio.creditor.pk else None) or {}
    # The creditor's saved choice wins where its header is in this file, and so does a
    # saved "not in this file" (None).
    initial = {
        **detected,
        **{name: header or "" for name, header in saved.items() if not header or header in source.headers},
    }
    form = MappingForm(request.POST or None, headers=source.headers, kind=kind, initial_mapping=initial)
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        missing = [fields_for(kind)[name].label for name in missing_fields({n for n, h in mapping.items() if h}, kind)]
        if missing:
            form.add_error(None, _("Choose a column for: %(fields)s.") % {"fields": ", ".join(map(str, missing))})
        else:
            with default_storage.open(pending["path"], "rb") as stream:
                job = services.import_job_create(
                    user=request.user,
                    kind=kind,
                    file=File(stream, name=pending["name"]),
                    portfolio=portfolio,
                    mapping=mapping,
                    whole_portfolio=pending["whole_portfolio"],
                    dry_run=pending["dry_run"],
                )
            default_storage.delete(pending["path"])
            request.session[_SESSION_KEY] = {
                key: value for key, value in request.session[_SESSION_KEY].items() if key != token
            }
            return redirect("debtors:import_detail", pk=job.pk)
    columns = [
        (
            header,
            next(
                (form[name].label for name, chosen in initial.items() if chosen == header and name in form.fields), ""
            ),
        )
        for header in source.headers
    ]
    # Cells are clipped: the page stays small whatever the file holds.
    preview = [
        (number, [clip(cell) for cell in (cells + [""] * len(source.headers))[: len(source.headers)]])
        for number, cells in rows
    ]
    return render(
        request,
        "debtors/import_mapping.html",
        {
            "form": form,
            "pending": pending,
            "portfolio": portfolio,
            "columns": columns,
            "preview": preview,
            "refused": refused,
            "cut_short": source.cut_short,
            "preview_seconds": PREVIEW_SECONDS,
            "saved": bool(saved),
            "active_nav": "imports",
        },
    )


@admin_required
def import_detail(request, pk: int):
    job = selectors.import_job_get_for_user(request.user, pk)
    context = {"job": job, "active_nav": "imports"}
    if job.is_finished and job.report:
        context["problems"] = _report_lines(job, limit=50)
    template = "debtors/import_progress.html" if request.headers.get("HX-Request") else "debtors/import_detail.html"
    response = render(request, template, context)
    if request.headers.get("HX-Request") and job.is_finished:
        response["HX-Refresh"] = "true"  # the result page replaces the progress bar
    return response


@admin_required
@require_POST
def import_run_again(request, pk: int):
    job = selectors.import_job_get_for_user(request.user, pk)
    try:
        services.import_job_run_again(user=request.user, job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The file is queued again; this page follows it."))
    return redirect("debtors:import_detail", pk=job.pk)


def _report_lines(job, *, limit: int) -> list[dict]:
    """The report's first lines: the row's number and the reason (RejectReport's first two
    columns), clipped for the page (the file keeps every cell). Reports written before rows
    were given back whole read "row, column, value, reason"."""
    try:
        with open(job.report.path, encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file)
            header = next(reader, [])
            lines = itertools.islice(reader, limit)
            if header == ["row", "column", "value", "reason"]:
                return [{"row": line[0], "reason": clip(f"{line[1]}: {line[3]}")} for line in lines if len(line) >= 4]
            return [{"row": line[0], "reason": clip(line[1])} for line in lines if len(line) >= 2]
    except (OSError, ValueError, csv.Error):
        return []


@admin_required
def import_rejected(request, pk: int):
    job = selectors.import_job_get_for_user(request.user, pk)
    if not job.report:
        raise Http404
    return FileResponse(job.report.open("rb"), as_attachment=True, filename=f"import-{job.pk}-rejected.csv")


@admin_required
def portfolio_assign(request, pk: int):
    portfolio = get_object_or_404(Portfolio.objects.select_related("creditor"), pk=pk)
    form = AssignmentForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if "apply" in request.POST:
                count = services.debtors_assign_unassigned(
                    user=request.user, portfolio=portfolio, collectors=data["collectors"], method=data["method"]
                )
                messages.success(request, _("%(count)s debtors assigned.") % {"count": count})
                return redirect("debtors:portfolio_assign", pk=portfolio.pk)
            preview = services.assignment_preview(
                portfolio=portfolio, collectors=data["collectors"], method=data["method"]
            )
        except ValidationError as error:
            form.add_error(None, error)
    unassigned = portfolio.debtors.filter(assigned_to__isnull=True).count()
    return render(
        request,
        "debtors/portfolio_assign.html",
        {
            "portfolio": portfolio,
            "form": form,
            "preview": preview,
            "unassigned": unassigned,
            "active_nav": "portfolios",
        },
    )

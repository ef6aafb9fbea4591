"""Import jobs: a file stored and queued (import_job_create), loaded by a worker with the
commands' engine while it writes its progress (import_job_run), and queued again after a
failure (import_job_run_again). Payments files run through the importer their app registers."""

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from collections_crm.permissions import can_manage_portfolios
from debtors.models import Creditor, ImportJob, ImportKind, ImportMapping, Portfolio
from debtors.services.figures import portfolio_figures_refresh
from debtors.services.import_sweep import _ImportHeartbeat

IMPORT_EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")


def can_import(user) -> bool:
    """Loading files rewrites whole portfolios (and their payments): admins only."""
    return can_manage_portfolios(user)


@transaction.atomic
def import_mapping_save(*, creditor: Creditor, kind: str, mapping: dict) -> ImportMapping:
    """Remember the mapping a person confirmed, to offer it on the creditor's next file."""
    saved, _created = ImportMapping.objects.update_or_create(
        creditor=creditor, kind=kind, defaults={"mapping": dict(mapping)}
    )
    return saved


@transaction.atomic
def import_job_create(
    *,
    user,
    kind: str,
    file,
    portfolio: Portfolio,
    mapping: dict | None = None,
    whole_portfolio: bool = False,
    dry_run: bool = False,
    save_mapping: bool = True,
) -> ImportJob:
    """Store an uploaded file as an ImportJob and queue it for a worker (after commit).

    `file` is a Django File or UploadedFile (CSV or XLSX). `portfolio` may be a new one, not
    saved (portfolio_get_or_create with save=False): the import creates it with its first
    rows. `mapping` ({field: header}) is the confirmed mapping; without it the worker detects
    the columns. A confirmed mapping is
    saved for the portfolio's creditor unless `save_mapping` is false. Raises
    PermissionDenied for anyone but an admin and ValidationError for a file we cannot take.
    """
    from debtors.tasks import run_import_job

    if not can_import(user):
        raise PermissionDenied(_("Only administrators load files."))
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Unknown kind of import: %(kind)s.") % {"kind": kind}})
    name = Path(getattr(file, "name", "") or "").name
    if not name.lower().endswith(IMPORT_EXTENSIONS):
        raise ValidationError({"file": _("Send a CSV or an Excel (.xlsx) file.")})
    if getattr(file, "size", None) == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if mapping is not None and not isinstance(mapping, dict):
        raise ValidationError({"mapping": _("The mapping must be an object from field name to column header.")})
    new_portfolio = None
    if portfolio.pk is None:
        if kind != ImportKind.PORTFOLIO:
            raise ValidationError({"portfolio": _("Payments are loaded into a portfolio that exists.")})
        new_portfolio = {
            "portfolio": portfolio.name,
            "creditor": portfolio.creditor.name,
            "country": portfolio.country,
            "currency": portfolio.currency,
        }
    job = ImportJob(
        kind=kind,
        portfolio=portfolio if new_portfolio is None else None,
        new_portfolio=new_portfolio,
        original_name=name[:255],
        mapping=mapping or None,
        whole_portfolio=whole_portfolio and kind == ImportKind.PORTFOLIO,
        dry_run=dry_run,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        created_by=user,
    )
    job.file.save(name, file, save=False)
    job.save()
    if mapping and save_mapping and not dry_run and new_portfolio is None:  # a new creditor's: once loaded
        import_mapping_save(creditor=portfolio.creditor, kind=kind, mapping=mapping)
    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


# File kinds whose import lives in a higher app (payments: promises), each registered by its app
# at start-up (PromisesConfig.ready), so that this layer runs their jobs without importing them.
_IMPORTERS_ABOVE: dict[str, Callable[..., object]] = {}


def import_kind_register(kind: str, importer: Callable[..., object]) -> None:
    """Let import jobs of `kind` run `importer(file=, portfolio=, mapping=, recorded_by=,
    dry_run=, progress=)`, which returns the import's result (created, updated, rejected…)."""
    _IMPORTERS_ABOVE[kind] = importer


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued ImportJob with the same engine as the commands, writing its progress.

    Safe to call twice: only a pending job is started (compare-and-set), so a second
    delivery of the task does nothing. Not wrapped in a transaction on purpose: progress
    updates must commit while the import's own transaction is still open.
    """
    from debtors.importing.loading import ImportFileError, portfolio_get_or_create, portfolio_import

    now = timezone.now()
    started = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    job = ImportJob.objects.select_related("portfolio", "created_by").get(pk=job_id)
    if not started:
        return job
    portfolio = job.portfolio

    def progress(done: int, total: int | None) -> None:
        ImportJob.objects.filter(pk=job_id).update(rows_done=done, rows_total=total)

    try:
        with translation.override(job.language), _ImportHeartbeat(job_id), job.file.open("rb") as stream:
            if job.kind == ImportKind.PORTFOLIO:
                if portfolio is None:  # saved by the import with its first rows
                    portfolio = portfolio_get_or_create(**job.new_portfolio, save=False)
                result = portfolio_import(
                    file=stream,
                    portfolio=portfolio,
                    mapping=job.mapping,
                    whole_portfolio=job.whole_portfolio,
                    dry_run=job.dry_run,
                    progress=progress,
                )
            else:
                result = _IMPORTERS_ABOVE[job.kind](
                    file=stream,
                    portfolio=job.portfolio,
                    mapping=job.mapping,
                    recorded_by=job.created_by,
                    dry_run=job.dry_run,
                    progress=progress,
                )
    except ImportFileError as error:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, error_message=str(error.message), finished_at=timezone.now()
        )
    except Exception:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            error_message=_("The import stopped on an unexpected error; nothing was saved. Tell your administrator."),
            finished_at=timezone.now(),
        )
        raise
    else:
        report = ""
        if result.report_path:
            report = Path(result.report_path).relative_to(settings.MEDIA_ROOT).as_posix()
        rows = result.created + result.updated + result.unchanged + result.rejected
        if not job.dry_run and portfolio is not None and portfolio.pk:
            # Recounted before the job shows "done": the admin's next look at their portfolios
            # already includes what they loaded.
            portfolio_figures_refresh(portfolio_ids=[portfolio.pk])
        created_portfolio = {}
        if job.portfolio is None and not job.dry_run:  # a dry run's new portfolio was rolled back
            created_portfolio = {"portfolio_id": portfolio.pk}
            if job.mapping:
                import_mapping_save(creditor=portfolio.creditor, kind=job.kind, mapping=job.mapping)
        ImportJob.objects.filter(pk=job_id).update(
            **created_portfolio,
            status=ImportJob.Status.DONE,
            rows_done=rows,
            rows_total=rows,
            created_count=result.created,
            updated_count=result.updated,
            unchanged_count=result.unchanged,
            rejected_count=result.rejected,
            recalled_count=result.recalled,
            report=report,
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


def import_job_run_again(*, user, job: ImportJob) -> ImportJob:
    """Queue a failed job again with its stored file and options, as if just created."""
    from debtors.tasks import run_import_job

    if not can_import(user):
        raise PermissionDenied(_("Only administrators load files."))
    if not job.can_run_again:
        raise ValidationError(_("Only a failed import whose file is still stored can be loaded again."))
    queued = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).update(
        status=ImportJob.Status.PENDING,
        rows_total=None,
        rows_done=0,
        created_count=0,
        updated_count=0,
        unchanged_count=0,
        rejected_count=0,
        recalled_count=0,
        report="",
        error_message="",
        started_at=None,
        heartbeat_at=None,
        finished_at=None,
    )
    if queued:
        transaction.on_commit(lambda: run_import_job.delay(job.pk))
    job.refresh_from_db()
    return job

"""Files loaded into portfolios: the jobs, the mappings creditors confirmed, and the undo log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from debtors.models.portfolios import Creditor, Portfolio


class ImportKind(models.TextChoices):
    PORTFOLIO = "portfolio", _("Portfolio file")
    PAYMENTS = "payments", _("Payments file")


class ImportMapping(models.Model):
    """A creditor's confirmed column mapping ({field: header}), offered again on its next file."""

    creditor = models.ForeignKey(
        Creditor, verbose_name=_("creditor"), on_delete=models.CASCADE, related_name="import_mappings"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    mapping = models.JSONField(_("mapping"), default=dict)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        constraints = [
            models.UniqueConstraint(fields=["creditor", "kind"], name="import_mapping_one_per_creditor_and_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.creditor} · {self.get_kind_display()}"


def _import_upload_to(job, filename: str) -> str:
    return f"imports/uploads/{timezone.now():%Y/%m}/{filename}"


class ImportJob(models.Model):
    """One file loaded (or being loaded) into a portfolio, by the web, the API or a worker.

    The job row is the progress bar's source: the worker writes rows_done between batches,
    outside the transaction that writes the debtors, so a page polling it sees it move.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Loading")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    # Empty while the portfolio is `new_portfolio`, one the import is to create.
    portfolio = models.ForeignKey(
        Portfolio,
        verbose_name=_("portfolio"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
        null=True,
        blank=True,
    )
    # {"portfolio", "creditor", "country", "currency"} of a portfolio that does not exist yet:
    # the import saves it with its first rows, so a job that loads nothing leaves none empty.
    new_portfolio = models.JSONField(_("new portfolio"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=_import_upload_to, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    mapping = models.JSONField(_("mapping"), null=True, blank=True, help_text=_("{field: header}; empty to detect."))
    whole_portfolio = models.BooleanField(_("the file is the whole portfolio"), default=False)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # The admin's language when they started it: the rejected-rows reasons are written in it.
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("debtors created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    recalled_count = models.PositiveIntegerField(_("recalled"), default=0)
    report = models.FileField(_("rejected rows"), blank=True, max_length=300)
    error_message = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # Written by the worker every HEARTBEAT seconds while it loads the file: a running job
    # whose heartbeat stopped lost its worker (restart, out of memory), and the sweeper
    # (debtors.tasks.sweep_import_jobs) marks it failed so the admin can load it again.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ImportKind.values), name="import_job_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "done", "failed"]), name="import_job_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_job_user_recent_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name or self.file.name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def portfolio_label(self) -> str:
        if self.portfolio is not None or not self.new_portfolio:
            return str(self.portfolio or "")
        return f"{self.new_portfolio['portfolio']} ({self.new_portfolio['creditor']})"

    @property
    def can_run_again(self) -> bool:
        """A failed job whose file is still stored can be queued again as it was."""
        return self.status == self.Status.FAILED and bool(self.file)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def is_saving(self) -> bool:
        """Every row is read and checked; the set-based merge into the real tables is running.

        On large files that merge takes about as long as the reading did, and it reports no
        rows: the page says what is happening instead of freezing at 99 %."""
        return self.status == self.Status.RUNNING and bool(self.rows_total) and self.rows_done >= self.rows_total

    @property
    def seconds_left(self) -> int | None:
        """Time left at the pace so far; None until there is a pace to go by."""
        if self.is_finished or self.is_saving or not self.started_at or not self.rows_total or not self.rows_done:
            return None
        elapsed = (timezone.now() - self.started_at).total_seconds()
        left = max(self.rows_total - self.rows_done, 0)
        return int(elapsed * left / self.rows_done)


class ImportUndo(models.Model):
    """One row that an unfinished import wrote, and how to put it back.

    On SQLite an import commits a chunk at a time, so that the desk's writes can run between
    its chunks (one writer at a time: one long transaction made them wait past the busy
    timeout). These rows keep "a failed or killed import leaves nothing" true: each chunk
    records, in its own transaction, the rows it created (before is null) and the first
    state of the rows it changed; a failed import undoes them at once, a killed one is
    undone by the stalled-job sweep. A finished import forgets them. Kind "run" is the
    import's own line: its last sign of life and whether it finished."""

    run = models.CharField(_("import run"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16)
    row_id = models.BigIntegerField(_("row"))
    before = models.JSONField(_("before"), null=True, blank=True)

    class Meta:
        verbose_name = _("import undo row")
        verbose_name_plural = _("import undo rows")
        constraints = [models.UniqueConstraint(fields=["run", "kind", "row_id"], name="import_undo_once_per_row")]

    def __str__(self) -> str:
        return f"{self.run}: {self.kind} {self.row_id}"

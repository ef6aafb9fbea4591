import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from collections_crm.permissions import can_manage_portfolios
from debtors.models import (
    HOLD_FIELDS,
    Creditor,
    Debtor,
    ImportJob,
    ImportKind,
    ImportMapping,
    Phone,
    Portfolio,
    PortfolioFigures,
)

logger = logging.getLogger(__name__)

# Days past due on the snapshot's night, in each database's date arithmetic.
_DAYS_PAST_DUE = {
    "postgresql": "GREATEST(%(on)s::date - d.due_date, 0)",
    "sqlite": "MAX(CAST(julianday(%(on)s) - julianday(d.due_date) AS INTEGER), 0)",
}


@transaction.atomic
def debt_snapshots_take(*, on: date) -> int:
    """Record every open debt's days past due and aging bucket for one night (set-based).

    Paid-off debts count zero days. Running it twice for the same night inserts nothing
    the second time (one snapshot per debt and night).
    """
    days = f"CASE WHEN d.balance <= 0 THEN 0 ELSE {_DAYS_PAST_DUE[connection.vendor]} END"
    sql = f"""
        INSERT INTO debtors_debtsnapshot (debt_id, taken_on, days_past_due, aging_bucket, balance)
        SELECT id, %(on)s, days,
               CASE WHEN days <= 0 THEN 'current'
                    WHEN days <= 30 THEN '1-30'
                    WHEN days <= 60 THEN '31-60'
                    WHEN days <= 90 THEN '61-90'
                    WHEN days <= 180 THEN '91-180'
                    ELSE '180+' END,
               balance
        FROM (SELECT d.id, d.balance, {days} AS days FROM debtors_debt d WHERE d.recalled_on IS NULL) open_debts
        WHERE true  -- SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
        ON CONFLICT (debt_id, taken_on) DO NOTHING
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"on": on.isoformat() if connection.vendor == "sqlite" else on})
        return cursor.rowcount


# --- The queue's stored figures ----------------------------------------------------------

# A debtor's open balance and the due date of their oldest unpaid debt, from their debts that
# the creditor has not recalled. The same SQL on both databases (correlated subqueries).
QUEUE_FIGURES_SQL = """
    UPDATE debtors_debtor SET
        open_balance = COALESCE((SELECT SUM(t.balance) FROM debtors_debt t
                                 WHERE t.debtor_id = debtors_debtor.id AND t.recalled_on IS NULL), 0),
        arrears_since = (SELECT MIN(t.due_date) FROM debtors_debt t
                         WHERE t.debtor_id = debtors_debtor.id AND t.recalled_on IS NULL AND t.balance > 0)
"""


def debtor_queue_figures_refresh(*, debtor_ids=None, where: str = "", params=None) -> int:
    """Store the open balance and arrears date that the collector's queue ranks by.

    `debtor_ids` refreshes those debtors; `where` (SQL over debtors_debtor, with `params`)
    those it selects; neither refreshes every debtor whose stored figures have drifted from
    their debts (the nightly repair). Returns the number of debtors written.
    """
    if debtor_ids is not None:
        debtor_ids = [int(pk) for pk in debtor_ids]
        if not debtor_ids:
            return 0
        where, params = f"id IN ({', '.join(['%s'] * len(debtor_ids))})", debtor_ids
    elif not where:
        distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
        where = f"""open_balance {distinct} COALESCE((SELECT SUM(t.balance) FROM debtors_debt t
                        WHERE t.debtor_id = debtors_debtor.id AND t.recalled_on IS NULL), 0)
                    OR arrears_since {distinct} (SELECT MIN(t.due_date) FROM debtors_debt t
                        WHERE t.debtor_id = debtors_debtor.id AND t.recalled_on IS NULL AND t.balance > 0)"""
    with connection.cursor() as cursor:
        cursor.execute(f"{QUEUE_FIGURES_SQL} WHERE {where}", params or [])
        return cursor.rowcount


@transaction.atomic
def portfolio_figures_refresh(*, portfolio_ids=None, now: datetime | None = None) -> int:
    """Count each portfolio's debtors, unassigned debtors and open balance, and store them.

    Every portfolio (the job), or those of `portfolio_ids` (after an import or an assignment,
    so the admin sees their own change at once). One grouped pass over the debtors' covering
    index, then one upserted row per portfolio. Returns the number of portfolios counted.
    """
    from debtors.selectors import portfolio_counts

    now = now or timezone.now()
    portfolios = Portfolio.objects.all() if portfolio_ids is None else Portfolio.objects.filter(pk__in=portfolio_ids)
    ids = list(portfolios.values_list("pk", flat=True))
    if not ids:
        return 0
    counted = portfolio_counts(None if portfolio_ids is None else ids)
    rows = []
    for pk in ids:
        row = counted.get(pk, {})
        debtors = row.get("debtors", 0)
        rows.append(
            PortfolioFigures(
                portfolio_id=pk,
                debtors=debtors,
                unassigned=debtors - row.get("assigned", 0),
                open_balance=row.get("balance") or Decimal("0"),
                counted_at=now,
            )
        )
    PortfolioFigures.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["portfolio"],
        update_fields=["debtors", "unassigned", "open_balance", "counted_at"],
    )
    return len(rows)


def debt_import_hashes_forget(*, debtor_ids) -> int:
    """The next import applies these debtors' rows again instead of counting them unchanged
    unread (Debt.import_hash): for writes the hash cannot notice by itself, such as a phone
    removed or renumbered by hand (the import would add the file's number back)."""
    from debtors.models import Debt

    return Debt.objects.filter(debtor_id__in=list(debtor_ids), import_hash__isnull=False).update(import_hash=None)


# --- Holds and phones (the API; the same rules whoever calls) ------------------------------

PHONE_EDITABLE = ("kind", "relationship", "contact_name", "status")


def _can_act_or_404(user, debtor) -> None:
    from collections_crm.permissions import can_act_on_debtor

    if not can_act_on_debtor(user, debtor):
        raise Http404


@transaction.atomic
def debtor_holds_update(*, debtor: Debtor, by, holds: dict[str, bool]) -> Debtor:
    """Set or lift holds (do not contact, dispute, lawsuit…); the contact policy reads them at once."""
    _can_act_or_404(by, debtor)
    unknown = set(holds) - set(HOLD_FIELDS)
    if unknown:
        raise ValidationError({name: _("Not a hold.") for name in sorted(unknown)})
    changed = [name for name, value in holds.items() if getattr(debtor, name) != bool(value)]
    for name in changed:
        setattr(debtor, name, bool(holds[name]))
    if changed:
        debtor.save(update_fields=[*changed, "updated_at"])
    return debtor


def _apply_consent(phone: Phone, channel: str, values: dict, at: datetime) -> None:
    """Consent is kept with its source and date (a regulator asks for both)."""
    if f"{channel}_consent" not in values:
        return
    consent = bool(values[f"{channel}_consent"])
    if consent and not getattr(phone, f"{channel}_consent"):
        source = (values.get(f"{channel}_consent_source") or "").strip()
        if not source:
            raise ValidationError(
                {f"{channel}_consent_source": _("Say where the consent comes from (a call, a signed form…).")}
            )
        setattr(phone, f"{channel}_consent_source", source)
        setattr(phone, f"{channel}_consent_at", values.get(f"{channel}_consent_at") or at)
    elif not consent:
        setattr(phone, f"{channel}_consent_source", "")
        setattr(phone, f"{channel}_consent_at", None)
    setattr(phone, f"{channel}_consent", consent)


def _save_phone(phone: Phone) -> Phone:
    try:
        phone.full_clean()
    except ValidationError as error:
        if (
            "__all__" in getattr(error, "error_dict", {})
            and Phone.objects.filter(debtor_id=phone.debtor_id, number=phone.number).exclude(pk=phone.pk).exists()
        ):
            raise ValidationError(
                {"number": ValidationError(_("The debtor already has this number."), code="phone_exists")}
            ) from None
        raise
    phone.save()
    return phone


@transaction.atomic
def phone_add(*, debtor: Debtor, by, number: str, at: datetime | None = None, **values) -> Phone:
    """Add a number to a debtor, read in the portfolio's country as the importer reads it."""
    from debtors.importing.phones import normalise_phone
    from debtors.importing.values import ValueProblem

    _can_act_or_404(by, debtor)
    try:
        e164 = normalise_phone(number, debtor.portfolio.country)
    except ValueProblem as problem:
        raise ValidationError(
            {"number": str(problem.message) % {k: str(v) for k, v in problem.params.items()}}
        ) from None
    phone = Phone(debtor=debtor, number=e164, **{k: v for k, v in values.items() if k in PHONE_EDITABLE})
    for channel in ("sms", "whatsapp"):
        _apply_consent(phone, channel, values, at or timezone.now())
    return _save_phone(phone)


@transaction.atomic
def phone_update(*, phone: Phone, by, at: datetime | None = None, **values) -> Phone:
    """Change a number's kind, relationship, status or consents; the number itself stays."""
    _can_act_or_404(by, phone.debtor)
    for name in PHONE_EDITABLE:
        if name in values:
            setattr(phone, name, values[name])
    for channel in ("sms", "whatsapp"):
        _apply_consent(phone, channel, values, at or timezone.now())
    return _save_phone(phone)


# --- Imports -------------------------------------------------------------------------------

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


# A worker writes a running job's heartbeat this often (_ImportHeartbeat, the only writer)...
IMPORT_HEARTBEAT_SECONDS = 30
# ...so a running job silent for this long lost its worker. The heartbeat commits on its own
# connection: on PostgreSQL through the longest merge, on SQLite between two chunks.
IMPORT_STALLED_AFTER = timedelta(minutes=10)
# Uploads waiting for their mapping to be confirmed (imports/pending/) are kept this long.
PENDING_UPLOAD_MAX_AGE = timedelta(days=1)


class _ImportHeartbeat:
    """While an import runs, a thread of its own (hence a connection of its own, committing
    at once) writes the job's heartbeat, including through the long merge at the end when no
    progress is reported."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"import-heartbeat-{job_id}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        self.thread.join()

    def _run(self) -> None:
        from django.db import connection as own_connection

        try:
            while not self.stopping.wait(IMPORT_HEARTBEAT_SECONDS):
                try:
                    ImportJob.objects.filter(pk=self.job_id, status=ImportJob.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:  # SQLite busy with the import's own write: next beat
                    logger.warning("could not write the heartbeat of import %s", self.job_id, exc_info=True)
        finally:
            own_connection.close()


def import_jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Every few minutes (debtors.tasks.sweep_import_jobs), three kinds of leftovers:

    1. running jobs whose worker stopped (no heartbeat for IMPORT_STALLED_AFTER) are marked
       failed with a message saying so, and the admin can load the same file again from the
       job's page; nothing of theirs stays saved (one transaction on PostgreSQL; on SQLite the
       chunks they committed are undone here, undo.import_undo_sweep);
    2. pending jobs that waited as long (their message was lost, e.g. a broker restarted
       without persistence) are queued again; a job already started ignores it;
    3. uploads whose mapping was never confirmed (imports/pending/) older than
       PENDING_UPLOAD_MAX_AGE are deleted.
    Returns the count of each.
    """
    from debtors.importing.undo import import_undo_sweep
    from debtors.tasks import run_import_job

    now = now or timezone.now()
    stalled_before = now - IMPORT_STALLED_AFTER
    stalled = ImportJob.objects.filter(status=ImportJob.Status.RUNNING).filter(
        Q(heartbeat_at__lt=stalled_before) | Q(heartbeat_at__isnull=True, started_at__lt=stalled_before)
    )
    failed = 0
    # The message in each admin's language, as the job's own messages are.
    for language in stalled.order_by().values_list("language", flat=True).distinct():
        with translation.override(language):
            failed += stalled.filter(language=language).update(
                status=ImportJob.Status.FAILED,
                finished_at=now,
                error_message=str(
                    _(
                        "The worker loading this file stopped (it was restarted or ran out of memory), so nothing was"
                        " saved. Load it again: the file is kept."
                    )
                ),
            )
    # What killed imports had committed (SQLite commits chunk by chunk) is undone.
    import_undo_sweep(now=now, silent_for=IMPORT_STALLED_AFTER)
    waiting = list(
        ImportJob.objects.filter(status=ImportJob.Status.PENDING, created_at__lt=stalled_before).values_list(
            "pk", flat=True
        )
    )
    for job_id in waiting:
        transaction.on_commit(lambda job_id=job_id: run_import_job.delay(job_id))
    return {
        "failed": failed,
        "requeued": len(waiting),
        "uploads_deleted": _pending_uploads_delete(older_than=now - PENDING_UPLOAD_MAX_AGE),
    }


def _pending_uploads_delete(*, older_than: datetime) -> int:
    folder = "imports/pending"
    try:
        _folders, names = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    deleted = 0
    for name in names:
        path = f"{folder}/{name}"
        try:
            if default_storage.get_modified_time(path) < older_than:
                default_storage.delete(path)
                deleted += 1
        except (FileNotFoundError, NotImplementedError):
            continue  # gone meanwhile, or a storage that cannot tell its files' age
    return deleted


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


# --- Assignment after an import ------------------------------------------------------------

ROUND_ROBIN = "round_robin"
BALANCED = "balanced"


def _assignment_plan_sql(*, method: str, collector_ids: list[int]) -> tuple[str, list]:
    """SQL selecting (debtor id, open balance, collector id) for every unassigned debtor of a
    portfolio ("%s" first parameter: the portfolio), in both databases' dialect.

    Round-robin deals debtors in id order, one each in turn. Balanced deals them from the
    largest open balance down in a snake (1, 2, 3, 3, 2, 1, 1, 2 …), which keeps the totals
    within about one debt of each other without a loop in Python.
    """
    n = len(collector_ids)
    order = "id" if method == ROUND_ROBIN else "balance DESC, id"
    # "%%" is a literal "%" (modulo) in a statement with parameters, in both databases.
    slot = (
        "r %% {n}"
        if method == ROUND_ROBIN
        else "CASE WHEN (r / {n}) %% 2 = 0 THEN r %% {n} ELSE {n} - 1 - r %% {n} END"
    )
    slot = slot.format(n=n)
    collector = "CASE slot " + " ".join("WHEN %s THEN %s" for _ in collector_ids) + " END"
    params = [value for index, pk in enumerate(collector_ids) for value in (index, pk)]
    sql = f"""
        SELECT id, balance, {collector} AS collector_id FROM (
            SELECT id, balance, {slot} AS slot FROM (
                SELECT id, balance, ROW_NUMBER() OVER (ORDER BY {order}) - 1 AS r FROM (
                    SELECT d.id, COALESCE((SELECT SUM(t.balance) FROM debtors_debt t
                                           WHERE t.debtor_id = d.id AND t.recalled_on IS NULL), 0) AS balance
                    FROM debtors_debtor d WHERE d.portfolio_id = %s AND d.assigned_to_id IS NULL
                ) open_balance
            ) ranked
        ) slotted"""
    # The CASE's parameters come before the portfolio's in the statement text.
    return sql, params


def _checked_collectors(collectors) -> list[int]:
    from collections_crm.users.models import Role

    ids = sorted({user.pk for user in collectors if user.role == Role.COLLECTOR and user.is_active})
    if not ids:
        raise ValidationError({"collectors": _("Choose at least one active collector.")})
    return ids


def assignment_preview(*, portfolio: Portfolio, collectors, method: str) -> list[dict]:
    """Who would get how many debtors and how much balance; nothing is written."""
    from collections_crm.users.models import User

    ids = _checked_collectors(collectors)
    plan, params = _assignment_plan_sql(method=method, collector_ids=ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT collector_id, COUNT(*), COALESCE(SUM(balance), 0) FROM ({plan}) p GROUP BY collector_id",
            [*params, portfolio.pk],
        )
        rows = {collector_id: (count, total) for collector_id, count, total in cursor.fetchall()}
    users = User.objects.in_bulk(ids)
    return [
        {"collector": users[pk], "debtors": rows.get(pk, (0, 0))[0], "balance": Decimal(str(rows.get(pk, (0, 0))[1]))}
        for pk in ids
    ]


@transaction.atomic
def debtors_assign_unassigned(*, user, portfolio: Portfolio, collectors, method: str) -> int:
    """Give a portfolio's unassigned debtors to `collectors` (one UPDATE); returns how many.

    Only debtors still unassigned when it runs are touched, so applying a stale preview
    never takes a debtor from the collector someone gave it to meanwhile.
    """
    if not can_manage_portfolios(user):
        raise PermissionDenied(_("Only administrators assign portfolios."))
    if method not in (ROUND_ROBIN, BALANCED):
        raise ValidationError({"method": _("Unknown way to spread debtors.")})
    ids = _checked_collectors(collectors)
    plan, params = _assignment_plan_sql(method=method, collector_ids=ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE debtors_debtor SET assigned_to_id = p.collector_id, updated_at = %s
                FROM ({plan}) p WHERE debtors_debtor.id = p.id AND debtors_debtor.assigned_to_id IS NULL""",
            [connection.ops.adapt_datetimefield_value(timezone.now()), *params, portfolio.pk],
        )
        assigned = cursor.rowcount
    portfolio_figures_refresh(portfolio_ids=[portfolio.pk])
    return assigned

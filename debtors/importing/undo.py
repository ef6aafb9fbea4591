"""Undoing an import that committed chunk by chunk and did not finish (SQLite).

SQLite has one writer: an import written in one transaction made every call logged during it
wait, and past the busy timeout fail. There the import commits a chunk of rows at a time
(each a fraction of a second), and each chunk records in debtors.ImportUndo, in its own
transaction, the rows it created and the first state of the rows it changed (the merge_* modules).
So "a failed or killed import leaves nothing" still holds:
- an import that raises undoes itself at once (`UndoLog.rollback`);
- a killed one stops sending signs of life; the stalled-job sweep undoes it
  (`import_undo_sweep`);
- a finished one forgets its rows (`UndoLog.forget`), a batch per transaction.
Undoing also runs in short transactions, a batch at a time, each removing the undo rows it
applied, so an undo that is itself interrupted goes on where it stopped.
"""

import logging
import secrets
import time
from datetime import datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from debtors.models import BalanceChange, Creditor, Debt, Debtor, ImportUndo, Phone, Portfolio

logger = logging.getLogger(__name__)

# Rows undone per transaction: deleting 2,000 new debtors with their debts held SQLite's write
# lock 3.5 s on these machines under load; 500 keep it under a second.
UNDO_BATCH = 500
# Undo rows of a finished import deleted per statement: 100,000 take ≈ 0.12 s of the write lock
# on these machines, less than a chunk's merge; with a pause after each for a waiting writer.
FORGET_BATCH = 100_000
_RUN = "run"
# Created rows are removed children first; changed rows are then put back.
_CREATED = (
    ("balancechange", BalanceChange),
    ("phone", Phone),
    ("debt", Debt),
    ("debtor", Debtor),
    ("portfolio", Portfolio),
    ("creditor", Creditor),
)
_RESTORE = {
    "debt": (
        "debtors_debt",
        ("balance", "due_date", "currency", "original_amount", "product", "recalled_on", "updated_at", "import_hash"),
    ),
    "debtor": (
        "debtors_debtor",
        ("full_name", "national_id", "email", "time_zone", "open_balance", "arrears_since", "updated_at"),
    ),
}


class UndoLog:
    """The undo rows of one import run (a random token)."""

    def __init__(self):
        self.run = secrets.token_hex(16)

    def created(self, kind: str, pk: int) -> None:
        ImportUndo.objects.get_or_create(run=self.run, kind=kind, row_id=pk, defaults={"before": None})

    def alive(self, *, portfolio_id: int, done: bool = False) -> None:
        """Called inside each chunk's transaction: the run's last sign of life."""
        ImportUndo.objects.update_or_create(
            run=self.run,
            kind=_RUN,
            row_id=0,
            defaults={"before": {"alive_at": timezone.now().isoformat(), "done": done, "portfolio": portfolio_id}},
        )

    def others_loading(self, portfolio_id: int, *, now: datetime, silent_for: timedelta) -> bool:
        """Whether another unfinished run, alive, writes into the portfolio. Asked inside the
        first chunk's transaction (SQLite: one writer), so two imports never both start: their
        chunks would interleave, and undoing one could take the other's rows with it."""
        for marker in ImportUndo.objects.filter(kind=_RUN, row_id=0).exclude(run=self.run):
            state = marker.before or {}
            alive_at = parse_datetime(state.get("alive_at") or "")
            if (
                state.get("portfolio") == portfolio_id
                and not state.get("done")
                and alive_at
                and alive_at >= now - silent_for
            ):
                return True
        return False

    def forget(self) -> None:
        import_undo_forget(self.run)

    def rollback(self) -> None:
        try:
            import_undo_run(self.run)
        except Exception:  # the sweep undoes it later; the import's own error is the one to report
            logger.exception("could not undo import run %s now; the stalled-job sweep will", self.run)


def import_undo_forget(run: str) -> None:
    """A finished import's undo rows are deleted, a batch per transaction."""
    batch = ImportUndo.objects.filter(run=run).exclude(kind=_RUN).values("pk")[:FORGET_BATCH]
    # One DELETE … WHERE id IN (SELECT …) a batch: nothing refers to undo rows and no signal
    # listens, so Django deletes without reading the ids into Python.
    while ImportUndo.objects.filter(pk__in=batch).delete()[0] == FORGET_BATCH:
        _let_others_write()
    ImportUndo.objects.filter(run=run).delete()


def import_undo_run(run: str) -> dict[str, int]:
    """Undo what an unfinished import wrote; returns the count of rows removed and put back.

    1. Created rows are deleted, children before parents (a portfolio or creditor only if
       nothing else uses it now). A row something else came to depend on meanwhile (a call
       logged on a new debtor) is kept: nothing valid is deleted to undo an import.
    2. Changed rows get their first recorded state back.
    """
    counts = {"deleted": 0, "restored": 0}
    rows = ImportUndo.objects.filter(run=run)
    for kind, model in _CREATED:
        while ids := list(rows.filter(kind=kind, before__isnull=True).values_list("row_id", flat=True)[:UNDO_BATCH]):
            with transaction.atomic():
                counts["deleted"] += _delete(model, ids)
                rows.filter(kind=kind, row_id__in=ids).delete()
            _let_others_write()
    for kind, (table, columns) in _RESTORE.items():
        assignments = ", ".join(f"{column} = json_extract(u.before, '$.{column}')" for column in columns)
        while ids := list(rows.filter(kind=kind).values_list("pk", flat=True)[:UNDO_BATCH]):
            with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                placeholders = ", ".join(["%s"] * len(ids))
                cursor.execute(
                    f"UPDATE {table} SET {assignments} FROM debtors_importundo u"
                    f" WHERE u.id IN ({placeholders}) AND {table}.id = u.row_id",
                    ids,
                )
                counts["restored"] += cursor.rowcount
                ImportUndo.objects.filter(pk__in=ids).delete()
            _let_others_write()
    rows.delete()
    logger.info("import run %s undone: %s", run, counts)
    return counts


def _delete(model, ids) -> int:
    objects = model.objects.filter(pk__in=ids)
    if model is Debtor:
        # Debts keep their debtor (PROTECT): they go first, with their snapshots and changes.
        _delete_each_that_may(Debt.objects.filter(debtor_id__in=ids))
    if model is Portfolio:
        objects = objects.filter(debtors__isnull=True)
    return _delete_each_that_may(objects)


def _delete_each_that_may(queryset) -> int:
    try:
        with transaction.atomic():
            return queryset.delete()[0]
    except (ProtectedError, RestrictedError):
        deleted = 0
        for row in queryset:
            try:
                with transaction.atomic():
                    deleted += type(row).objects.filter(pk=row.pk).delete()[0]
            except (ProtectedError, RestrictedError):
                logger.warning("kept %s %s: other rows refer to it now", type(row).__name__, row.pk)
        return deleted


def _let_others_write() -> None:
    # SQLite's busy handler polls every 100 ms at most: a pause as long lets a waiting writer in.
    if connections[DEFAULT_DB_ALIAS].vendor == "sqlite":
        time.sleep(0.1)


def import_undo_sweep(*, now: datetime, silent_for: timedelta) -> int:
    """Runs of imports killed mid-way (no sign of life for `silent_for`) are undone; finished
    runs whose undo rows were not all deleted are forgotten. Returns the runs undone."""
    undone = 0
    for marker in ImportUndo.objects.filter(kind=_RUN, row_id=0):
        state = marker.before or {}
        alive_at = parse_datetime(state.get("alive_at") or "")
        if state.get("done"):
            import_undo_forget(marker.run)
        elif alive_at is None or alive_at < now - silent_for:
            import_undo_run(marker.run)
            undone += 1
    return undone

"""What the debtors app stores to read fast, and keeps in step with the debts: each night's
debt snapshots, the queue's figures per debtor, each portfolio's figures, and the import
hashes that let a re-import skip rows it has already applied."""

from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from debtors.models import Portfolio, PortfolioFigures

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

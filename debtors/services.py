from datetime import date

from django.db import connection, transaction

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

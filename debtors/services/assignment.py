"""A portfolio's unassigned debtors dealt out to collectors after an import: round-robin or
balanced by open balance, previewed first, then written in one UPDATE."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collections_crm.permissions import can_manage_portfolios
from debtors.models import Portfolio
from debtors.services.figures import portfolio_figures_refresh

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

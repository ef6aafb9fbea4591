"""Who may see and act on what. Every view, API endpoint and job asks here.

The rule: a collector reaches the debtors assigned to them; a supervisor those
assigned to the collectors of the teams they lead (and any assigned to themselves);
an admin every debtor. Promises, calls, payments and follow-ups follow their debtor.
Anything outside that scope is answered with 404, never 403, so that ids of other
collectors' debtors are not even confirmed to exist.
"""

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Case, F, Func, Q, Subquery, Value, When
from django.db.models.functions import Coalesce


def _supervised(user):
    """The ids of a supervisor's teams' collectors and their own, as a subquery."""
    return get_user_model().objects.filter(Q(team__supervisor=user) | Q(pk=user.pk)).values("pk")


class _AmongIds(Func):
    """`column IN (ids subquery)`; on PostgreSQL `column = ANY(ARRAY(ids subquery))`.

    The same rows. PostgreSQL turns IN into a semi-join that looks up the user and team of
    every row it walks (a supervisor's page 50 of debtors by name: 30,000 lookups, 115 ms);
    ARRAY() runs the subquery once and each row is tested against a few dozen ids (18 ms).
    """

    output_field = BooleanField()

    def _parts(self, compiler):
        column, ids = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        ids_sql, ids_params = compiler.compile(ids)  # "(SELECT …)"
        return column_sql, ids_sql, (*column_params, *ids_params)

    def as_sql(self, compiler, connection, **extra_context):
        column_sql, ids_sql, params = self._parts(compiler)
        return f"{column_sql} IN {ids_sql}", params

    def as_postgresql(self, compiler, connection, **extra_context):
        column_sql, ids_sql, params = self._parts(compiler)
        return f"{column_sql} = ANY(ARRAY{ids_sql})", params


def debtor_scope(user, via: str = "", few_rows: bool = False) -> Q:
    """A filter selecting the debtors `user` may reach.

    `via` is the lookup path from the queried model to its debtor ("debtor" for a
    Promise), so the same rule filters every model that hangs off a debtor. `few_rows`: the
    queried rows are few whatever the scope (an approval queue). On PostgreSQL the planner
    cannot estimate ANY(ARRAY(…)) and walked a million debtors to find one pending arrangement
    (0.5 s); the IN form lets it start from the queue (1 ms).
    """
    prefix = f"{via}__" if via else ""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_crm_admin:
        return Q()
    if user.is_supervisor:
        # Their people's ids first (a few dozen), then the debtors by assigned_to: an index
        # lookup per collector. The join-and-OR spelling of the same rule read every debtor
        # (3 s a page for a team of 250,000 debtors among a million).
        if few_rows:  # IN lets the planner start from the few rows, then look up their debtors
            return Q(**{f"{prefix}assigned_to__in": Subquery(_supervised(user))})
        return Q(_AmongIds(F(f"{prefix}assigned_to"), Subquery(_supervised(user))))
    return Q(**{f"{prefix}assigned_to": user})


def debtor_scope_flag(user, via: str = "debtor"):
    """`debtor_scope` as a boolean annotation: whether each row's debtor is in `user`'s scope.

    For lists that count by credited collector (dashboards' drill-downs, call review) and must
    still tell which rows the reader may open."""
    scope = debtor_scope(user, via=via)
    if not scope:  # an admin: every debtor (an empty Q cannot be a CASE condition)
        return Value(True, output_field=BooleanField())
    return Case(When(scope, then=Value(True)), default=Value(False), output_field=BooleanField())


def can_view_debtor(user, debtor) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_crm_admin:
        return True
    if debtor.assigned_to_id == user.pk:
        return True
    if user.is_supervisor and debtor.assigned_to_id is not None:
        assignee = debtor.assigned_to
        return assignee.team_id is not None and assignee.team.supervisor_id == user.pk
    return False


def can_act_on_debtor(user, debtor) -> bool:
    """Log calls, make promises, change holds and phones: whoever may see the debtor."""
    return can_view_debtor(user, debtor)


def can_view_promise(user, promise) -> bool:
    return can_view_debtor(user, promise.debtor)


def can_view_call(user, call) -> bool:
    return can_view_debtor(user, call.debtor)


def can_view_payment(user, payment) -> bool:
    return can_view_debtor(user, payment.debtor)


def can_record_payments(user) -> bool:
    """Payments move money figures: supervisors and admins record them, collectors do not."""
    return user.is_authenticated and (user.is_supervisor or user.is_crm_admin)


def can_manage_portfolios(user) -> bool:
    return user.is_authenticated and user.is_crm_admin


def collector_scope(user, via: str) -> Q:
    """A filter on the collector credited with a row (Promise.collector, Call.collector).

    Dashboards count work by who did it, so they filter on the credited collector
    rather than joining through the debtor's current assignment.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_crm_admin:
        return Q()
    if user.is_supervisor:
        return Q(**{f"{via}__in": _supervised(user)})  # ids, not a join per row (see debtor_scope)
    return Q(**{via: user})


def scope_ordering(user, *fields: str) -> list:
    """`order_by` arguments for a list filtered by `user`'s scope.

    An admin's list is read down an index in the list's order, 50 rows at a time. A collector's
    or supervisor's is not: walking the same index while checking each row's debtor can read
    most of the table before it finds 50 of theirs (7 s for a collector's promises at a million
    debtors), so their rows are found first and then sorted (COALESCE(x, x) is x, but no index
    matches it).
    """
    if user.is_crm_admin:
        return list(fields)
    ordering = []
    for field in fields:
        name = field.lstrip("-")
        if name in ("pk", "id"):
            ordering.append(field)
            continue
        expression = Coalesce(F(name), F(name))
        ordering.append(expression.desc() if field.startswith("-") else expression.asc())
    return ordering

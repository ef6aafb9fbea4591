from datetime import datetime

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from calls.models import Call, FollowUp, FollowUpEvent
from collections_crm.permissions import debtor_scope
from debtors.selectors import ZERO_MONEY
from promises.models import Promise, Strategy
from promises.selectors import promise_count, with_account_and_promise_figures

# The queue shows at most this many follow-ups and this many accounts (200 rows in all): a
# day's work, in a fixed number of queries whatever the collector's book holds.
QUEUE_LIMIT = 100


def _with_debtor_figures(queryset: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    """A follow-up's debtor's balance, oldest unpaid due date and promise record, in the same
    row (subqueries, as `with_account_figures` does for debtors, so that sums are not inflated)."""
    from debtors.models import MONEY, Debt

    open_debts = Debt.objects.filter(debtor=OuterRef("debtor_id"), recalled_on__isnull=True).order_by().values("debtor")

    return queryset.annotate(
        debtor_balance=Coalesce(
            Subquery(open_debts.annotate(total=Sum("balance")).values("total"), output_field=DecimalField(**MONEY)),
            ZERO_MONEY,
        ),
        debtor_oldest_unpaid_due=Subquery(open_debts.filter(balance__gt=0).annotate(d=Min("due_date")).values("d")),
        debtor_promises_kept=promise_count(Promise.Status.KEPT, debtor=OuterRef("debtor_id")),
        debtor_promises_broken=promise_count(Promise.Status.BROKEN, debtor=OuterRef("debtor_id")),
    )


def follow_ups_due_for(user, *, until: datetime) -> QuerySet[FollowUp]:
    """The user's open follow-ups due by `until`, with their debtors: debtors who wrote to us
    first (they are waiting for an answer), then oldest first."""
    debtor_replied_first = Case(When(reason=FollowUp.Reason.REPLY, then=Value(0)), default=Value(1))
    return _with_debtor_figures(
        FollowUp.objects.filter(assigned_to=user, status=FollowUp.Status.OPEN, due_at__lte=until)
        .filter(debtor_scope(user, via="debtor"))
        .select_related("debtor__portfolio", "promise")
        .order_by(debtor_replied_first, "due_at", "pk")
    )


def _score_of_row():
    from debtors.models import DebtorScore

    return DebtorScore.objects.filter(debtor_id=OuterRef("pk"))


def _expected_recovery(strategies: list[Strategy]):
    """Probability of paying × open balance × the strategy's queue weight − its contact cost.

    NULL for a debtor not scored yet (ranked after the scored ones, by arrears). Computed in a
    subquery on the score's primary key: a join let PostgreSQL hash the whole score table (a
    row per debtor of every portfolio) to rank one collector's 5,000 accounts. The handful of
    strategies is inlined as a CASE rather than read per debtor.
    """
    weight = Case(
        *[When(strategy_id=s.pk, then=Value(float(s.queue_weight))) for s in strategies],
        default=Value(1.0),
        output_field=FloatField(),
    )
    cost = Case(
        *[When(strategy_id=s.pk, then=Value(float(s.contact_cost))) for s in strategies],
        default=Value(0.0),
        output_field=FloatField(),
    )
    expected = ExpressionWrapper(
        F("probability") * Cast(OuterRef("open_balance"), FloatField()) * weight - cost, output_field=FloatField()
    )
    return Subquery(_score_of_row().annotate(expected=expected).values("expected")[:1], output_field=FloatField())


QUEUE_ORDER = (F("expected_recovery").desc(nulls_last=True), "arrears_since", "-open_balance", "pk")


def _ranked_account_ids(user, *, exclude_ids: list[int], portfolio_id: int | None, limit: int, strategies):
    """Ids of the user's `limit` accounts with an open balance, most expected recovery first,
    then (unscored debtors) oldest arrears first.

    Read from the figures stored on each debtor and its score: the collector's book through
    its index (debtor_queue_rank_idx), each score by primary key. Ranking from live sums over
    the debts aggregated the whole 5,000-account book on every view (40–50 ms,
    bench/bench_desk.py); the page's own figures are still computed live, for these rows.
    """
    from debtors.models import Debtor

    accounts = Debtor.objects.filter(assigned_to=user, open_balance__gt=0).exclude(pk__in=exclude_ids)
    if portfolio_id is not None:
        accounts = accounts.filter(portfolio_id=portfolio_id)
    accounts = accounts.annotate(expected_recovery=_expected_recovery(strategies))
    return accounts.order_by(*QUEUE_ORDER).values("pk")[:limit]


def queue_debtors_for(user, *, exclude_ids: list[int], limit: int = QUEUE_LIMIT, portfolio_id: int | None = None):
    """Assigned debtors with an open balance, most expected recovery first, after the
    follow-ups; each with its probability of paying and expected recovery (two queries)."""
    from debtors.models import Debtor

    # The strategies of the collector's portfolios (EXISTS stops at their first debtor in each).
    mine = Debtor.objects.filter(portfolio=OuterRef("portfolio"), assigned_to=user)
    strategies = list(Strategy.objects.filter(Exists(mine)))
    ranked = _ranked_account_ids(
        user, exclude_ids=exclude_ids, portfolio_id=portfolio_id, limit=limit, strategies=strategies
    )
    queryset = with_account_and_promise_figures(Debtor.objects.filter(pk__in=ranked).select_related("portfolio"))
    return queryset.annotate(
        expected_recovery=_expected_recovery(strategies),
        payment_probability=Subquery(_score_of_row().values("probability")[:1], output_field=FloatField()),
    ).order_by(*QUEUE_ORDER)


def calls_for_debtor(debtor) -> QuerySet[Call]:
    return debtor.calls.select_related("collector", "phone")


def calls_in_scope(user) -> QuerySet[Call]:
    """Calls on the debtors `user` may reach, with what a closing summary needs."""
    return Call.objects.filter(debtor_scope(user, via="debtor")).select_related(
        "debtor__portfolio__creditor", "debtor__assigned_to"
    )


def follow_ups_in_scope(user) -> QuerySet[FollowUp]:
    """Follow-ups of the debtors `user` may reach (404 for the rest), with their debtor."""
    return FollowUp.objects.filter(debtor_scope(user, via="debtor")).select_related("debtor__portfolio")


# How many of a debtor's latest follow-up changes the debtor page lists.
FOLLOW_UP_CHANGES_SHOWN = 5


def open_follow_ups_for_debtor(debtor) -> QuerySet[FollowUp]:
    """The debtor's open follow-ups, soonest first (the open-follow-up unique index serves it)."""
    return (
        FollowUp.objects.filter(debtor=debtor, status=FollowUp.Status.OPEN)
        .select_related("assigned_to", "call")
        .order_by("due_at", "pk")
    )


def follow_up_changes_for_debtor(debtor, *, limit: int = FOLLOW_UP_CHANGES_SHOWN) -> QuerySet[FollowUpEvent]:
    """The debtor's latest follow-up changes (settled, done, moved), newest first."""
    return (
        FollowUpEvent.objects.filter(debtor=debtor)
        .select_related("follow_up", "by", "call")
        .order_by("-at", "-pk")[:limit]
    )


def follow_up_settled_since(debtor_id: int, since: datetime) -> FollowUpEvent | None:
    """The debtor's follow-up closed most recently since `since` (by a call or by hand), if any."""
    return (
        FollowUpEvent.objects.filter(debtor_id=debtor_id, at__gte=since)
        .exclude(kind=FollowUpEvent.Kind.MOVED)
        .select_related("follow_up")
        .order_by("-at", "-pk")
        .first()
    )


def queue_portfolios_for(user):
    """The portfolios of the user's assigned debtors: the queue's portfolio filter choices."""
    from debtors.models import Debtor, Portfolio

    # EXISTS probes the collector's debtors once per portfolio (a handful) and stops at the
    # first; DISTINCT over the join read all 5,000 of their debtors on every queue view.
    mine = Debtor.objects.filter(portfolio=OuterRef("pk"), assigned_to=user)
    return Portfolio.objects.filter(Exists(mine)).order_by("name", "pk")


def queue_lists_for(
    user, *, until: datetime, portfolio_id: int | None = None, reason: str = "", limit: int = QUEUE_LIMIT
) -> tuple[list[FollowUp], list]:
    """The queue's two lists in selector order: follow-ups due by `until`, then accounts.

    A reason belongs to follow-ups only, so filtering by one leaves the accounts list empty.
    """
    follow_ups = follow_ups_due_for(user, until=until)
    if portfolio_id is not None:
        follow_ups = follow_ups.filter(debtor__portfolio_id=portfolio_id)
    if reason:
        follow_ups = follow_ups.filter(reason=reason)
    follow_ups = list(follow_ups[:limit])
    if reason:
        return follow_ups, []
    exclude_ids = [f.debtor_id for f in follow_ups]
    debtors = queue_debtors_for(user, exclude_ids=exclude_ids, limit=limit, portfolio_id=portfolio_id)
    return follow_ups, list(debtors)

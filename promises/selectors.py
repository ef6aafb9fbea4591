"""Reads about promises: a debtor's promises and record, the portfolio's rules, approvals."""

from django.db.models import Count, IntegerField, Min, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from collections_crm.permissions import debtor_scope
from debtors.selectors import with_account_figures
from promises.models import ApprovalStatus, Arrangement, Promise, PromiseEvent, PromiseRules, Strategy


def promise_count(status: str, *, debtor=OuterRef("pk")):
    """How many of the debtor's promises have `status` (0 for none), as a subquery of a row
    that holds the debtor: a debtor by default, any row through `debtor=OuterRef(...)`."""
    return Coalesce(
        Subquery(
            Promise.objects.filter(debtor=debtor, status=status)
            .order_by()
            .values("debtor")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def with_promise_record(queryset):
    """Annotate each debtor's promise record: `promises_kept` and `promises_broken`.

    Subqueries, as `debtors.selectors.with_account_figures` does, so that sums over the
    debts are not multiplied by the promises.
    """
    return queryset.annotate(
        promises_kept=promise_count(Promise.Status.KEPT),
        promises_broken=promise_count(Promise.Status.BROKEN),
    )


def with_account_and_promise_figures(queryset):
    """The debtor's header figures (balance, oldest unpaid due date) and promise record."""
    return with_promise_record(with_account_figures(queryset))


def promises_for_debtor(debtor) -> QuerySet[Promise]:
    events = Prefetch("events", queryset=PromiseEvent.objects.select_related("by"))
    return debtor.promises.select_related("collector", "debt", "arrangement").prefetch_related(events)


def promise_rules_for(portfolio) -> PromiseRules:
    """The portfolio's promise rules, or the defaults when it has none saved."""
    try:
        return portfolio.promise_rules
    except PromiseRules.DoesNotExist:
        return PromiseRules(portfolio=portfolio)


def promise_rules_by_portfolio(portfolio_ids) -> dict[int, PromiseRules]:
    """Rules for many portfolios in one query; defaults where none are saved."""
    portfolio_ids = set(portfolio_ids)
    saved = {rules.portfolio_id: rules for rules in PromiseRules.objects.filter(portfolio_id__in=portfolio_ids)}
    return {pk: saved.get(pk) or PromiseRules(portfolio_id=pk) for pk in portfolio_ids}


def strategies_by_debtor(debtor_ids) -> dict[int, Strategy]:
    """The strategy treating each debtor, as the latest scoring assigned it (two queries);
    debtors in no segment, or whose strategy was deleted since, are left out."""
    from debtors.models import DebtorScore

    assigned = dict(
        DebtorScore.objects.filter(debtor_id__in=list(debtor_ids), strategy_id__isnull=False)
        .order_by()
        .values_list("debtor_id", "strategy_id")
    )
    strategies = Strategy.objects.in_bulk(set(assigned.values()))
    return {debtor_id: strategies[pk] for debtor_id, pk in assigned.items() if pk in strategies}


def retry_after_minutes_for(debtor) -> int:
    """`retry_after_minutes` for one debtor in one query (logging a call counts its statements)."""
    from debtors.models import DebtorScore, Portfolio

    assigned = DebtorScore.objects.filter(debtor_id=debtor.pk).values("strategy_id")[:1]
    figures = (
        Portfolio.objects.filter(pk=debtor.portfolio_id)
        .annotate(
            strategy=Subquery(Strategy.objects.filter(pk=Subquery(assigned)).values("retry_after_minutes")[:1]),
            portfolio=Subquery(PromiseRules.objects.filter(portfolio=OuterRef("pk")).values("retry_after_minutes")[:1]),
        )
        .values_list("strategy", "portfolio")
        .first()
    )
    strategy_minutes, portfolio_minutes = figures or (None, None)
    if strategy_minutes is not None:
        return strategy_minutes
    return portfolio_minutes if portfolio_minutes is not None else PromiseRules().retry_after_minutes


def retry_after_minutes(rules: PromiseRules, strategy: Strategy | None) -> int:
    """After an attempt that did not reach the debtor: the strategy's cadence, else the portfolio's."""
    if strategy is not None and strategy.retry_after_minutes is not None:
        return strategy.retry_after_minutes
    return rules.retry_after_minutes


def reminder_days_before(rules: PromiseRules, strategy: Strategy | None) -> int:
    if strategy is not None and strategy.reminder_days_before is not None:
        return strategy.reminder_days_before
    return rules.reminder_days_before


def arrangements_awaiting_approval(user) -> QuerySet[Arrangement]:
    """Arrangements beyond the limits waiting for `user`'s decision, oldest first, in one query.

    Supervisors see their teams' debtors, admins all; anyone else nothing. Each row carries
    its instalment count and first due date.
    """
    if not (user.is_supervisor or user.is_crm_admin):
        return Arrangement.objects.none()
    return (
        Arrangement.objects.filter(approval_status=ApprovalStatus.PENDING)
        .filter(debtor_scope(user, via="debtor", few_rows=True))
        .select_related("debtor__portfolio", "created_by")
        .annotate(instalment_count=Count("promises"), first_due_date=Min("promises__due_date"))
        .order_by("created_at", "pk")
    )


def arrangement_get_for_decision(user, pk: int) -> Arrangement:
    """The arrangement, for a supervisor or admin whose scope holds its debtor; 404 for anyone else."""
    if not (user.is_supervisor or user.is_crm_admin):
        raise Http404
    try:
        return (
            Arrangement.objects.filter(debtor_scope(user, via="debtor"))
            .select_related("debtor__assigned_to__team")
            .get(pk=pk)
        )
    except Arrangement.DoesNotExist:
        raise Http404 from None


def due_reminder_offsets(rules: PromiseRules, strategy: Strategy | None) -> frozenset[int]:
    """The days, counted from a debt's due date (−3: three days before; 0: the day; 2: two days
    after), on which its debtor is reminded of it: the strategy's choice, else the portfolio's."""

    def chosen(field: str):
        value = getattr(strategy, field) if strategy is not None else None
        return value if value is not None else getattr(rules, field)

    offsets = set()
    if before := chosen("due_reminder_days_before"):
        offsets.add(-before)
    if chosen("due_reminder_on_the_day"):
        offsets.add(0)
    if after := chosen("due_reminder_days_after"):
        offsets.add(after)
    return frozenset(offsets)

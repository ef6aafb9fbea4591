"""Reads about debtors, always scoped by collections_crm.permissions."""

from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Upper
from django.db.models.lookups import Exact
from django.http import Http404

from collections_crm.permissions import can_manage_portfolios, debtor_scope
from debtors.models import MONEY as _MONEY
from debtors.models import Creditor, Debt, Debtor, ImportJob, ImportMapping, Phone, Portfolio

ZERO_MONEY = Value(0, output_field=DecimalField(**_MONEY))


def _open_debts() -> QuerySet[Debt]:
    return Debt.objects.filter(debtor=OuterRef("pk"), recalled_on__isnull=True)


def with_account_figures(queryset: QuerySet[Debtor]) -> QuerySet[Debtor]:
    """Annotate balance and oldest unpaid due date, one row per debtor.

    Subqueries rather than joins: joining debts (and, above us, promises) at once would
    multiply rows and inflate every sum. The promise record is the promises app's
    (`promises.selectors.with_promise_record`), added by the layers above that show it.
    """
    balance = Subquery(
        _open_debts().order_by().values("debtor").annotate(total=Sum("balance")).values("total"),
        output_field=DecimalField(**_MONEY),
    )
    oldest_due = Subquery(
        _open_debts().filter(balance__gt=0).order_by().values("debtor").annotate(d=Min("due_date")).values("d")
    )
    return queryset.annotate(
        total_balance=Coalesce(balance, ZERO_MONEY),
        oldest_unpaid_due=oldest_due,
    )


def with_payment_score(queryset: QuerySet[Debtor]) -> QuerySet[Debtor]:
    """The debtor's payment score (`score`, None before any scoring) and its stored row."""
    return queryset.select_related("payment_score").annotate(score=F("payment_score__probability"))


def debtors_for_user(user) -> QuerySet[Debtor]:
    return Debtor.objects.filter(debtor_scope(user))


def debtor_ids_by_identifier(search: str) -> list[int]:
    """Debtors whose customer code or national id is `search` (any case) or who have it as a
    phone number: a handful of ids, each branch read through its own index.

    Asked apart from the name so that the list's filter is "name matches OR id in (these)":
    both halves can then use an index (a trigram one for the name on PostgreSQL), where one OR
    over four columns and a phone subquery made the planner read every debtor.
    """
    wanted = Upper(Value(search))
    by_code = Debtor.objects.filter(Q(Exact(Upper("external_id"), wanted)) | Q(Exact(Upper("national_id"), wanted)))
    by_phone = Phone.objects.filter(number=search)
    return list(
        by_code.order_by().values_list("pk", flat=True).union(by_phone.order_by().values_list("debtor_id", flat=True))
    )


def debtor_search_filter(search: str) -> Q:
    """Debtors whose name contains `search` (any case) or whom it identifies whole."""
    return Q(full_name__icontains=search) | Q(pk__in=debtor_ids_by_identifier(search))


def debtor_list_for_user(user, *, search: str = "", with_figures=with_account_figures) -> QuerySet[Debtor]:
    queryset = debtors_for_user(user).select_related("portfolio__creditor", "assigned_to")
    search = search.strip()
    if search:
        # The phone as ids, not a join: a join needed DISTINCT over every match (6 s for a
        # common surname among a million debtors on PostgreSQL).
        queryset = queryset.filter(debtor_search_filter(search))
    return with_figures(queryset).order_by("full_name", "pk")


def debtor_get_for_user(user, pk: int, *, with_figures=with_account_figures) -> Debtor:
    """The debtor with its header figures, or 404 for anyone outside its scope.

    `with_figures` annotates the figures; a higher layer passes its own to add what it
    knows (the promise record: `promises.selectors.with_account_and_promise_figures`).
    """
    queryset = with_figures(debtors_for_user(user).select_related("portfolio__creditor", "assigned_to__team"))
    try:
        return queryset.get(pk=pk)
    except Debtor.DoesNotExist:
        raise Http404 from None


def debtor_get_for_action(user, pk: int) -> Debtor:
    """The debtor without its header figures, or 404 outside the user's scope.

    For writes (a call, a promise, a payment) that need the debtor's portfolio and
    assignee but not its balance: the figures' subqueries cost more than the write.
    """
    try:
        return debtors_for_user(user).select_related("portfolio", "assigned_to__team").get(pk=pk)
    except Debtor.DoesNotExist:
        raise Http404 from None


def days_past_due(oldest_unpaid_due: date | None, today: date) -> int:
    if oldest_unpaid_due is None or today <= oldest_unpaid_due:
        return 0
    return (today - oldest_unpaid_due).days


def portfolio_counts(portfolio_ids=None) -> dict[int, dict]:
    """Debtors, assigned debtors and open balance per portfolio, counted now (1 query).

    One pass over the debtors grouped by portfolio, reading only the covering index
    debtor_portfolio_figures_idx (portfolio, assigned_to, open_balance): no debt is read. The
    open balance is each debtor's stored one, kept with its debts by every writer and repaired
    nightly; a live sum over the debts joined per debtor ran once per debtor and did not answer
    in 5 minutes at 150,000 debtors on SQLite. Still an index entry per debtor: half a second at
    a million, which is why the page reads the stored PortfolioFigures.
    """
    debtors = Debtor.objects.order_by()
    if portfolio_ids is not None:
        debtors = debtors.filter(portfolio__in=portfolio_ids)
    return {
        row["portfolio"]: row
        # Unassigned = all − assigned: COUNT(assigned_to) needs no filter the index cannot answer.
        for row in debtors.values("portfolio").annotate(
            debtors=Count("*"), assigned=Count("assigned_to"), balance=Sum("open_balance")
        )
    }


def portfolio_overview() -> list[Portfolio]:
    """Every portfolio with its size, open balance and unassigned debtors (admin home; 1 query).

    Each portfolio's figures as the job last stored them (`counted_at` says when); a portfolio
    the job has not counted yet is counted now (a second query, over its debtors only).
    """
    portfolios = list(Portfolio.objects.select_related("creditor", "figures").order_by("creditor__name", "name"))
    missing = [portfolio.pk for portfolio in portfolios if not hasattr(portfolio, "figures")]
    counted = portfolio_counts(missing) if missing else {}
    for portfolio in portfolios:
        if hasattr(portfolio, "figures"):
            figures = portfolio.figures
            portfolio.debtor_count = figures.debtors
            portfolio.unassigned_count = figures.unassigned
            portfolio.open_balance = figures.open_balance
            portfolio.counted_at = figures.counted_at
        else:
            row = counted.get(portfolio.pk, {})
            portfolio.debtor_count = row.get("debtors", 0)
            portfolio.unassigned_count = portfolio.debtor_count - row.get("assigned", 0)
            portfolio.open_balance = row.get("balance") or Decimal("0")
            portfolio.counted_at = None
    return portfolios


def import_jobs_for_user(user) -> QuerySet[ImportJob]:
    """Imports a user may see: admins see every import (they share the work), others none."""
    if not can_manage_portfolios(user):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("portfolio__creditor", "created_by")


def import_job_get_for_user(user, pk: int) -> ImportJob:
    try:
        return import_jobs_for_user(user).get(pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


def import_mapping_for(creditor: Creditor, kind: str) -> dict | None:
    """The mapping last confirmed for this creditor's files of this kind, if any."""
    return ImportMapping.objects.filter(creditor=creditor, kind=kind).values_list("mapping", flat=True).first() or None


def permission_history(debtor: Debtor) -> dict[str, list]:
    """The debtor's hold changes and consent changes, newest first, with who made them."""
    return {
        "hold_changes": list(debtor.hold_changes.select_related("by")),
        "consent_changes": list(debtor.consent_changes.select_related("by")),
    }


def numbers_for_lookup(raw: str) -> list[str]:
    """The E.164 numbers a dialer's caller id may stand for: as given when international (+51…
    or 0051…), else read in each portfolio's country, and as digits with their country code."""
    import phonenumbers

    digits = "".join(ch for ch in raw if ch.isdigit())
    if not digits or len(digits) > 17:
        return []
    if raw.lstrip().startswith("+") or digits.startswith("00"):
        attempts = [(f"+{digits.removeprefix('00')}", None)]
    else:
        countries = Portfolio.objects.order_by().values_list("country", flat=True).distinct()
        attempts = [(f"+{digits}", None), *((digits, country) for country in countries)]
    found = []
    for text, region in attempts:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in found:
                found.append(e164)
    return found


def debtors_holding_number(user, numbers: list[str]) -> list[Debtor]:
    """The debtors in the user's scope who hold one of `numbers`, by name."""
    holders = Phone.objects.filter(number__in=numbers).values("debtor_id")
    return list(
        debtors_for_user(user)
        .filter(pk__in=holders)
        .select_related("portfolio__creditor", "assigned_to")
        .order_by("full_name", "pk")[:50]
    )

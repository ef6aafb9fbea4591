"""What a supervisor's figures are about: the period, the filters and whose work is in scope."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    DecimalField,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from collections_crm.permissions import debtor_scope
from collections_crm.users.models import Team
from debtors.models import MONEY, Creditor, Portfolio
from promises.models import Promise, RollupState

ZERO = Value(Decimal("0"), output_field=DecimalField(**MONEY))
RESOLVED = (Promise.Status.KEPT, Promise.Status.PARTIALLY_KEPT, Promise.Status.BROKEN)
JUDGED = (Promise.Status.PENDING, *RESOLVED)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def bounds(self, zone=None) -> tuple[datetime, datetime]:
        """Aware datetimes [start, end) in `zone`, by default the current (viewer's) time zone."""
        zone = zone or timezone.get_current_timezone()
        start = datetime.combine(self.start, time.min, tzinfo=zone)
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
        return start, end


def money_sum(field: str, condition: Q | None = None):
    return Coalesce(Sum(field, filter=condition), ZERO)


def rate(part, whole):
    return (part / whole) if whole else None


def collectors_for_user(user) -> QuerySet:
    collectors = get_user_model().objects.filter(role="collector", is_active=True)
    if not user.is_crm_admin:
        collectors = collectors.filter(team__supervisor=user)
    return collectors.select_related("team").order_by("first_name", "last_name", "username")


# --- The supervisor dashboard (read from the rollups) -----------------------------------------


@dataclass(frozen=True)
class DashboardFilters:
    """The dashboard's filters; each figure, drill-down and export applies the same ones."""

    team: int | None = None
    collector: int | None = None
    portfolio: int | None = None
    creditor: int | None = None

    @classmethod
    def from_query(cls, query) -> "DashboardFilters":
        def number(name):
            value = query.get(name, "")
            return int(value) if value.isdigit() else None

        return cls(
            team=number("team"),
            collector=number("collector"),
            portfolio=number("portfolio"),
            creditor=number("creditor"),
        )

    def as_query(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if value is not None}

    def _q(self, *, collector: str, portfolio: str) -> Q:
        condition = Q()
        if self.team is not None:
            condition &= Q(**{f"{collector}__team_id": self.team})
        if self.collector is not None:
            condition &= Q(**{f"{collector}_id": self.collector})
        if self.portfolio is not None:
            condition &= Q(**{f"{portfolio}_id": self.portfolio})
        if self.creditor is not None:
            condition &= Q(**{f"{portfolio}__creditor_id": self.creditor})
        return condition

    def rollup_q(self) -> Q:
        return self._q(collector="collector", portfolio="portfolio")

    def promise_q(self) -> Q:
        return self._q(collector="collector", portfolio="debtor__portfolio")

    def payment_q(self) -> Q:
        return self._q(collector="credited_to", portfolio="debtor__portfolio")

    def call_q(self) -> Q:
        return self._q(collector="collector", portfolio="debtor__portfolio")

    def debtor_q(self) -> Q:
        return self._q(collector="assigned_to", portfolio="portfolio")


def rollup_scope(user) -> Q:
    """`collector_scope` for the rollup tables, as `collector IN (team members)`: the rollup rows
    are then read by index with no join to users and teams."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_crm_admin:
        return Q()
    members = get_user_model().objects.filter(team__supervisor=user).values("pk")
    if user.is_supervisor:
        return Q(collector__in=members) | Q(collector=user)
    return Q(collector=user)


def rollup_state():

    return RollupState.objects.filter(name="dashboard").first()


def dashboard_options(user) -> dict:
    """The choices of the dashboard's filters, scoped to the user (3 queries; collectors come along)."""

    teams = Team.objects.all() if user.is_crm_admin else Team.objects.filter(supervisor=user)
    return {
        "teams": list(teams.order_by("name")),
        "portfolios": list(Portfolio.objects.select_related("creditor").order_by("name")),
        "creditors": list(Creditor.objects.order_by("name")),
    }


def prefixed(condition: Q, prefix: str) -> Q:
    """The same filter, one relation further away (debtor filters applied to debts)."""
    result = Q()
    for child in condition.children:
        name, value = child
        result &= Q(**{f"{prefix}__{name}": value})
    return result


def debt_scope_q(user, filters: DashboardFilters) -> Q:
    return debtor_scope(user, via="debt__debtor") & prefixed(filters.debtor_q(), "debt__debtor")

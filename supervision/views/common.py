"""What every supervisor page shares: who may see it, the period and filters asked for, labels."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from calls.models import Call
from debtors.markets import CURRENCY_CHOICES
from debtors.models import AgingBucket
from promises.models import Promise
from supervision import selectors, services

PERIODS = {
    "today": _("Today"),
    "week": _("This week"),
    "month": _("This month"),
    "range": _("Chosen dates"),
}
MAX_RANGE_DAYS = 366
CSV_CHUNK = 2000
CENT = Decimal("0.01")


def _period(name: str, today: date | None = None) -> selectors.Period:
    today = today or timezone.localdate()
    if name == "today":
        return selectors.Period(today, today)
    if name == "month":
        next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return selectors.Period(today.replace(day=1), next_month - timedelta(days=1))
    monday = today - timedelta(days=today.weekday())
    return selectors.Period(monday, monday + timedelta(days=6))


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def supervisor_or_admin(user) -> None:
    if not (user.is_supervisor or user.is_crm_admin):
        raise Http404


@dataclass
class Selection:
    """What the dashboard shows: a period, filters and the query string that carries them."""

    period_name: str
    period: selectors.Period
    filters: selectors.DashboardFilters
    zone: object

    @property
    def query(self) -> str:
        params = {"period": self.period_name, **self.filters.as_query()}
        if self.period_name == "range":
            params.update(start=self.period.start.isoformat(), end=self.period.end.isoformat())
        return urlencode(params)


def selection_from(request) -> Selection:
    """Period and filters from the query string; dates in the dashboards' reporting zone."""
    zone = services.reporting_zone()
    today = timezone.localdate(timezone=zone)
    name = request.GET.get("period", "week")
    if name not in PERIODS:
        name = "week"
    if name == "range":
        start, end = _parse_day(request.GET.get("start")), _parse_day(request.GET.get("end"))
        if start and end and start <= end and (end - start).days < MAX_RANGE_DAYS:
            period = selectors.Period(start, end)
        else:
            name, period = "week", _period("week", today)
    else:
        period = _period(name, today)
    return Selection(name, period, selectors.DashboardFilters.from_query(request.GET), zone)


def wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def labels_of(choices) -> dict[str, str]:
    """Choice labels in the reader's language, resolved while the request's language is active:
    a streamed CSV is written after the view has returned."""
    return {value: str(label) for value, label in choices}


def moment_text(value, zone) -> str:
    """A moment for a CSV cell: ISO 8601 in the dashboards' zone (the zone that cuts their days),
    with its offset, so a row's day is the day it was counted in."""
    return value.astimezone(zone).isoformat() if value else ""


def person_name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def money_cell(value) -> Decimal:
    """An amount with its two decimals (sums read from the rollups may come back without them)."""
    return Decimal(value).quantize(CENT)


def ratio_cell(value) -> Decimal | str:
    """A rate as a number with four decimals (a spreadsheet sums and sorts it); empty when none."""
    return "" if value is None else Decimal(f"{float(value):.4f}")


STATUS_LABELS = dict(Promise.Status.choices)
CURRENCIES = {code for code, _label in CURRENCY_CHOICES}


def currency_from(request) -> str:
    """The currency of the figure clicked ("" when none or unknown): figures are per currency,
    so the rows behind one are too."""
    currency = request.GET.get("currency", "")
    return currency if currency in CURRENCIES else ""


def outside_scope_text() -> str:
    return gettext("Debtor now outside your teams")


def any_outside(page) -> bool:
    return any(not row.in_scope for row in page)


OUTCOME_LABELS = dict(Call.Outcome.choices)


BUCKET_LABELS = dict(AgingBucket.choices)

"""Input and output fields whose rules the schema states exactly (see collections_crm.api.schema).

Every rule a field checks is one the published schema can say: a pattern for amounts,
a window of dates (as a pattern recomputed each day), bounds for ids. A client that
follows the schema is never refused by these fields, and what the schema forbids they
refuse with 400.
"""

import datetime as dt
import re

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from collections_crm.api import patterns

# Ids beyond a 64-bit integer would overflow the database driver (a 500, not a 404).
MAX_ID = 999_999_999_999_999_999


class DateWindow:
    """A validator for dates (or the calendar date of moments) from `earliest` to `latest`
    days away from today in UTC, both included.

    Dates thousands of years away are typing slips; they would also overflow date
    arithmetic (grace days, instalment schedules) deep inside the services. The window
    is whole UTC days so that the schema can state it as a pattern (recomputed each
    day). Rules about the debtor's own today or the moment of the request (a promise is
    not in the past for the debtor, a payment is not in the future) stay in the
    services; where they cut a day of the window, the schema documents the days they
    always accept (`schema_earliest`, `schema_latest`), and the field's description the
    rule itself.
    """

    def __init__(
        self, *, earliest: int, latest: int, schema_earliest=None, schema_latest=None, message=None, too_early=None
    ):
        self.earliest, self.latest = earliest, latest
        self.schema_earliest = earliest if schema_earliest is None else schema_earliest
        self.schema_latest = latest if schema_latest is None else schema_latest
        self.message = message or _("Give a date from %(earliest)s to %(latest)s.")
        self.too_early = too_early

    @staticmethod
    def today() -> dt.date:
        return timezone.now().astimezone(dt.UTC).date()

    def bounds(self) -> tuple[dt.date, dt.date]:
        today = self.today()
        return today + dt.timedelta(days=self.earliest), today + dt.timedelta(days=self.latest)

    def schema_bounds(self) -> tuple[dt.date, dt.date]:
        today = self.today()
        return today + dt.timedelta(days=self.schema_earliest), today + dt.timedelta(days=self.schema_latest)

    def __call__(self, value):
        day = value.date() if isinstance(value, dt.datetime) else value
        earliest, latest = self.bounds()
        if day < earliest and self.too_early is not None:
            raise serializers.ValidationError(self.too_early, code="out_of_range")
        if not earliest <= day <= latest:
            params = {"earliest": earliest.isoformat(), "latest": latest.isoformat(), "years": round(self.latest / 366)}
            raise serializers.ValidationError(self.message % params, code="out_of_range")


def within_years(years: int, **kwargs) -> DateWindow:
    """Dates and moments no further than `years` from today, either way."""
    kwargs.setdefault("message", _("Give a date within %(years)s years of today."))
    return DateWindow(earliest=-366 * years, latest=366 * years, **kwargs)


def from_today(years: int, *, too_early) -> DateWindow:
    """Dates from the debtor's today to `years` ahead.

    The debtor's today is yesterday, today or tomorrow in UTC, by their zone: the field
    refuses what is before every zone's today, the service the rest, with the same
    message; the schema promises the days from today in UTC.
    """
    return DateWindow(
        earliest=-1,
        latest=366 * years,
        schema_earliest=0,
        too_early=too_early,
        message=_("Give a date within %(years)s years of today."),
    )


def _window(validators) -> DateWindow | None:
    return next((validator for validator in validators if isinstance(validator, DateWindow)), None)


class IsoDateField(serializers.DateField):
    """A calendar date written YYYY-MM-DD, and nothing else (RFC 3339 full-date).

    DRF would also read "2026-1-5" or "20260105", which the schema's `format: date`
    forbids; a field that accepts what its schema forbids misleads every client.
    """

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            self.fail("invalid", format="YYYY-MM-DD")
        try:
            dt.date.fromisoformat(value)
        except ValueError:  # well written, but no such day (30 February)
            raise serializers.ValidationError(_("There is no such date in the calendar."), code="invalid") from None
        return super().to_internal_value(value)

    @property
    def window(self) -> DateWindow | None:
        return _window(self.validators)


class AwareDateTimeField(serializers.DateTimeField):
    """An RFC 3339 moment that must carry its UTC offset (`Z` or `±hh:mm`).

    A naive time would be read in whatever zone the server or the user happens to
    have; for a dialer in another country that silently shifts calls by hours.
    """

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2026-11-18T10:00:00-05:00."),
        "invalid": _("Give a moment in ISO 8601 with its UTC offset, e.g. 2026-11-18T10:00:00-05:00."),
    }

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(patterns.ANY_MOMENT, value):
            if isinstance(value, str) and _parses_naive(value):
                self.fail("naive")
            self.fail("invalid")
        self._written_day = dt.date.fromisoformat(value[:10])
        return super().to_internal_value(value)

    def run_validators(self, value):
        """The date window judges the moment's own calendar date, as written and as the schema
        states it: once read in the user's zone, 22:00+20:00 on the window's first day falls on
        the day before."""
        window = self.window
        if window is None:
            return super().run_validators(value)
        window(self._written_day)
        every = self.validators
        self.validators = [validator for validator in every if validator is not window]
        try:
            super().run_validators(value)
        finally:
            self.validators = every

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)

    @property
    def window(self) -> DateWindow | None:
        return _window(self.validators)


def _parses_naive(value: str) -> bool:
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        return False
    return moment is not None and moment.tzinfo is None


class MoneyField(serializers.DecimalField):
    """An amount as a string with at most two decimals ("1234.50"); its currency is a field beside it.

    Sent by a client it is a string (never a JSON number, which loses cents in floating
    point) above zero: every amount the API receives is a payment, a promise or an
    instalment.
    """

    default_error_messages = {
        "not_a_string": _('Give the amount as text with at most two decimals, e.g. "1234.50".'),
    }

    def __init__(self, *, schema_pattern: str | None = None, **kwargs):
        # The pattern the schema states when it is narrower than what the field accepts
        # because a service rule it cannot state cuts the rest (see InstalmentsSerializer.total).
        self.schema_pattern = schema_pattern
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        if not kwargs.get("read_only"):
            kwargs.setdefault("min_value", patterns.SMALLEST_AMOUNT)
        kwargs["coerce_to_string"] = True
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(patterns.AMOUNT, data):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class IdField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

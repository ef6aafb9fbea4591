from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 moment that must carry its UTC offset (`Z` or `±hh:mm`).

    A naive time would be read in whatever zone the server or the user happens to
    have; for a dialer in another country that silently shifts calls by hours.
    """

    default_error_messages = {"naive": _("Give the time with its UTC offset, e.g. 2026-11-18T10:00:00-05:00.")}

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class MoneyField(serializers.DecimalField):
    """An amount as a string with two decimals ("1234.50"); its currency is a field beside it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs["coerce_to_string"] = True
        super().__init__(**kwargs)


# Ids beyond a 64-bit integer would overflow the database driver (a 500, not a 404).
MAX_ID = 999_999_999_999_999_999


class IdField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


def within_years(years: int):
    """A validator for dates and moments no further than `years` from today, either way.

    Dates thousands of years away are typing slips; they would also overflow date
    arithmetic (grace days, instalment schedules) deep inside the services.
    """
    import datetime as dt

    def validate(value):
        today = timezone.now().date()
        day = value.date() if isinstance(value, dt.datetime) else value
        if abs((day - today).days) > 366 * years:
            raise serializers.ValidationError(
                _("Give a date within %(years)s years of today.") % {"years": years}, code="out_of_range"
            )

    return validate

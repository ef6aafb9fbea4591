"""What several of the calls app's services share: the debtor's day and which numbers can be dialled."""

from datetime import date, datetime, time

from collections_crm.lib.timezones import zone_for

USABLE_PHONE_STATUSES = ("unknown", "valid")


def day_start(day: date, time_zone: str) -> datetime:
    """Midnight at the start of `day` on the debtor's clock (DST-safe: zoneinfo resolves it)."""
    return datetime.combine(day, time(0), tzinfo=zone_for(time_zone))

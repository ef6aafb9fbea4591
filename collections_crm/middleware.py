import zoneinfo

from django.conf import settings
from django.utils import timezone


class UserTimezoneMiddleware:
    """Show times in the signed-in user's zone; debtor times are shown in the debtor's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone_name = getattr(user, "time_zone", None) or settings.DEFAULT_USER_TIME_ZONE
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.DEFAULT_USER_TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

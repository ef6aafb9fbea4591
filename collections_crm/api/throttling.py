"""Per-user request limits; the rate comes from settings (API_THROTTLE_USER in the environment).

Every endpoint needs a signed-in user or a token, so anonymous requests are refused
(401) before any throttle would count them; only users are throttled.

The rate is read from settings on each request (DRF reads its own setting once, at
import), so that a test can change it. "off" disables the limit.
"""

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import UserRateThrottle


class ApiUserThrottle(UserRateThrottle):
    @property
    def cache(self):
        # Its own cache alias: Redis when configured, so every web process shares the counts.
        return caches["api_throttle"]

    def get_rate(self):
        rate = getattr(settings, "API_THROTTLE_USER", None)
        return None if rate in (None, "", "off") else rate

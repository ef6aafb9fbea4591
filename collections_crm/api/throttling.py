"""Per-user request limits; rates come from settings (API_THROTTLE_USER / _ANON in the environment).

The rate is read on each request rather than once at import, so that tests and a
deployment's settings apply without a restart of the class machinery. "off" disables.
"""

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _SettingsRate:
    setting = ""

    @property
    def cache(self):
        # Its own cache alias: Redis when configured, so every web process shares the counts.
        return caches["api_throttle"]

    def get_rate(self):
        rate = getattr(settings, self.setting, None)
        return None if rate in (None, "", "off") else rate


class ApiUserThrottle(_SettingsRate, UserRateThrottle):
    setting = "API_THROTTLE_USER"


class ApiAnonThrottle(_SettingsRate, AnonRateThrottle):
    setting = "API_THROTTLE_ANON"

import json
import re
import zoneinfo

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from collections_crm.lib.timezones import zone_for
from collections_crm.lib.unstorable import has_unstorable, unstorable_fields, unstorable_message, without_unstorable


class UserTimezoneMiddleware:
    """Show times in the signed-in user's zone; debtor times are shown in the debtor's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone_name = getattr(user, "time_zone", None) or settings.DEFAULT_USER_TIME_ZONE
        try:
            timezone.activate(zone_for(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zone_for(settings.DEFAULT_USER_TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class UnstorableCookieMiddleware:
    """Forget cookies holding a character no database can hold (before SessionMiddleware).

    The server never sets such a cookie, so one is forged or corrupted; a session key with a NUL
    would reach PostgreSQL and fail the request with a 500. Treated as absent instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name in [name for name, value in request.COOKIES.items() if has_unstorable(name) or has_unstorable(value)]:
            del request.COOKIES[name]
        return self.get_response(request)


class UnstorableInputMiddleware:
    """Answer 400, saying why in the user's language, to a page request whose path, query or
    form fields (or JSON body) carry a NUL or an unpaired surrogate: nothing is saved, instead
    of a 500 from the database. Every form, filter and hand-read parameter is covered at once.

    The API (/api/v1/) is left to collections_crm.api.views, which answers in the API's error
    shape and in the token user's language, known only once DRF has authenticated them.
    The page shows the offending values without those characters, so nothing typed is lost;
    htmx requests get the message as plain text (static/js/call_desk.js shows it).

    The providers' webhooks (/hooks/) are left to conversations.webhooks: a refused webhook
    would lose the debtor's message, so it is stored without those characters instead."""

    API_PREFIX = "/api/v1/"
    HOOKS_PREFIX = "/hooks/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith((self.API_PREFIX, self.HOOKS_PREFIX)):
            return self.get_response(request)
        fields = self._unstorable_fields(request)
        if fields is None:
            return self.get_response(request)
        return self._refuse(request, fields)

    def _unstorable_fields(self, request):
        if has_unstorable(request.path_info):
            return {}
        found = dict.fromkeys(unstorable_fields(request.GET))
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            if request.content_type == "application/json":
                try:
                    body = json.loads(request.body or b"null")
                except ValueError:
                    body = None  # not JSON after all: the view answers that
                found.update(dict.fromkeys(unstorable_fields(body)))
            else:
                found.update(dict.fromkeys(unstorable_fields(request.POST)))
        if not found:
            return None
        data = request.POST if request.method == "POST" and request.content_type != "application/json" else request.GET
        return {name: [without_unstorable(v) for v in data.getlist(name) if isinstance(v, str)] for name in found}

    def _refuse(self, request, fields):
        message = unstorable_message()
        if request.headers.get("HX-Request"):
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        context = {
            "message": message,
            # Passwords and tokens are not echoed back.
            "fields": [(name, values) for name, values in fields.items() if not SECRET_FIELD.search(name)],
            "back": _same_site_referer(request),
        }
        return render(request, "unstorable_input.html", context, status=400)


SECRET_FIELD = re.compile(r"password|token|csrf|secret", re.IGNORECASE)


def _same_site_referer(request) -> str | None:
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None

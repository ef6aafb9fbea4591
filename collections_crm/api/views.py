import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from rest_framework import exceptions, generics
from rest_framework.exceptions import ErrorDetail
from rest_framework.views import APIView

from collections_crm.lib.unstorable import unstorable_fields, unstorable_message


class UserLocaleMixin:
    """Answer in the user's language and show times in the user's zone.

    A browser session gets both from the middleware; a token is only read here, after
    the middleware ran, so a dialer would otherwise get the site defaults. An explicit
    Accept-Language header wins over the user's preference.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        user = request.user
        if user.is_authenticated:
            if "HTTP_ACCEPT_LANGUAGE" not in request.META and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass
        refuse_unstorable_input(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def refuse_unstorable_input(request) -> None:
    """400 in the API's error shape when a query parameter or a field of the body (at any depth
    of a JSON object, keys included) holds a NUL or an unpaired surrogate: PostgreSQL can store
    neither, and DRF's own field checks do not reach JSON fields, filters read by hand or
    ordering. Checked once the user is known, so the message is in their language."""
    fields = dict.fromkeys([*unstorable_fields(request.query_params), *unstorable_fields(request.data)])
    if fields:
        message = unstorable_message()
        raise exceptions.ValidationError({name: [ErrorDetail(message, code="unstorable_characters")] for name in fields})


class ApiView(UserLocaleMixin, APIView):
    pass


class ListApiView(UserLocaleMixin, generics.ListAPIView):
    pass

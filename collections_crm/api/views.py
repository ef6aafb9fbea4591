import zoneinfo

from django.conf import settings
from django.http import HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import exceptions, generics
from rest_framework.exceptions import ErrorDetail
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from collections_crm.lib.timezones import zone_for
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
                timezone.activate(zone_for(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass
        refuse_unstorable_input(request)
        reject_repeated_parameters(request)

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and isinstance(getattr(response, "data", None), dict):
            # Errors are JSON whatever the client asked for (a CSV download that is not there).
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def refuse_unstorable_input(request) -> None:
    """400 in the API's error shape when a query parameter holds a NUL or an unpaired surrogate:
    PostgreSQL can store neither, and filters read by hand or ordering do not check. Checked
    once the user is known, so the message is in their language. Bodies are checked field by
    field by InputSerializer (only the fields we read)."""
    fields = dict.fromkeys(unstorable_fields(request.query_params))
    if fields:
        message = unstorable_message()
        raise exceptions.ValidationError(
            {name: [ErrorDetail(message, code="unstorable_characters")] for name in fields}
        )


def reject_repeated_parameters(request) -> None:
    """No parameter of this API is a list: `?debtor=1&debtor=2` would silently read as 2."""
    repeated = sorted(name for name, values in request.query_params.lists() if len(values) > 1)
    if repeated:
        raise exceptions.ValidationError(
            {name: [_("Give this parameter once.")] for name in repeated}, code="repeated_parameter"
        )


def query_data(request) -> dict[str, str]:
    """The query string as plain data for a serializer, so that `?at=` is an empty value to
    judge rather than, as DRF reads form-like input, a parameter left out."""
    return {name: request.query_params[name] for name in request.query_params}


class ApiView(UserLocaleMixin, APIView):
    pass


class ListApiView(UserLocaleMixin, generics.ListAPIView):
    pass


class NotFoundApi(ApiView):
    """Any /api/ address that names no operation: the API's 404, in JSON, never the HTML page.

    Ids outside the database's range miss every route on purpose (collections_crm.api.converters).
    GET and HEAD without the final slash are redirected to the address with it, as
    CommonMiddleware does for pages (it cannot here: this view matches every address).
    """

    permission_classes = [AllowAny]
    schema = None  # not an operation of the published schema

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs, self.request = args, kwargs, request
        self.headers = self.default_response_headers
        redirect = self._with_slash(request)
        if redirect is not None:
            return redirect
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        try:
            self.initial(request, *args, **kwargs)
            raise exceptions.NotFound()
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    @staticmethod
    def _with_slash(request):
        if request.method not in ("GET", "HEAD") or not settings.APPEND_SLASH or request.path_info.endswith("/"):
            return None
        try:
            match = resolve(f"{request.path_info}/")
        except Resolver404:
            return None
        if getattr(match.func, "view_class", None) is NotFoundApi:
            return None
        return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))

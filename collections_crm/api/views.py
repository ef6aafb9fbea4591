import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from rest_framework import generics
from rest_framework.views import APIView


class UserLocaleMixin:
    """Answer in the user's language and show times in the user's zone.

    A browser session gets both from the middleware; a token is only read here, after
    the middleware ran, so a dialer would otherwise get the site defaults. An explicit
    Accept-Language header wins over the user's preference.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        user = request.user
        if not user.is_authenticated:
            return
        if "HTTP_ACCEPT_LANGUAGE" not in request.META and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        try:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class ApiView(UserLocaleMixin, APIView):
    pass


class ListApiView(UserLocaleMixin, generics.ListAPIView):
    pass

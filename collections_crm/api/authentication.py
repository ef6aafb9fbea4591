"""Per-user API tokens: `Authorization: Bearer <token>` (or `Token <token>`); the browser's
session, whose CSRF refusal speaks the user's language."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from collections_crm.users.models import ApiToken
from collections_crm.users.services import api_token_digest, api_token_touch

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    """Finds the token by the digest of the key; a revoked token or an inactive user is refused."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # not ours: the session may still authenticate the request
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("The Authorization header must be “Bearer” and the token."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token.")) from None
        token = (
            ApiToken.objects.select_related("user__team")
            .filter(key_digest=api_token_digest(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request):
        # Makes unauthenticated requests answer 401 with a challenge instead of 403.
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-user token an administrator issues (Django admin → API tokens).",
        }


class BrowserSessionAuthentication(SessionAuthentication):
    """DRF's session authentication. Its CSRF refusal said "CSRF Failed: CSRF token missing." in
    English whatever the user reads; this one says what to do, in their language (the same
    403 and code, permission_denied)."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(
                _("The page's security token is missing or out of date: reload the page and try again.")
            ) from None


class BrowserSessionScheme(OpenApiAuthenticationExtension):
    target_class = BrowserSessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        from django.conf import settings

        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}

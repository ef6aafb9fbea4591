import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from collections_crm.users.models import ApiToken, Role, Team, User

logger = logging.getLogger(__name__)


def user_set_language(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    team: Team | None = None,
    language: str = "es",
    time_zone: str | None = None,
) -> User:
    """Create a user of a role; admins may use the Django admin site, others may not."""
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        team=team,
        language=language,
        # Admins run the Django admin site (users, portfolios, contact rules); nobody else does.
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if time_zone:
        user.time_zone = time_zone
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def user_update_preferences(*, user: User, language: str, time_zone: str) -> User:
    user.language = language
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["language", "time_zone"])
    return user


# --- API tokens --------------------------------------------------------------------------

API_TOKEN_PREFIX = "crm_"
# last_used_at is written at most this often per token: a dialer sends many requests a
# second, and a write on each would serialise them on one row.
API_TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: User, name: str, created_by: User | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the key, which is never stored nor shown again."""
    key = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=key[: len(API_TOKEN_PREFIX) + 6],
        key_digest=api_token_digest(key),
        created_by=created_by,
    )
    token.full_clean()
    token.save()
    return token, key


def api_token_revoke(*, token: ApiToken, by: User | None = None, at: datetime | None = None) -> bool:
    """Revoke a token at once (the next request with it is refused). False if already revoked."""
    at = at or timezone.now()
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=at, revoked_by=by)
    if changed:
        token.revoked_at, token.revoked_by = at, by
    return bool(changed)


def api_token_touch(*, token: ApiToken, at: datetime | None = None) -> None:
    """Record that the token was used, at most once per interval (compare-and-set, no lock).

    A bookkeeping write on a read: when the database cannot take it (SQLite busy with another
    writer past its timeout), the request goes on and the next request records the use."""
    at = at or timezone.now()
    if token.last_used_at is not None and at - token.last_used_at < API_TOKEN_TOUCH_INTERVAL:
        return
    try:
        # Requests run in autocommit (no ATOMIC_REQUESTS): a failed write here spoils nothing else.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=at - API_TOKEN_TOUCH_INTERVAL)
        ).update(last_used_at=at)
    except DatabaseError:
        logger.warning("could not record the use of API token %s; the next request will", token.prefix, exc_info=True)
        return
    token.last_used_at = at

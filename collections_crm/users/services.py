from django.db import transaction

from collections_crm.users.models import Role, Team, User


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

"""The demo's logins: an admin, a supervisor leading team Lima and three collectors."""

from __future__ import annotations

from dataclasses import dataclass

from collections_crm.users.models import Role, Team, User
from collections_crm.users.services import user_create

DEMO_PASSWORD = "demo-cobranza-2026"
DEMO_TEAM_NAME = "Lima"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    first_name: str
    last_name: str


DEMO_LOGINS = (
    DemoLogin("ana", Role.ADMIN, "Ana", "Álvarez"),
    DemoLogin("sofia", Role.SUPERVISOR, "Sofía", "Salazar"),
    DemoLogin("carla", Role.COLLECTOR, "Carla", "Cobos"),
    DemoLogin("carlos", Role.COLLECTOR, "Carlos", "Cruz"),
    DemoLogin("camila", Role.COLLECTOR, "Camila", "Castro"),
)
COLLECTOR_USERNAMES = tuple(login.username for login in DEMO_LOGINS if login.role == Role.COLLECTOR)


def demo_users_ensure() -> tuple[dict[str, User], int]:
    """Get or create the demo logins and team Lima; return the users by name and how many are new.

    A login that already exists is left exactly as it is (password, team, role): someone
    may have changed it on purpose.
    """
    existing = {user.username: user for user in User.objects.filter(username__in=[x.username for x in DEMO_LOGINS])}
    users: dict[str, User] = {}
    team = Team.objects.filter(name=DEMO_TEAM_NAME).first()
    created = 0
    for login in DEMO_LOGINS:
        user = existing.get(login.username)
        if user is None:
            user = user_create(
                username=login.username,
                password=DEMO_PASSWORD,
                role=login.role,
                first_name=login.first_name,
                last_name=login.last_name,
                team=team if login.role == Role.COLLECTOR else None,
            )
            created += 1
        users[login.username] = user
        if login.role == Role.SUPERVISOR and team is None:
            # Collectors come after the supervisor in DEMO_LOGINS, so they find the team.
            team = Team.objects.create(name=DEMO_TEAM_NAME, supervisor=user)
    return users, created

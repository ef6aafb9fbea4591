from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from collections_crm.lib.timezones import validate_time_zone


class Role(models.TextChoices):
    COLLECTOR = "collector", _("Collector")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


def default_user_time_zone() -> str:
    return settings.DEFAULT_USER_TIME_ZONE


class Team(models.Model):
    """A supervisor's team of collectors; a supervisor may lead several teams."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    supervisor = models.ForeignKey(
        "users.User",
        verbose_name=_("supervisor"),
        on_delete=models.PROTECT,
        related_name="led_teams",
        limit_choices_to={"role": Role.SUPERVISOR},
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.COLLECTOR)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_user_time_zone, validators=[validate_time_zone]
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
        ]

    @property
    def is_collector(self) -> bool:
        return self.role == Role.COLLECTOR and not self.is_superuser

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR and not self.is_superuser

    @property
    def is_crm_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

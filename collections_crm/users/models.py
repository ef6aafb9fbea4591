from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
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
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_user_time_zone, validators=[validate_time_zone]
    )
    # Click-to-call (calls.dialers): where the dialer rings this user first.
    dialer_extension = models.CharField(
        _("dialer extension"),
        max_length=32,
        blank=True,
        default="",
        db_default="",  # rows written by code that predates the field get it too
        validators=[RegexValidator(r"^[0-9A-Za-z_.@-]+$", _("Letters, digits and _ . @ - only."))],
        help_text=_("Your phone's extension on Asterisk (e.g. 201): it rings first, then dials the debtor."),
    )
    dialer_agent_user = models.CharField(
        _("VICIdial agent user"),
        max_length=20,
        blank=True,
        default="",
        db_default="",
        validators=[RegexValidator(r"^[0-9A-Za-z_.@-]+$", _("Letters, digits and _ . @ - only."))],
        help_text=_("The agent user you log in to VICIdial with."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid"),
        ]

    def __str__(self) -> str:
        # What every picker, admin select and list shows: the name people know each other
        # by, as the pages do; the user name only for an account without one.
        return self.get_full_name() or self.username

    @property
    def is_collector(self) -> bool:
        return self.role == Role.COLLECTOR and not self.is_superuser

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR and not self.is_superuser

    @property
    def is_crm_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class ApiToken(models.Model):
    """A per-user key for the REST API (dialers, payment feeds, reporting).

    Only a SHA-256 digest of the key is stored: the key itself is shown once, when an
    admin issues it. A fast digest is enough because keys are 256 random bits, not
    passwords a person chose; it also lets every request find its token by index.
    """

    user = models.ForeignKey("users.User", verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("What uses this token, e.g. “Dialer Lima”."))
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("The first characters of the token, to recognise it.")
    )
    key_digest = models.CharField(_("key digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        "users.User",
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        "users.User",
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="api_token_name_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

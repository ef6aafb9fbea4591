"""django-axes' app under a name people read in the admin, in their language.

A module of its own: in collections_crm/apps.py a second AppConfig would change which one
Django picks for "collections_crm".
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class SignInAttemptsConfig(AxesAppConfig):
    verbose_name = _("Sign-in attempts")  # axes' own is "Axes"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionsCrmConfig(AppConfig):
    name = "collections_crm"
    verbose_name = _("Collections CRM")

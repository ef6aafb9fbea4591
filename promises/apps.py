from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromisesConfig(AppConfig):
    name = "promises"
    verbose_name = _("Promises")

    def ready(self):
        # The import jobs (debtors, a lower layer) run payments files through our importer.
        from debtors.models import ImportKind
        from debtors.services import import_kind_register
        from promises.importing import payments_import

        import_kind_register(ImportKind.PAYMENTS, payments_import)

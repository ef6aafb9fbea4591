import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_crm.settings")

app = Celery("collections_crm")
# Every Celery setting lives in Django settings under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

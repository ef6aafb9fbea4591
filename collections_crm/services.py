from django.utils import timezone

from collections_crm.models import Heartbeat


def heartbeat_record(*, name: str) -> Heartbeat:
    beat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})
    return beat

"""The keywords debtors use to stop or restart messages, in Spanish and English, with the one
confirmation each sends back. Admins edit and add others in the admin."""

from django.db import migrations

STOP_ES = (
    "Listo: no le enviaremos más mensajes por este medio. Si cambia de opinión, responda ALTA."
)
START_ES = "Listo: volverá a recibir nuestros mensajes por este medio. Para dejar de recibirlos, responda BAJA."
STOP_EN = "Done: we will send you no more messages this way. If you change your mind, reply START."
START_EN = "Done: you will receive our messages this way again. To stop them, reply STOP."

KEYWORDS = [
    *[(word, "es", "stop", STOP_ES) for word in ("baja", "no mas", "alto", "parar", "cancelar")],
    *[(word, "es", "start", START_ES) for word in ("alta",)],
    *[(word, "en", "stop", STOP_EN) for word in ("stop", "stopall", "unsubscribe", "cancel", "end", "quit")],
    *[(word, "en", "start", START_EN) for word in ("start", "unstop")],
]


def add_keywords(apps, schema_editor):
    ConsentKeyword = apps.get_model("conversations", "ConsentKeyword")
    ConsentKeyword.objects.bulk_create(
        [
            ConsentKeyword(word=word, language=language, action=action, confirmation=confirmation)
            for word, language, action, confirmation in KEYWORDS
        ],
        ignore_conflicts=True,
    )


def remove_keywords(apps, schema_editor):
    ConsentKeyword = apps.get_model("conversations", "ConsentKeyword")
    ConsentKeyword.objects.filter(word__in=[word for word, *_rest in KEYWORDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial")]
    operations = [migrations.RunPython(add_keywords, remove_keywords)]

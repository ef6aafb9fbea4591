"""Chile v2: letters count among the "other actions" (Ley 19.496 art. 37 as amended by Ley 21.320:
at most two a week, two days apart; mail is named beside SMS, e-mail and messaging). v1 counted
SMS, WhatsApp and e-mail only, because the ledger had no letters before.

A new version, not an edit of v1: calls keep the version they were checked against. Nothing is
added where an admin already made a later version of their own.
"""

from django.db import migrations

OTHER_ACTIONS = ["sms", "whatsapp", "email"]


def add_version_2(apps, schema_editor):
    ContactPolicy = apps.get_model("calls", "ContactPolicy")
    ContactRule = apps.get_model("calls", "ContactRule")
    first = ContactPolicy.objects.filter(code="cl", version=1).first()
    if first is None or ContactPolicy.objects.filter(code="cl", version__gt=1).exists():
        return
    second = ContactPolicy.objects.create(
        code="cl",
        version=2,
        kind=first.kind,
        name=first.name,
        citation=first.citation,
        confidence=first.confidence,
        is_active=first.is_active,
        notes="v2: letters count among the two other actions a week (mail, SMS, e-mail, messaging).",
    )
    rules = []
    for rule in ContactRule.objects.filter(policy=first).order_by("pk"):
        channels = list(rule.channels)
        if rule.kind in ("cap", "min_gap") and sorted(channels) == sorted(OTHER_ACTIONS):
            channels.append("letter")
        rules.append(
            ContactRule(
                policy=second,
                kind=rule.kind,
                channels=channels,
                params=rule.params,
                mode=rule.mode,
                citation=rule.citation,
                confidence=rule.confidence,
            )
        )
    ContactRule.objects.bulk_create(rules)


def remove_version_2(apps, schema_editor):
    apps.get_model("calls", "ContactPolicy").objects.filter(code="cl", version=2).delete()


class Migration(migrations.Migration):
    dependencies = [("calls", "0013_letters"), ("calls", "0004_seed_contact_policies")]
    operations = [migrations.RunPython(add_version_2, remove_version_2)]

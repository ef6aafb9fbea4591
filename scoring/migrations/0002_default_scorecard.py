"""The default scorecard, which scores every portfolio until its own history can train a model.

Points a practitioner would give, editable in the admin: recent arrears, recent payments, a
promise pending and a recent conversation raise the odds of a payment; long arrears, broken
promises, no usable phone and holds lower them. At 40 points (where every debtor starts) the
odds are 1 in 3 (60 points: even odds; every 20 points double them).
"""

from django.db import migrations

RULES = [
    ("days_past_due", None, 30, 20),
    ("days_past_due", 30, 90, 10),
    ("days_past_due", 180, None, -15),
    ("days_since_payment", None, 30, 20),
    ("days_since_payment", 30, 90, 10),
    ("days_since_payment", 365, None, -10),
    ("share_paid_90d", 0.1, None, 10),
    ("promises_kept", 1, None, 10),
    ("promises_broken", 2, None, -10),
    ("open_promise", 1, None, 15),
    ("right_party_90d", 1, None, 10),
    ("days_since_right_party", 365, None, -10),
    ("usable_phones", None, 1, -20),
    ("objection_heard", 1, None, -5),
    ("hardship_heard", 1, None, -5),
    ("on_hold", 1, None, -30),
]


def create_default(apps, schema_editor):
    Scorecard = apps.get_model("scoring", "Scorecard")
    ScorecardRule = apps.get_model("scoring", "ScorecardRule")
    if Scorecard.objects.filter(portfolio__isnull=True).exists():
        return
    card = Scorecard.objects.create(
        name="Default scorecard", base_points=40, points_at_even_odds=60, points_to_double_odds=20
    )
    ScorecardRule.objects.bulk_create(
        ScorecardRule(scorecard=card, feature=feature, from_value=low, below_value=high, points=points)
        for feature, low, high, points in RULES
    )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]

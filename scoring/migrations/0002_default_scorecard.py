"""The default scorecard, which scores every portfolio until its own history can train a model.

Points a practitioner would give, editable in the admin: recent arrears, recent payments, a
promise pending and a recent conversation raise the odds of a payment; long arrears, broken
promises, no usable phone and holds lower them. At 40 points (where every debtor starts) the
odds are 1 in 3 (60 points: even odds; every 20 points double them).
"""

from django.db import migrations

# One list of points for this migration and for scoring a database left without a scorecard.
from scoring.scorecard_defaults import DEFAULT_RULES, DEFAULT_SCORECARD


def create_default(apps, schema_editor):
    Scorecard = apps.get_model("scoring", "Scorecard")
    ScorecardRule = apps.get_model("scoring", "ScorecardRule")
    if Scorecard.objects.filter(portfolio__isnull=True).exists():
        return
    card = Scorecard.objects.create(**DEFAULT_SCORECARD)
    ScorecardRule.objects.bulk_create(
        ScorecardRule(scorecard=card, feature=feature, from_value=low, below_value=high, points=points)
        for feature, low, high, points in DEFAULT_RULES
    )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]

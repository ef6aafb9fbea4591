# A payment reference is unique per debtor and source (it was per source): the answer to
# recording one must not depend on payments of debtors outside the recorder's scope.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('debtors', '0009_lookup_indexes_in_byte_order'),
        ('promises', '0006_dashboard_rollups_and_reassignments'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The new index first: look-ups by (source, reference) always have one.
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.UniqueConstraint(fields=('source', 'reference', 'debtor'), name='payment_unique_reference_per_debtor_and_source'),
        ),
        migrations.RemoveConstraint(
            model_name='payment',
            name='payment_unique_reference_per_source',
        ),
    ]

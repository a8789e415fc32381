"""Keep each full tile's internal nodes beside its hashes (proofs slice instead of hashing).

Nullable, no default: a plain ALTER TABLE ADD COLUMN on both backends, so SQLite does not
rebuild the table (which would drop its append-only triggers). Older tiles keep NULL and
are folded on demand.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="tile",
            name="nodes",
            field=models.BinaryField(max_length=255 * 32, null=True),
        ),
    ]

"""A covering index of tile roots, so a proof reads the roots of a level's partial tile without
touching the rows (on SQLite, ``root`` sits behind the 8 KiB ``hashes`` in overflow pages).

CREATE INDEX only: no table rebuild, so the append-only triggers stay.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_tile_nodes")]

    operations = [
        migrations.AddIndex(
            model_name="tile",
            index=models.Index(fields=["level", "index", "root"], name="ledger_tile_roots"),
        ),
    ]

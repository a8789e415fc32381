from django.db import migrations

from custodywatch.registry.reference import load_reference_data


def load(apps, schema_editor):
    load_reference_data(apps.get_model("registry", "Region"), apps.get_model("registry", "Agency"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

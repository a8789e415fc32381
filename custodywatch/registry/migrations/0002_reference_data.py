from django.db import migrations

from custodywatch.registry.reference import AGENCIES, REGIONS


def load(apps, schema_editor):
    Region = apps.get_model("registry", "Region")
    Agency = apps.get_model("registry", "Agency")
    for code, kind, en, ru, kk, row, col in REGIONS:
        Region.objects.update_or_create(
            code=code,
            defaults={"kind": kind, "name_en": en, "name_ru": ru, "name_kk": kk,
                      "grid_row": row, "grid_col": col},
        )
    for code, kind, en, ru, kk in AGENCIES:
        Agency.objects.update_or_create(
            code=code, defaults={"kind": kind, "name_en": en, "name_ru": ru, "name_kk": kk}
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

"""The database cache's table (CACHE_URL db://..., the default): made here so that every
deployment that migrates has it; `createcachetable` does nothing for other cache backends."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor) -> None:  # noqa: ARG001 - migration signature
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_counter_and_stored_file_alert")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]

"""Block UPDATE and DELETE on the log tables in the database itself (SQLite and PostgreSQL).

RunSQL per vendor: each operation runs only on its own backend and is a no-op elsewhere.
"""

from django.db import migrations

from custodywatch.ledger import db_guards


class VendorRunSQL(migrations.RunSQL):
    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.vendor, self.sql, self.reverse_sql], {})

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        VendorRunSQL("sqlite", db_guards.CREATE["sqlite"](), db_guards.DROP["sqlite"]()),
        VendorRunSQL("postgresql", db_guards.CREATE["postgresql"](),
                     db_guards.DROP["postgresql"]()),
    ]

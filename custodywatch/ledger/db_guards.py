"""Triggers that make the log tables append-only in the database itself, per vendor.

Code never updates or deletes a log row; the triggers stop everyone else who can run SQL as the
application (a bug, an injection, a console). A database superuser can still drop them, which is
why witnesses keep independent copies (docs/ledger.md).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

APPEND_ONLY_TABLES = ("ledger_leaf", "ledger_tile", "ledger_checkpoint")
NO_UPDATE_TABLES = ("ledger_pendingleaf",)


def _sqlite_statements() -> list[str]:
    statements = []
    for table in APPEND_ONLY_TABLES + NO_UPDATE_TABLES:
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"
        )
    for table in APPEND_ONLY_TABLES:
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
        )
    return statements


def _postgresql_statements() -> list[str]:
    statements = [
        "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
        "USING ERRCODE = 'insufficient_privilege'; END $$"
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        )
    for table in NO_UPDATE_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        )
    return statements


def _sqlite_drop() -> list[str]:
    tables = APPEND_ONLY_TABLES + NO_UPDATE_TABLES
    return [f"DROP TRIGGER IF EXISTS {t}_no_update" for t in tables] + [
        f"DROP TRIGGER IF EXISTS {t}_no_delete" for t in APPEND_ONLY_TABLES
    ]


def _postgresql_drop() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}"
        for t in APPEND_ONLY_TABLES + NO_UPDATE_TABLES
    ] + ["DROP FUNCTION IF EXISTS ledger_append_only()"]


CREATE = {"sqlite": _sqlite_statements, "postgresql": _postgresql_statements}
DROP = {"sqlite": _sqlite_drop, "postgresql": _postgresql_drop}


def install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in CREATE.get(connection.vendor, list)():
            cursor.execute(statement)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in DROP.get(connection.vendor, list)():
            cursor.execute(statement)


def reset_ledger_tables(connection: BaseDatabaseWrapper) -> None:
    """Empty the ledger for a demo reset: drop the guards, delete, put the guards back.

    Only the `demo` command calls this (custodywatch/demo/generator.py: wipe). No view or API
    reaches it; in production the application's database role should not own the log tables,
    and then it cannot drop their triggers at all (docs/ledger.md).
    """
    uninstall(connection)
    with connection.cursor() as cursor:
        for table in ("ledger_pendingleaf",) + APPEND_ONLY_TABLES:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    install(connection)

"""Database expressions the ORM lacks."""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, Func


class EpochMs(Func):
    """A DateTimeField as integer epoch milliseconds (to the nearest), computed by the database.

    Reading many times this way skips parsing each one into a datetime in Python: for the
    video overview's 40,000 recording-run ends that parsing was 0.2 s of held GIL, which
    stalled every other request of the web process (bench/load.py). SQLite keeps times as
    text, which ``julianday`` reads to the millisecond (it counts whole milliseconds inside).
    """

    output_field = BigIntegerField()
    arity = 1

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection,
                           template="ROUND(EXTRACT(EPOCH FROM %(expressions)s) * 1000)::bigint",
                           **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection,
            template="CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400000) AS INTEGER)",
            **extra)

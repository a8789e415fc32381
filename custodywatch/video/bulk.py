"""Raw bulk writes for the ingestion path: COPY on PostgreSQL, one executemany elsewhere.

``bulk_create`` prepared every field of every model instance in Python; for the few columns of
a span that was most of a batch's insert time (bench/README.md, ingest). These helpers take
plain tuples of times in epoch milliseconds and convert them once, the way each backend
stores them. No signals, no returned ids: the ingestion path needs neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from custodywatch.video.timing import EPOCH, from_ms

_NAIVE_EPOCH = EPOCH.replace(tzinfo=None)
_ONE_MS = dt.timedelta(milliseconds=1)
_UPDATE_CHUNK = 5000  # rows per UPDATE ... FROM (VALUES ...): 15,000 parameters


def connection_for(model: type[Model]) -> BaseDatabaseWrapper:
    return connections[router.db_for_write(model)]


def time_adapter(connection: BaseDatabaseWrapper) -> Callable[[int], Any]:
    """Epoch ms -> the value the backend's DateTimeField stores.

    SQLite: Django's own text form, ``str()`` of the naive UTC datetime (what
    ``adapt_datetimefield_value`` returns with USE_TZ). PostgreSQL: the aware datetime, which
    psycopg sends as timestamptz. Others: the backend's adapter.
    """
    if connection.vendor == "sqlite":
        return lambda ms: str(_NAIVE_EPOCH + ms * _ONE_MS)
    if connection.vendor == "postgresql":
        return from_ms
    adapt = connection.ops.adapt_datetimefield_value
    return lambda ms: adapt(from_ms(ms))


def column_of(model: type[Model], name: str) -> str:
    """The database column of the model's field `name` (a ValueError if it has none)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"{model._meta.label}.{name} is no column.")
    return field.column


def _names(model: type[Model], fields: Sequence[str], connection: BaseDatabaseWrapper
           ) -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    meta = model._meta
    return quote(meta.db_table), [quote(column_of(model, name)) for name in fields]


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
                ) -> None:
    """INSERT ``rows`` (values already adapted, see :func:`time_adapter`) into ``model``'s
    table. Call inside the caller's transaction."""
    if not rows:
        return
    connection = connection_for(model)
    table, columns = _names(model, fields, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Only quoted names from the model go into the text; values travel as COPY data.
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            # The raw cursor bypasses Django's error translation: without the wrapper a
            # unique-key clash (the same batch sent twice at once) escaped as psycopg's own
            # error, a 500, instead of the IntegrityError the idempotent replay handles.
            with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608 - model names, values as parameters
                rows)


def update_times(model: type[Model], updates: Sequence[tuple[int, int, int]]) -> None:
    """New (start, end) in ms per row id: one prepared UPDATE run for all rows.

    What bulk_update writes, without its CASE WHEN per row, whose compilation cost more than
    the rest of a batch (no signals either way).
    """
    if not updates:
        return
    connection = connection_for(model)
    table, (start_col, end_col, pk_col) = _names(
        model, ["started_at", "ended_at", model._meta.pk.name], connection)
    adapt = time_adapter(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement, not one round trip per row (executemany sends each on its own).
            for first in range(0, len(updates), _UPDATE_CHUNK):
                chunk = updates[first: first + _UPDATE_CHUNK]
                rows = ", ".join(["(%s::bigint, %s::timestamptz, %s::timestamptz)"] * len(chunk))
                cursor.execute(
                    f"UPDATE {table} SET {start_col} = v.s, {end_col} = v.e "  # noqa: S608 - model names, values as parameters
                    f"FROM (VALUES {rows}) AS v(id, s, e) WHERE {table}.{pk_col} = v.id",
                    [value for row_id, s, e in chunk for value in (row_id, adapt(s), adapt(e))])
            return
        sql = f"UPDATE {table} SET {start_col} = %s, {end_col} = %s WHERE {pk_col} = %s"  # noqa: S608 - model names, values as parameters
        cursor.executemany(sql, [(adapt(s), adapt(e), row_id) for row_id, s, e in updates])


def time_reader(connection: BaseDatabaseWrapper) -> Callable[[Any], int]:
    """A DateTimeField value as the backend returns it from a raw cursor -> epoch ms."""
    if connection.vendor == "sqlite":
        # Naive UTC: Django's sqlite3 connection parses declared datetime columns itself
        # (detect_types); plain text, where it does not, is Django's own form.
        def sqlite_ms(value: Any) -> int:
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            if value.tzinfo is not None:
                return (value - EPOCH) // _ONE_MS
            return (value - _NAIVE_EPOCH) // _ONE_MS

        return sqlite_ms
    convert = (connection.ops.convert_datetimefield_value  # type: ignore[attr-defined]  # sqlite's, mysql's and oracle's operations have it, not the base class
               if connection.vendor != "postgresql" else None)

    def aware_ms(value: Any) -> int:
        if convert is not None:
            value = convert(value, None, connection)
        if value.tzinfo is None:  # a backend that hands back naive UTC
            value = value.replace(tzinfo=dt.UTC)
        return (value - EPOCH) // _ONE_MS

    return aware_ms


def read_spans(model: type[Model], groups: Sequence[tuple[Sequence[int], int, int]],
               fields: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``model`` whose camera is in a group and whose [started_at, ended_at] touches
    the group's [low, high] (ms), in (camera, started_at) order, as
    ``(camera_id, pk, start_ms, end_ms, *fields)``.

    One raw SELECT: the ORM's query compilation and per-value datetime converters were most
    of this read's time; the (camera, ended_at) index serves each clause.
    """
    if not groups:
        return []
    connection = connection_for(model)
    table, columns = _names(model, ["camera", model._meta.pk.name, "started_at", "ended_at",
                                    *fields], connection)
    camera_col, _pk, start_col, end_col = columns[:4]
    read = time_reader(connection)
    if connection.vendor == "postgresql":
        # Epoch ms computed by the server (numeric, exact): no timestamp parsing in Python.
        columns[2:4] = [f"ROUND(EXTRACT(EPOCH FROM {col}) * 1000)::bigint"
                        for col in (start_col, end_col)]
        read = int
    adapt = time_adapter(connection)
    clauses, params = [], []
    for cameras, low, high in groups:
        marks = ", ".join(["%s"] * len(cameras))
        clauses.append(f"({camera_col} IN ({marks}) AND {end_col} >= %s AND {start_col} <= %s)")
        params += [*cameras, adapt(low), adapt(high)]
    sql = (f"SELECT {', '.join(columns)} FROM {table} "  # noqa: S608 - quoted model names
           f"WHERE {' OR '.join(clauses)} ORDER BY {camera_col}, {start_col}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1], read(row[2]), read(row[3]), *row[4:])
                for row in cursor.fetchall()]

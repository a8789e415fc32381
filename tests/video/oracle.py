"""PostgreSQL range arithmetic as the oracle for blind time: tstzmultirange minus range_agg.

Everything goes through exact integer milliseconds: 'epoch' + ms * 1 ms is exact for these
magnitudes, and extract(epoch ...) of an interval is numeric (exact) since PostgreSQL 14.
"""

# The SQL is assembled from constant fragments of this file only; values go through COPY.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence

import psycopg

TS = "(timestamptz 'epoch' + ({} * interval '1 millisecond'))"


def _range(start: str, end: str) -> str:
    return f"tstzrange({TS.format(start)}, {TS.format(end)})"


def _load(cursor, table: str, columns: str, rows: Sequence[tuple]) -> None:
    cursor.execute(f"CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP")
    with cursor.copy(f"COPY {table} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def blind_ms_by_postgres(
    url: str,
    stays: Sequence[tuple[int, int, int, int]],  # (stay id, room, start ms, end ms)
    camera_rooms: Sequence[tuple[int, int]],  # (camera, room)
    covers: Sequence[tuple[int, int, int]],  # (camera, start ms, end ms) that cover
    recordings: Sequence[tuple[int, int, int]] | None = None,
) -> dict[int, int]:
    """Blind ms per stay. With ``recordings``, a camera covers only where a recording run
    and a cover (its ok state) intersect: multirange ``*``, as the stored data mean."""
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        _load(cursor, "o_stays", "stay_id bigint, room_id bigint, s bigint, e bigint", stays)
        _load(cursor, "o_cams", "camera_id bigint, room_id bigint", camera_rooms)
        _load(cursor, "o_ok", "camera_id bigint, s bigint, e bigint", covers)
        _load(cursor, "o_runs", "camera_id bigint, s bigint, e bigint", recordings or [])
        ok = f"SELECT camera_id, range_agg({_range('s', 'e')}) AS mr FROM o_ok GROUP BY 1"
        if recordings is None:
            working = ok
        else:
            runs = f"SELECT camera_id, range_agg({_range('s', 'e')}) AS mr FROM o_runs GROUP BY 1"
            working = (f"SELECT ok.camera_id, ok.mr * runs.mr AS mr FROM ({ok}) ok "
                       f"JOIN ({runs}) runs USING (camera_id)")
        cursor.execute(f"""
            WITH working AS ({working}),
            room_cover AS (
                SELECT c.room_id, range_agg(w.mr) AS mr
                FROM working w JOIN o_cams c USING (camera_id) GROUP BY c.room_id
            )
            SELECT st.stay_id, COALESCE((
                SELECT sum(extract(epoch FROM upper(piece) - lower(piece)) * 1000)
                FROM unnest(tstzmultirange({_range('st.s', 'st.e')})
                            - COALESCE(rc.mr, '{{}}'::tstzmultirange)) AS piece
            ), 0)::bigint
            FROM o_stays st LEFT JOIN room_cover rc ON rc.room_id = st.room_id
        """)
        return dict(cursor.fetchall())

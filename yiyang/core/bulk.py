"""The bulk write path: many rows in one statement stream, without the ORM's per-object
work. PostgreSQL gets ``COPY … FROM STDIN``; SQLite gets ``executemany`` of one prepared
INSERT. Used by the importer and the demo (DESIGN §6: never a row-at-a-time save).

Values arrive as Python objects (UUID, date, datetime, bytes, dict); each column's
converter is chosen once per call, not per value.

A large load runs inside ``bulk_load()``: on SQLite it raises the page cache for the
duration (PERFORMANCE.md: the random-keyed B-trees of UUID keys and blind indexes, not the
encryption, are the main cost of an encrypted bulk load, and SQLite's default 2 MB cache
turns nearly every index insert into a page read).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connections, models

# Page cache for a bulk load on SQLite, in KiB: an upper bound, SQLite allocates pages only
# as it touches them and gives them back when the setting is restored.
SQLITE_BULK_CACHE_KIB = 1024 * 1024

_json_encode = json.JSONEncoder(ensure_ascii=False).encode  # built once: json.dumps(**kw) builds one per call


class JsonText(str):
    """A JSON value already encoded — one that many rows share is encoded once — written as it is."""


def _json(v: Any) -> str | None:
    if v.__class__ is JsonText:
        return str(v)
    return None if v is None else _json_encode(v)


def json_text(v: Any) -> JsonText:
    """``v`` encoded as the bulk path encodes a JSON column."""
    return JsonText(_json_encode(v))


_HEX32 = re.compile(r"[0-9a-f]{32}")


def _uuid_hex(v: Any) -> str | None:
    cls = v.__class__
    if cls is uuid.UUID:
        return v.hex
    if cls is str and _HEX32.fullmatch(v):
        return v  # already the stored form (sorted_uuid4_hex)
    return None if v is None else uuid.UUID(str(v)).hex


def _last_value_cached(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Bulk rows repeat one timestamp (``now``) in every row: convert it once."""
    last_in: list[Any] = [object(), None]

    def cached(v: Any) -> Any:
        if v is not last_in[0]:
            last_in[0], last_in[1] = v, convert(v)
        return last_in[1]

    return cached


def _converter(field: models.Field, vendor: str, connection: Any) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        return _json
    if vendor == "postgresql":
        return None  # psycopg adapts UUID, date, datetime, bytes itself
    if isinstance(field, models.UUIDField) or (
        isinstance(field, models.ForeignKey) and isinstance(field.target_field, models.UUIDField)
    ):
        return _uuid_hex
    if isinstance(field, models.DateTimeField):
        return _last_value_cached(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else v.isoformat()
    return None


@contextmanager
def bulk_load(using: str = "default") -> Iterator[None]:
    """Connection settings for a large load, restored afterwards (see the module doc)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous):d}")


def wal_checkpoint(using: str = "default") -> None:
    """SQLite, outside a transaction: copy the write-ahead log into the database now, in this
    connection. A long run of write transactions (a city's entitlements recompute) calls it
    after each: the log then stays short, and the automatic checkpoint — with its fsync of the
    database file — is not left to whichever small commit of another connection crosses the
    log's 1,000 pages (a registration waited 1.16 s for one, at 1,000,000 elders). PASSIVE:
    it waits for no reader and no writer. Elsewhere (PostgreSQL, inside a transaction) nothing."""
    connection = connections[using]
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (4 << 76) | (0x8000 << 48)


def sorted_uuid4_hex(n: int) -> list[str]:
    """``n`` random version-4 UUIDs (as ``uuid.uuid4()``: 122 bits from ``os.urandom``),
    in ascending order, as 32 lower-case hex digits — the form SQLite stores and
    PostgreSQL's uuid type reads, so a million keys need no ``uuid.UUID`` objects.

    Giving a batch's new rows their keys in key order turns the inserts into the primary
    key — and into every index on a column that refers to it — into appends instead of
    jumps all over the B-tree. The keys stay exactly as random as uuid4's."""
    raw = os.urandom(16 * n)
    ints = sorted((int.from_bytes(raw[i:i + 16], "big") & _V4_CLEAR) | _V4_SET for i in range(0, 16 * n, 16))
    return [f"{x:032x}" for x in ints]


def bulk_insert(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], *, using: str = "default"
) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``, given by attname) into
    ``model``'s table. Returns the number of rows. Runs inside the caller's transaction."""
    connection = connections[using]
    vendor = connection.vendor
    meta = model._meta
    field_objs = [_field_by_attname(meta, f) for f in fields]
    columns = [str(f.column) for f in field_objs]
    convs = [_converter(f, vendor, connection) for f in field_objs]
    active = [(i, c) for i, c in enumerate(convs) if c is not None]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    col_sql = ", ".join(qn(c) for c in columns)

    def converted() -> Iterable[Sequence[Any]]:
        if not active:
            yield from rows
            return
        for row in rows:
            row = list(row)
            for i, c in active:
                row[i] = c(row[i])
            yield row

    count = 0
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({col_sql}) FROM STDIN") as copy:
                for row in converted():
                    copy.write_row(row)
                    count += 1
        else:
            sql = f"INSERT INTO {table} ({col_sql}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 - names from model meta, values bound
            batch: list[Sequence[Any]] = []
            for row in converted():
                batch.append(row)
                if len(batch) >= 10_000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def _field_by_attname(meta: Any, attname: str) -> models.Field:
    for f in meta.concrete_fields:
        if f.attname == attname:
            return f
    raise ValueError(f"{meta.label} has no column {attname!r}")

"""The bulk write path: many rows in one statement stream, without the ORM's per-object
work. PostgreSQL gets ``COPY … FROM STDIN``; SQLite gets ``executemany`` of one prepared
INSERT. Used by the importer and the demo (DESIGN §6: never a row-at-a-time save).

Values arrive as Python objects (UUID, date, datetime, bytes, dict); each column's
converter is chosen once per call, not per value.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models


def _converter(field: models.Field, vendor: str, connection: Any) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else json.dumps(v, ensure_ascii=False)
    if vendor == "postgresql":
        return None  # psycopg adapts UUID, date, datetime, bytes itself
    if isinstance(field, models.UUIDField) or (
        isinstance(field, models.ForeignKey) and isinstance(field.target_field, models.UUIDField)
    ):
        return lambda v: None if v is None else (v.hex if isinstance(v, uuid.UUID) else uuid.UUID(str(v)).hex)
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else v.isoformat()
    return None


def bulk_insert(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], *, using: str = "default"
) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``, given by attname) into
    ``model``'s table. Returns the number of rows. Runs inside the caller's transaction."""
    connection = connections[using]
    vendor = connection.vendor
    meta = model._meta
    field_objs = [_field_by_attname(meta, f) for f in fields]
    columns = [f.column for f in field_objs]
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

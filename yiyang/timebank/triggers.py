"""The append-only triggers of migration 0002, for code that must drop and restore them: the
tamper test (a change behind the application's back) and the clean-up of transactional tests
(SQLite empties tables with DELETE, which the triggers refuse)."""

from __future__ import annotations

import importlib

from django.db import connection

_m = importlib.import_module("yiyang.timebank.migrations.0002_append_only_triggers")


def triggers_drop() -> None:
    with connection.cursor() as cur:
        for sql in _m.drop_statements(connection.vendor):
            cur.execute(sql)


def triggers_create() -> None:
    with connection.cursor() as cur:
        for sql in _m.create_statements(connection.vendor):
            cur.execute(sql)

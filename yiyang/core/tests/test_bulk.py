"""The bulk write path's helpers: ordered random keys and the load-time connection settings."""

import uuid

import pytest
from django.db import connection

from yiyang.core.bulk import SQLITE_BULK_CACHE_KIB, bulk_load, sorted_uuid4_hex


def test_sorted_uuid4_hex_are_random_version_4_ascending_and_in_stored_form():
    ids = sorted_uuid4_hex(5000)
    assert ids == sorted(ids) and len(set(ids)) == 5000
    parsed = [uuid.UUID(h) for h in ids]
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 and u.hex == h for u, h in zip(parsed, ids, strict=True))
    assert parsed == sorted(parsed)
    assert sorted_uuid4_hex(5000) != ids  # fresh randomness every call
    assert sorted_uuid4_hex(0) == []


@pytest.mark.django_db
def test_bulk_load_raises_the_sqlite_page_cache_and_restores_it():
    if connection.vendor != "sqlite":
        with bulk_load():
            pass  # nothing to tune elsewhere
        return

    def cache_size():
        with connection.cursor() as cur:
            cur.execute("PRAGMA cache_size")
            return cur.fetchone()[0]

    before = cache_size()
    with bulk_load():
        assert cache_size() == -SQLITE_BULK_CACHE_KIB
    assert cache_size() == before
    with pytest.raises(RuntimeError), bulk_load():
        raise RuntimeError
    assert cache_size() == before


@pytest.mark.django_db
def test_wal_checkpoint_copies_the_log_into_the_database_file(tmp_path, monkeypatch):
    """On an SQLite file in WAL mode with no automatic checkpoint, written pages stay in the
    log until ``wal_checkpoint`` copies them into the database file — not inside a transaction."""
    from django.db.utils import ConnectionHandler

    from yiyang.core import bulk

    path = tmp_path / "wal.sqlite3"
    handler = ConnectionHandler({"default": {
        "ENGINE": "django.db.backends.sqlite3", "NAME": str(path),
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"}}})
    monkeypatch.setattr(bulk, "connections", handler)
    conn = handler["default"]
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE t (v TEXT)")
            cur.executemany("INSERT INTO t VALUES (%s)", [("x" * 200,)] * 2000)
        before = path.stat().st_size
        conn.in_atomic_block = True  # as inside transaction.atomic(): the caller's transaction is open
        bulk.wal_checkpoint()
        conn.in_atomic_block = False
        assert path.stat().st_size == before  # nothing done inside a transaction
        bulk.wal_checkpoint()
        assert path.stat().st_size > before + 300_000  # the table's pages are in the file now
    finally:
        conn.close()

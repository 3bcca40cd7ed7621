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

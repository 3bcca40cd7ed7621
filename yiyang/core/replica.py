"""Reads that may be a second stale, served by a read replica when one is configured.

``DATABASE_REPLICA_URL`` (a PostgreSQL streaming replica of ``DATABASE_URL``) adds the
database alias ``replica`` and installs :class:`ReplicaRouter`. Nothing goes there by
default: a view or a block of code opts in, because after a form post the person who
posted must see what they wrote, and a replica is behind the primary by the time its
WAL takes to replay (milliseconds when healthy, seconds under load).

Opting in — only for reads whose answer may be a second old:

* ``@stale_reads_view`` on a view: the per-region figures (``core.overview``), the visit
  rate and its lists (``visits.rate``, ``visits.rate_elders``), the public directory search
  and its statistics pages (``directory.search``, ``fairness``, ``coverage``, and the API's
  ``GET /directory/services``), with their ``.xlsx`` exports;
* ``with stale_reads(request):`` around any other block of reads (a ninja endpoint, whose
  signature a decorator would hide).

What stays on the primary whatever the block says (docs/scale-out.md §2):

* every write — ``db_for_write`` is always ``default``, also for an instance read from
  the replica, so ``obj.save()`` after a replica read goes to the primary;
* every read inside a transaction on the primary (``transaction.atomic``): a service reads
  what it is about to change, and ``select_for_update`` must lock the primary's rows;
* the session and the logged-in user (read before the block starts), and any request for
  a few seconds after the same browser posted something (the ``yiyang_primary`` cookie set by
  :class:`ReplicaPinMiddleware`) — a form post followed by its redirect reads its own write;
* sessions (``django.contrib.sessions``) in any case.

An object read inside the block remembers ``_state.db == "replica"``; its related objects
are read through the router again (so from the primary outside the block).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "yiyang_primary"
# Apps whose rows are never read from the replica, even inside a stale block.
PRIMARY_ONLY_APPS = frozenset({"sessions"})

_stale_ok: ContextVar[bool] = ContextVar("yiyang_stale_reads", default=False)


def replica_configured() -> bool:
    """A replica alias exists and replica reads are switched on (``YIYANG_REPLICA_READS``,
    default on; the test suite switches them off except in the tests that ask for them)."""
    return REPLICA in settings.DATABASES and bool(settings.YIYANG.get("REPLICA_READS", True))


@contextmanager
def stale_reads(request: HttpRequest | None = None) -> Iterator[None]:
    """Reads in this block may be served by the replica (a second stale at most when healthy) —
    unless ``request`` comes from a browser that posted something a moment ago."""
    token = _stale_ok.set(not (request is not None and request.COOKIES.get(PIN_COOKIE)))
    try:
        yield
    finally:
        _stale_ok.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads in this block go to the primary even inside a ``stale_reads`` block."""
    token = _stale_ok.set(False)
    try:
        yield
    finally:
        _stale_ok.reset(token)


def stale_reads_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run a view's reads on the replica, unless this browser posted something a moment ago.

    The session and the user are loaded first, on the primary: a login that just committed
    may not be on the replica yet."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 - forces the lazy session and user load here, on the primary
        with stale_reads(request):
            return view(request, *args, **kwargs)

    return wrapped


# When the replica cannot be reached, the reads that would go there go to the primary for this
# long before it is tried again: a replica down (restarted, failed over, its network cut) makes
# pages slower, never broken. A connection that dies during a query fails that one request;
# Django drops the connection, and the next request finds the replica down here.
DOWN_SECONDS = 30.0
_down_until = 0.0


def _connect_replica() -> None:
    connections[REPLICA].ensure_connection()  # nothing to do when connected already


def replica_available() -> bool:
    """Whether the replica answers (connected, or connects now); after a failure, ``False``
    for ``DOWN_SECONDS`` without trying."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        _connect_replica()
    except DatabaseError as exc:
        _down_until = time.monotonic() + DOWN_SECONDS
        logger.warning("read replica unreachable (%s): its reads go to the primary for %d s", exc, DOWN_SECONDS)
        return False
    return True


class ReplicaRouter:
    """Reads opted in with :func:`stale_reads` go to ``replica`` while it answers; everything
    else, and every write, to ``default``."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        if (_stale_ok.get() and model._meta.app_label not in PRIMARY_ONLY_APPS  # type: ignore[attr-defined]
                and not connections[DEFAULT_DB_ALIAS].in_atomic_block and replica_configured()
                and replica_available()):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        # Explicitly the primary, not None: with None Django would save an instance to the
        # database it was read from — the replica, which refuses every write.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database and its copy

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db != REPLICA  # the replica gets its tables by replaying the primary's WAL


class ReplicaPinMiddleware:
    """After a request that may have written (POST, PUT, PATCH, DELETE), this browser reads
    from the primary for ``YIYANG_REPLICA_PIN_SECONDS`` (default 5): the page a form post
    redirects to shows what was just saved. Sets nothing when no replica is configured."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and replica_configured():
            seconds = int(settings.YIYANG.get("REPLICA_PIN_SECONDS", 5))
            response.set_cookie(PIN_COOKIE, "1", max_age=seconds, httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response


def replica_lag_bytes() -> int | None:
    """How far (bytes of WAL) the replica's replay is behind the primary now; ``None``
    without a PostgreSQL replica. For monitoring and tests."""
    if REPLICA not in settings.DATABASES or connections[REPLICA].vendor != "postgresql":
        return None
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        # The insert position: with synchronous_commit off (the test server) a commit may be
        # inserted but not yet written, and the write position would be behind it.
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        lsn = cursor.fetchone()[0]
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())", [lsn])
        return max(0, int(cursor.fetchone()[0]))


def replica_wait(timeout: float = 10.0) -> bool:
    """Wait until the replica has replayed everything the primary had written when called
    (its WAL position now, not a guess of time); ``False`` if ``timeout`` passed first."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        # The insert position: with synchronous_commit off (the test server) a commit may be
        # inserted but not yet written, and the write position would be behind it.
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    pause = 0.001
    with connections[REPLICA].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

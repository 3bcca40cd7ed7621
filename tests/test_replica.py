"""The read replica (issue 12 part 5, core/replica.py, docs/scale-out.md §2).

The router's rules run everywhere; the second half runs against a real PostgreSQL streaming
replica (``YIYANG_PG_REPLICA=1 scripts/with-postgres.sh``, as ``make test-postgres`` does):
routed reads are answered by the standby, see committed rows once the standby has replayed the
primary's WAL position, and no write ever reaches it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiyang.core import replica
from yiyang.core.models import Event
from yiyang.core.replica import REPLICA, ReplicaPinMiddleware, ReplicaRouter, stale_reads, stale_reads_view


@pytest.fixture
def configured(monkeypatch):
    """The router's decisions as with a replica configured (and answering), without one."""
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(replica, "_connect_replica", lambda: None)
    monkeypatch.setattr(replica, "_down_until", 0.0)


def test_writes_always_go_to_the_primary_even_for_an_object_read_from_the_replica(configured):
    router = ReplicaRouter()
    obj = Event()
    obj._state.db = REPLICA
    with stale_reads():
        assert router.db_for_write(Event) == "default"
        assert router.db_for_write(Event, instance=obj) == "default"
    assert router.db_for_write(Event, instance=obj) == "default"
    assert router.allow_migrate(REPLICA, "core") is False
    assert router.allow_migrate("default", "core") is True


def test_only_reads_that_opt_in_go_to_the_replica(configured):
    from django.contrib.sessions.models import Session

    router = ReplicaRouter()
    assert router.db_for_read(Event) == "default"
    with stale_reads():
        assert router.db_for_read(Event) == REPLICA
        assert router.db_for_read(Session) == "default"  # a login that just committed
        with replica.primary_reads():
            assert router.db_for_read(Event) == "default"
        assert router.db_for_read(Event) == REPLICA
    assert router.db_for_read(Event) == "default"


def test_a_replica_that_does_not_answer_is_left_alone_for_a_while(configured, monkeypatch, caplog):
    """Down, its reads go to the primary — pages slower, never broken — and it is not tried
    again on every query; once the pause is over it is tried again, and used when it answers."""
    from django.db import OperationalError

    attempts = []

    def refused() -> None:
        attempts.append(1)
        raise OperationalError("connection refused")

    clock = [1000.0]
    monkeypatch.setattr(replica, "_connect_replica", refused)
    monkeypatch.setattr(replica, "_down_until", 0.0)
    monkeypatch.setattr(replica.time, "monotonic", lambda: clock[0])
    router = ReplicaRouter()
    with stale_reads():
        assert router.db_for_read(Event) == "default"
        assert router.db_for_read(Event) == "default"
        assert len(attempts) == 1 and "read replica unreachable" in caplog.text
        clock[0] += replica.DOWN_SECONDS + 1
        monkeypatch.setattr(replica, "_connect_replica", lambda: None)  # back
        assert router.db_for_read(Event) == REPLICA


def test_a_replica_naming_another_database_is_refused(monkeypatch):
    """A streaming replica copies the whole server: its URL names the primary's database."""
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import config.settings as conf

    monkeypatch.setenv("DATABASE_URL", "postgres://yiyang@127.0.0.1:5432/yiyang")
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://yiyang@127.0.0.1:5433/other")
    try:
        with pytest.raises(ImproperlyConfigured, match="只读副本是主库的完整副本"):
            importlib.reload(conf)
        monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://yiyang@127.0.0.1:5433/yiyang")
        importlib.reload(conf)
        assert conf.DATABASES["replica"]["OPTIONS"]["connect_timeout"] == 2
    finally:
        monkeypatch.undo()
        importlib.reload(conf)  # the module as the suite loaded it (Django's settings are already built)


def test_without_a_replica_nothing_is_routed_there(settings):
    router = ReplicaRouter()
    with stale_reads():
        if REPLICA in settings.DATABASES:
            settings.YIYANG = {**settings.YIYANG, "REPLICA_READS": False}
        assert router.db_for_read(Event) == "default"


@pytest.mark.django_db
def test_reads_inside_a_transaction_on_the_primary_stay_there(configured):
    """A service reads what it is about to change; select_for_update must lock the primary."""
    router = ReplicaRouter()
    with stale_reads(), transaction.atomic():
        assert router.db_for_read(Event) == "default"


def _seen(request):
    return HttpResponse("replica" if replica._stale_ok.get() else "primary")


def test_a_view_opts_in_unless_this_browser_just_posted(configured, rf: RequestFactory):
    view = stale_reads_view(_seen)
    assert view(rf.get("/")).content == b"replica"
    request = rf.get("/")
    request.COOKIES[replica.PIN_COOKIE] = "1"
    assert view(request).content == b"primary"
    assert replica._stale_ok.get() is False  # the block ends with the view


def test_a_post_pins_the_browser_to_the_primary_for_a_few_seconds(configured, rf: RequestFactory):
    middleware = ReplicaPinMiddleware(lambda request: HttpResponse("ok"))
    assert replica.PIN_COOKIE not in middleware(rf.get("/")).cookies
    cookie = middleware(rf.post("/")).cookies[replica.PIN_COOKIE]
    assert cookie.value == "1"
    assert int(cookie["max-age"]) == settings.YIYANG.get("REPLICA_PIN_SECONDS", 5)


def test_no_pin_cookie_without_a_replica(rf: RequestFactory, monkeypatch):
    monkeypatch.setattr(replica, "replica_configured", lambda: False)
    middleware = ReplicaPinMiddleware(lambda request: HttpResponse("ok"))
    assert replica.PIN_COOKIE not in middleware(rf.post("/")).cookies


# --- against a real streaming replica ------------------------------------------------------

HAS_REPLICA = REPLICA in settings.DATABASES
needs_replica = pytest.mark.skipif(
    not HAS_REPLICA, reason="no read replica configured: run under YIYANG_PG_REPLICA=1 scripts/with-postgres.sh "
                            "(make test-postgres does)")
# Committed rows are what a replica can see: a transactional test (the tables are emptied
# after it on the primary; the replica, a test mirror, is never flushed — it replays that too).
on_replica = pytest.mark.django_db(transaction=True, databases=["default", REPLICA] if HAS_REPLICA else ["default"])


@pytest.fixture
def replica_reads():
    settings.YIYANG["REPLICA_READS"] = True
    yield
    settings.YIYANG["REPLICA_READS"] = False


def _event(kind: str, **extra) -> Event:
    return Event.objects.create(type=kind, occurred_at=timezone.now(), region_code="440304006001", **extra)


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]


@needs_replica
@on_replica
def test_routed_reads_are_served_by_the_standby_and_see_committed_rows_once_replayed(replica_reads):
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is False
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        in_recovery, name = cursor.fetchone()
    assert in_recovery is True  # the standby, not the primary under another name
    assert name == connections["default"].settings_dict["NAME"]  # the primary's test database, replayed

    kind = f"test.replica.{uuid.uuid4().hex[:8]}"
    _event(kind, payload={"n": 1})  # committed: no transaction around a transactional test
    assert replica.replica_wait(timeout=10), "the replica did not replay the primary's WAL within 10 s"
    assert replica.replica_lag_bytes() is not None

    with CaptureQueriesContext(connections[REPLICA]) as on_standby, CaptureQueriesContext(
            connections["default"]) as on_primary, stale_reads():
        row = Event.objects.get(type=kind)
    assert row.payload == {"n": 1}
    assert row._state.db == REPLICA
    assert len(on_standby.captured_queries) == 1
    assert not on_primary.captured_queries

    # Outside the block the same read goes to the primary.
    with CaptureQueriesContext(connections[REPLICA]) as on_standby:
        assert Event.objects.filter(type=kind).count() == 1
    assert not on_standby.captured_queries


@needs_replica
@on_replica
def test_no_write_ever_goes_to_the_replica(replica_reads):
    kind = f"test.replica.{uuid.uuid4().hex[:8]}"
    _event(kind, payload={"n": 1})
    assert replica.replica_wait(timeout=10)
    with CaptureQueriesContext(connections[REPLICA]) as on_standby, stale_reads():
        row = Event.objects.get(type=kind)
        assert row._state.db == REPLICA
        row.payload = {"n": 2}
        row.save(update_fields=["payload"])  # routed to the primary, not where it was read
        _event(kind, payload={"n": 3})  # a new row inside the block: the primary
        Event.objects.filter(type=kind).update(occurred_at=timezone.now() - dt.timedelta(minutes=1))
        with transaction.atomic():  # a service's transaction: reads and writes on the primary
            assert len(Event.objects.select_for_update().filter(type=kind)) == 2
    assert len(on_standby.captured_queries) == 1 and not _writes(on_standby.captured_queries)
    assert sorted(Event.objects.using("default").filter(type=kind).values_list("payload__n", flat=True)) == [2, 3]

    # Even asked by name, the standby refuses: PostgreSQL runs it read-only.
    with pytest.raises(DatabaseError, match="read-only"):
        Event.objects.using(REPLICA).create(type=kind, occurred_at=timezone.now())
    assert Event.objects.using("default").filter(type=kind).count() == 2


@needs_replica
@on_replica
def test_an_opted_in_page_reads_from_the_replica_unless_the_browser_just_posted(replica_reads):
    """The public directory search (API) after a provider's service is committed."""
    from tests import factories
    from yiyang.directory.services import directory_import

    factories.load_tree()
    name = f"复制测试饭堂{uuid.uuid4().hex[:6]}"
    result = directory_import([{
        "id": str(uuid.uuid4()), "name": name, "status": "active",
        "organization": {"name": "复制测试机构", "attributes": [
            {"taxonomy_term": {"taxonomy": "yiyang-region", "code": factories.COMMUNITY_A}}]},
        "service_at_locations": [{"location": {"name": name, "latitude": 22.54, "longitude": 114.05,
                                                       "addresses": [{"address_1": "深圳市福田区复制路1号"}], "attributes": [
            {"taxonomy_term": {"taxonomy": "yiyang-region", "code": factories.COMMUNITY_A}}]}}],
        "attributes": [{"taxonomy_term": {"taxonomy": "yiyang-kind", "code": "canteen"}}],
    }], source="test")
    assert result.committed, result.errors
    assert replica.replica_wait(timeout=10)

    client = Client()
    with CaptureQueriesContext(connections[REPLICA]) as on_standby:
        response = client.get("/api/v1/directory/services", {"q": name})
    assert response.status_code == 200, response.content
    assert [item["service"]["name"] for item in response.json()["items"]] == [name]
    assert on_standby.captured_queries and not _writes(on_standby.captured_queries)

    client.cookies[replica.PIN_COOKIE] = "1"  # what a post leaves behind for a few seconds
    with CaptureQueriesContext(connections[REPLICA]) as on_standby:
        response = client.get("/api/v1/directory/services", {"q": name})
    assert [item["service"]["name"] for item in response.json()["items"]] == [name]
    assert not on_standby.captured_queries

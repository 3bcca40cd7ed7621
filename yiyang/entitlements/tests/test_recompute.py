"""The recompute at scale: slices (keyset over the id) give the same statuses as one pass,
only statuses that changed are written (a new wording of the reason alone rewrites nothing),
a rule save answers at once and its recompute runs in the worker with its progress on the
rule's admin page (progress bar with counts, then the result), and ``yiyang
entitlements_refresh`` prints its progress as plain text when not on a terminal."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests import factories
from yiyang.core.models import Event
from yiyang.elders.models import Elder
from yiyang.entitlements import selectors, services, tasks
from yiyang.entitlements.models import (
    Benefit,
    BenefitRule,
    EntitlementChange,
    EntitlementRecompute,
    EntitlementStatus,
)
from yiyang.entitlements.tests.helpers import elder_aged


def stored_rows() -> dict[tuple, tuple]:
    return {(s.elder_id, s.benefit_id): (s.status, s.reason, s.since) for s in EntitlementStatus.objects.all()}


@pytest.fixture
def ten(superuser):
    """Ten elders aged 60 to 87, their baseline computed by the worker."""
    return [elder_aged(superuser, 60 + 3 * i, hukou_local=i % 4 != 0) for i in range(10)]


def test_slices_give_the_same_statuses_as_one_pass(ten, monkeypatch):
    later = timezone.localdate() + dt.timedelta(days=3 * 365)
    one = services.entitlements_refresh(elders=[e.pk for e in ten], cause="date", on=later)
    by_list = stored_rows()
    EntitlementStatus.objects.all().delete()
    EntitlementChange.objects.all().delete()
    for e in ten:
        services.entitlements_refresh(elders=[e.pk], cause="elder")  # the baseline again, one by one
    monkeypatch.setattr(services, "SLICE", 3)  # 10 elders in 4 slices by keyset
    seen: list[int] = []
    sliced = services.entitlements_refresh(elders=Elder.objects.all(), cause="date", on=later,
                                           progress=lambda r, total, last: seen.append(r.elders))
    assert seen == [3, 6, 9, 10]
    assert (sliced.elders, sliced.changes, sliced.newly_entitled) == (one.elders, one.changes, one.newly_entitled)
    assert {k: v[0] for k, v in stored_rows().items()} == {k: v[0] for k, v in by_list.items()}


def test_only_changed_statuses_are_written(ten):
    before = stored_rows()
    assert before and all(reason == "" for _, reason, _ in before.values())  # a baseline keeps no reason
    # The next day the ages in the reasons are the same or not, the statuses are: nothing is written.
    result = services.entitlements_refresh(elders=Elder.objects.all(), cause="date",
                                           on=timezone.localdate() + dt.timedelta(days=1))
    assert result.changes == 0 and stored_rows() == before
    # Five years on: statuses change; only those rows move, with the engine's reason.
    later = timezone.localdate() + dt.timedelta(days=5 * 365 + 2)
    result = services.entitlements_refresh(elders=Elder.objects.all(), cause="date", on=later)
    after = stored_rows()
    moved = {k for k in after if after[k][0] != before[k][0]}
    assert result.changes == len(moved) > 0
    assert all(after[k] == before[k] for k in after if k not in moved)
    assert all(after[k][1] and after[k][2] > before[k][2] for k in moved)
    changes = EntitlementChange.objects.filter(cause="date")
    assert {(c.elder_id, c.benefit_id) for c in changes} == moved
    assert all("周岁" in c.reason or c.reason for c in changes)
    # One entitlement.changed event per elder with changes, naming them.
    events = Event.objects.filter(type="entitlement.changed")
    assert events.count() == len({k[0] for k in moved})


def test_a_rule_save_answers_at_once_and_the_worker_reports_progress(superuser, ten):
    rule = BenefitRule(benefit=Benefit.objects.get(code="advanced_age_allowance"), region_code="",
                       conditions={"age": {">=": 65}}, priority=1, source="测试")
    queued = services.benefit_rule_save(actor=superuser, rule=rule)
    run = queued.run
    assert run is not None and run.state == EntitlementRecompute.State.QUEUED and run.rule == rule
    assert not EntitlementChange.objects.filter(rule=rule).exists()  # nothing computed in the request
    factories.run_worker()
    run.refresh_from_db()
    changes = EntitlementChange.objects.filter(rule=rule, cause="rule")
    assert run.state == run.State.DONE and run.done == run.total == 10 and run.cursor == ""
    assert run.changes == changes.count() > 0
    assert run.became_entitled == changes.filter(to_status="entitled").count()
    assert run.became_not == changes.filter(to_status="not").count()


def test_the_rule_page_shows_the_progress_then_the_result(superuser, ten):
    c = Client()
    c.force_login(superuser)
    form = {"benefit": Benefit.objects.get(code="advanced_age_allowance").pk, "region_code": "",
            "effective_from": "", "effective_to": "", "priority": "1", "source": "测试",
            "conditions": json.dumps({"age": {">=": 65}})}
    resp = c.post("/admin/entitlements/benefitrule/add/", form)
    rule = BenefitRule.objects.get(source="测试")
    # Back on the rule's own page, where the recompute is followed.
    assert resp.status_code == 302 and resp["Location"].endswith(f"/benefitrule/{rule.pk}/change/")
    html = c.get(resp["Location"]).content.decode()
    run = EntitlementRecompute.objects.get(rule=rule)
    assert "已排队" in html and f'hx-get="/entitlements/recomputes/{run.pk}/"' in html and "htmx" in html
    # Half-way (as the worker leaves it between two slices): a progress bar with counts.
    EntitlementRecompute.objects.filter(pk=run.pk).update(state="running", total=10, done=4, changes=2,
                                                         became_entitled=2)
    frag = c.get(f"/entitlements/recomputes/{run.pk}/").content.decode()
    assert '<progress max="10" value="4">' in frag and "4 / 10" in frag and "hx-trigger" in frag
    EntitlementRecompute.objects.filter(pk=run.pk).update(state="queued", total=0, done=0, changes=0,
                                                         became_entitled=0)
    factories.run_worker()
    run.refresh_from_db()
    frag = c.get(f"/entitlements/recomputes/{run.pk}/").content.decode()
    assert "重新计算已完成" in frag and "hx-get" not in frag
    assert f"新增可享受 <strong>{run.became_entitled}</strong>" in frag
    # Staff only.
    other = Client()
    other.force_login(factories.make_user("plain", "commissioner", factories.COMMUNITY_A))
    assert other.get(f"/entitlements/recomputes/{run.pk}/").status_code == 302  # to the admin login


def test_nightly_job_is_a_background_recompute_of_everyone(ten):
    result = tasks.entitlements_refresh_nightly.call()
    run = EntitlementRecompute.objects.get(pk=result["run"])
    assert run.scope == [""] and run.cause == "date"
    factories.run_worker()
    run.refresh_from_db()
    assert run.state == run.State.DONE and run.done == 10


def test_the_command_prints_plain_progress_when_not_on_a_terminal(ten):
    out = io.StringIO()
    call_command("entitlements_refresh", "--date", (timezone.localdate() + dt.timedelta(days=800)).isoformat(),
                 stdout=out)
    text = out.getvalue()
    assert "10/10 位老年人（100%）" in text and "\r" not in text
    assert "已重新计算 10 位老年人的政策享受资格" in text


def _engine_statuses(elders) -> dict[tuple, str]:
    ids = dict(Benefit.objects.values_list("code", "pk"))
    return {(e.pk, ids[i["benefit"]]): i["status"] for e in elders for i in selectors.elder_entitlements(e)}


def test_a_first_computation_is_made_by_the_database(ten, monkeypatch):
    """Elders with no stored status get every benefit's status from one INSERT … SELECT: the
    engine's statuses, no reason (a baseline), no change logged. A slice holding only such
    elders is not read afterwards; a mixed slice reads the others as usual."""
    before = stored_rows()
    fresh = ten[:4]
    EntitlementStatus.objects.filter(elder__in=fresh).delete()
    result = services.entitlements_refresh(elders=Elder.objects.all(), cause="date")
    after = stored_rows()
    assert result.elders == 10 and result.changes == 0 and not EntitlementChange.objects.exists()
    assert {k: v[0] for k, v in after.items() if k[0] in {e.pk for e in fresh}} == _engine_statuses(fresh)
    assert all(v[1] == "" for v in after.values())
    assert {k: v for k, v in after.items() if k[0] not in {e.pk for e in fresh}} == {
        k: v for k, v in before.items() if k[0] not in {e.pk for e in fresh}}  # the others untouched

    EntitlementStatus.objects.all().delete()

    def no_read(*args, **kwargs):
        raise AssertionError("a slice of elders without any stored status needs no read")

    monkeypatch.setattr(services, "_read_slice", no_read)
    monkeypatch.setattr(services, "SLICE", 3)
    result = services.entitlements_refresh(elders=Elder.objects.all(), cause="date")
    assert result.elders == 10 and result.computed == 10 * Benefit.objects.filter(active=True).count()
    assert {k: v[0] for k, v in stored_rows().items()} == _engine_statuses(ten)


def test_the_stored_statuses_have_no_database_key_checks_but_a_delete_still_cascades(ten):
    """Derived rows: no foreign-key constraint in the database (they cost a city's recompute
    more than the writes; elders and benefits are never deleted), the ORM's cascade would still
    remove the statuses of one that were."""
    table = EntitlementStatus._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    assert not [name for name, c in constraints.items() if c["foreign_key"]]
    benefit = Benefit.objects.create(code="tmp_test", name="测试项目")
    EntitlementStatus.objects.create(elder=ten[0], benefit=benefit, status="entitled", since=timezone.now())
    benefit.delete()
    assert not EntitlementStatus.objects.filter(benefit_id=benefit.pk).exists()
    assert EntitlementStatus.objects.filter(elder=ten[0]).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time: no such race")
@pytest.mark.django_db(transaction=True)
def test_a_status_stored_meanwhile_by_another_recompute_is_left_alone(superuser, monkeypatch):
    """PostgreSQL: another transaction stores a status of an elder the first computation
    counted as having none and commits while the INSERT … SELECT waits on the unique index.
    The statement fails, the slice's insert is repeated with ON CONFLICT DO NOTHING, and the
    run ends with every status stored — the other transaction's row kept."""
    import threading

    from yiyang.entitlements import compiler

    benefit = Benefit.objects.filter(active=True).order_by("pk").first()
    if benefit is None:  # a transactional test before this one flushed the migrations' benefits
        benefit = Benefit.objects.create(code="race_test", name="竞争测试补贴", kind=Benefit.Kind.values[0],
                                         description="测试")
        BenefitRule.objects.create(benefit=benefit, region_code="", conditions={"age": {">=": 60}}, source="测试")
    elders = [elder_aged(superuser, 60 + 10 * i) for i in range(3)]
    EntitlementStatus.objects.all().delete()
    inserted, go, done = threading.Event(), threading.Event(), threading.Event()

    def other() -> None:
        from django.db import connection as other_connection
        from django.db import transaction

        try:
            with transaction.atomic():
                EntitlementStatus.objects.create(elder=elders[0], benefit=benefit, status="maybe",
                                                 reason="另一次计算", since=timezone.now())
                inserted.set()
                go.wait(10)
        finally:
            other_connection.close()
            done.set()

    skipping: list[bool] = []
    make = compiler.Evaluation._insert_sql

    def spy(self, *args, skip_stored=False, **kwargs):
        skipping.append(skip_stored)
        return make(self, *args, skip_stored=skip_stored, **kwargs)

    monkeypatch.setattr(compiler.Evaluation, "_insert_sql", spy)
    threading.Thread(target=other).start()
    assert inserted.wait(10)
    threading.Timer(2.0, go.set).start()  # commits while the insert below waits for it
    result = services.entitlements_refresh(elders=Elder.objects.all(), cause="elder")
    assert done.wait(10)
    assert skipping == [False, True]  # the plain insert failed, the one that skips stored rows ran
    n = Benefit.objects.filter(active=True).count()
    assert result.elders == 3
    for e in elders:
        assert EntitlementStatus.objects.filter(elder=e).count() == n
    kept = EntitlementStatus.objects.get(elder=elders[0], benefit=benefit)
    assert kept.reason == "另一次计算" or EntitlementChange.objects.filter(elder=elders[0], benefit=benefit).exists()


def test_each_slice_is_followed_by_a_checkpoint_of_the_sqlite_log(ten, monkeypatch):
    """So that a registration's small commit never pays for a city's log (core.bulk.wal_checkpoint)."""
    calls: list[int] = []
    monkeypatch.setattr(services, "wal_checkpoint", lambda: calls.append(1))
    monkeypatch.setattr(services, "SLICE", 3)
    services.entitlements_refresh(elders=Elder.objects.all(), cause="date")
    assert len(calls) == 4  # 10 elders, 4 slices

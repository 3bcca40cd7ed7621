"""What other apps hear of, through the real services and the worker (``yiyang worker
--batch``): the three stale cases the direct calls left behind, and the rule that a reaction
commits with its change and never outlives a rollback.

1. cancelling a confirmed assessment takes back what it made the elder entitled to;
2. a deactivated (deceased) elder keeps no 可享受 status;
3. elders who come in by bulk import get their statuses like those registered one by one.
"""

from __future__ import annotations

import csv
import io

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests import factories
from yiyang.assessments import services as assessment_services
from yiyang.assessments.scoring import ITEMS
from yiyang.core.exceptions import FieldErrors
from yiyang.elders import services as elder_services
from yiyang.elders.importing import elders_import
from yiyang.elders.models import Elder
from yiyang.entitlements.models import EntitlementChange, EntitlementStatus, Status
from yiyang.entitlements.tests.helpers import born, id_number_born

REACTION = "yiyang.entitlements.tasks.entitlements_on_events"


def stored(elder) -> dict[str, str]:
    return dict(EntitlementStatus.objects.filter(elder=elder).values_list("benefit__code", "status"))


def confirmed_assessment(worker, co, elder, *, dependent: bool):
    """Through the workflow: start, record, submit, confirm (by the co-assessor)."""
    items = {i.code: i.max_score for i in ITEMS}
    if dependent:
        for i in ITEMS:
            if i.code.startswith("B.1."):
                items[i.code] = 0  # no self-care: at least 中度失能
    a = assessment_services.assessment_start(actor=worker, elder=elder, co_assessor=co)
    assessment_services.assessment_record(actor=worker, assessment=a, items=items, part_a={})
    assessment_services.assessment_submit(actor=worker, assessment=a)
    return assessment_services.assessment_confirm(actor=co, assessment=a)


@pytest.fixture
def co(tree):
    return factories.make_user("worker_co", "commissioner", factories.COMMUNITY_A)


@pytest.fixture
def lead(tree):
    return factories.make_user("lead_a", "point_lead", factories.COMMUNITY_A)


def test_the_statuses_wait_for_the_worker_and_are_written_by_it(worker):
    elder = factories.make_elder(worker, categories=["low_income"])
    # The registration committed its event and the reaction together; the worker runs it.
    assert stored(elder) == {}
    task = DBTaskResult.objects.get(task_path=REACTION)
    assert task.status == TaskResultStatus.READY
    stats = factories.run_worker()
    assert stats.succeeded == 2 and stats.failed == 0  # the reactions of entitlements and of visits
    assert stored(elder) and set(stored(elder).values()) <= {"entitled", "maybe", "not"}


def test_a_registration_that_fails_leaves_no_reaction(worker):
    data = factories.elder_data(id_number="110101194503081234")  # wrong check digit
    with pytest.raises(FieldErrors):
        elder_services.elder_register(actor=worker, data=data)
    assert not DBTaskResult.objects.exists()


def test_1_cancelling_the_confirmed_assessment_takes_back_the_nursing_subsidy(worker, co, lead):
    elder = factories.make_elder(worker, id_number=id_number_born(born(75)), categories=["low_income"])
    a = confirmed_assessment(worker, co, elder, dependent=True)
    factories.run_worker()
    assert a.level >= 2 and stored(elder)["disability_care_subsidy"] == Status.ENTITLED
    assessment_services.assessment_cancel(actor=lead, assessment=a, note="评估员资格有误")
    factories.run_worker()
    assert stored(elder)["disability_care_subsidy"] == Status.MAYBE  # no valid level any more
    change = EntitlementChange.objects.filter(elder=elder, benefit__code="disability_care_subsidy").latest("at")
    assert (change.from_status, change.to_status, change.cause) == ("entitled", "maybe", "assessment")
    assert change.newly_entitled is False


def test_2_a_deceased_elder_keeps_no_entitled_status(worker):
    elder = factories.make_elder(worker, id_number=id_number_born(born(85)), categories=["subsistence"],
                                 living_situation="alone")
    factories.run_worker()
    entitled_before = [b for b, s in stored(elder).items() if s == Status.ENTITLED]
    assert len(entitled_before) >= 5
    elder_services.elder_deactivate(actor=worker, elder=elder, reason=Elder.DeactivationReason.DECEASED)
    factories.run_worker()
    assert set(stored(elder).values()) == {Status.NOT}
    reasons = set(EntitlementChange.objects.filter(elder=elder, to_status=Status.NOT)
                  .values_list("reason", flat=True))
    assert reasons == {"档案已注销（已故）"}
    # Restored (registered as deceased by mistake): entitled again, as computed.
    elder_services.elder_reactivate(actor=worker, elder=Elder.objects.get(pk=elder.pk), note="误报")
    factories.run_worker()
    assert sorted(b for b, s in stored(elder).items() if s == Status.ENTITLED) == sorted(entitled_before)


def test_3_imported_elders_get_their_statuses(superuser):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["姓名", "身份证号", "社区代码", "人员类别"])
    ids = [id_number_born(born(82)), id_number_born(born(66)), id_number_born(born(90))]
    for n, idn in enumerate(ids):
        w.writerow(["导入老人" + "甲乙丙"[n], idn, factories.COMMUNITY_A, "低保" if n == 2 else ""])
    report = elders_import(actor=superuser, data=buf.getvalue().encode(), file_name="街道名单.csv")
    assert report.committed, [str(e) for e in report.errors]
    by_name = {e.name: e for e in Elder.objects.filter(import_batch_id=report.batch_id)}
    imported = list(by_name.values())
    assert len(imported) == 3 and not EntitlementStatus.objects.filter(elder__in=imported).exists()
    factories.run_worker()
    for elder in imported:
        assert len(stored(elder)) == 11, elder.name
    assert stored(by_name["导入老人甲"])["advanced_age_allowance"] == Status.ENTITLED  # 82
    assert stored(by_name["导入老人乙"])["advanced_age_allowance"] == Status.NOT  # 66
    assert stored(by_name["导入老人丙"])["elderly_service_subsidy"] == Status.ENTITLED  # 90, 低保
    # A baseline, not a change: nobody is told "newly entitled" about their own registration.
    assert not EntitlementChange.objects.filter(elder__in=imported).exists()


def test_a_reaction_that_fails_is_retried_and_stays_visible(worker, monkeypatch, settings):
    settings.YIYANG = {**settings.YIYANG, "TASK_MAX_ATTEMPTS": 2}
    from yiyang.entitlements import services as ent_services

    def broken(**kwargs):
        raise RuntimeError("规则表暂时不可读")

    monkeypatch.setattr(ent_services, "entitlements_refresh", broken)
    elder = factories.make_elder(worker)
    stats = factories.run_worker()
    assert stats.retried == 1
    task = DBTaskResult.objects.get(task_path=REACTION)
    assert task.status == TaskResultStatus.READY and "规则表暂时不可读" in task.traceback
    monkeypatch.undo()
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=task.enqueued_at)
    factories.run_worker()
    assert DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.SUCCESSFUL
    assert stored(elder)

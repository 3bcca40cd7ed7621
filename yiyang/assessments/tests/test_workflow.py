"""Assessments on a real database: two assessors, draft → submitted → confirmed, history,
due dates, MZ/T 039 history, the exchange format, printing, access."""

import datetime as dt
import json
import subprocess
import sys

import pytest
from django.utils import timezone

from tests import factories
from yiyang.assessments import selectors, services
from yiyang.assessments.exchange import assessment_import_exchange, assessment_to_exchange
from yiyang.assessments.models import Assessment
from yiyang.assessments.scoring import ITEMS
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError
from yiyang.core.models import AccessLog, Event


def items(**overrides):
    values = {i.code: i.max_score for i in ITEMS}
    values.update(overrides)
    return values


@pytest.fixture
def co_worker(tree):
    return factories.make_user("worker_b", "commissioner", factories.COMMUNITY_A, full_name="李敏")


@pytest.fixture
def assessed_elder(worker):
    return factories.make_elder(worker)


def run_assessment(worker, co_worker, elder, *, assessed_on=None, **item_overrides):
    a = services.assessment_start(actor=worker, elder=elder, co_assessor=co_worker, assessed_on=assessed_on)
    services.assessment_record(actor=worker, assessment=a, items=items(**item_overrides),
                               part_a={"information_provider": "王明", "diagnoses": "高血压"})
    services.assessment_submit(actor=worker, assessment=a)
    return services.assessment_confirm(actor=co_worker, assessment=a)


def test_two_assessors_full_flow(worker, co_worker, assessed_elder):
    a = run_assessment(worker, co_worker, assessed_elder, **{"B.1.3": 1, "B.2.3": 2})
    assert a.status == "confirmed" and a.total == 85 and a.level == 1
    assert a.valid_until == services.add_months(a.assessed_on, 12)
    assert selectors.current_level(assessed_elder) == 1
    assert sorted(x.name for x in a.assessor_links.all()) == sorted([worker.display_name, "李敏"])
    assert all(x.signed_at for x in a.assessor_links.all())
    types = list(Event.objects.filter(elder_id=assessed_elder.pk, type__startswith="assessment.")
                 .order_by("occurred_at").values_list("type", flat=True))
    assert types == ["assessment.started", "assessment.submitted", "assessment.confirmed"]


def test_answers_are_encrypted_at_rest(worker, co_worker, assessed_elder):
    a = run_assessment(worker, co_worker, assessed_elder)
    raw = bytes(Assessment.objects.filter(pk=a.pk).values_list("answers_enc", flat=True).get())
    assert "高血压".encode() not in raw and b"B.1.1" not in raw
    assert a.answers["diagnoses"] == "高血压"


def test_submit_needs_every_item(worker, co_worker, assessed_elder):
    a = services.assessment_start(actor=worker, elder=assessed_elder, co_assessor=co_worker)
    partial = items()
    del partial["B.4.5"]
    services.assessment_record(actor=worker, assessment=a, items=partial)
    with pytest.raises(FieldErrors) as exc:
        services.assessment_submit(actor=worker, assessment=a)
    assert "B.4.5" in exc.value.errors


def test_submit_needs_two_assessors(worker, assessed_elder):
    a = services.assessment_start(actor=worker, elder=assessed_elder)
    services.assessment_record(actor=worker, assessment=a, items=items())
    with pytest.raises(FieldErrors) as exc:
        services.assessment_submit(actor=worker, assessment=a)
    assert "第二评估员" in exc.value.errors["co_assessor"][0]


def test_number_of_assessors_is_configurable(worker, assessed_elder, settings):
    settings.YIYANG = {**settings.YIYANG, "ASSESSORS_REQUIRED": 1}
    a = services.assessment_start(actor=worker, elder=assessed_elder)
    services.assessment_record(actor=worker, assessment=a, items=items())
    assert services.assessment_submit(actor=worker, assessment=a).status == "submitted"


def test_submitter_cannot_confirm_alone(worker, co_worker, assessed_elder):
    a = services.assessment_start(actor=worker, elder=assessed_elder, co_assessor=co_worker)
    services.assessment_record(actor=worker, assessment=a, items=items())
    services.assessment_submit(actor=worker, assessment=a)
    with pytest.raises(ForbiddenError):
        services.assessment_confirm(actor=worker, assessment=a)


def test_point_lead_may_confirm(worker, co_worker, assessed_elder):
    lead = factories.make_user("lead", "point_lead", factories.COMMUNITY_A)
    a = services.assessment_start(actor=worker, elder=assessed_elder, co_assessor=co_worker)
    services.assessment_record(actor=worker, assessment=a, items=items())
    services.assessment_submit(actor=worker, assessment=a)
    assert services.assessment_confirm(actor=lead, assessment=a).confirmed_by == lead


def test_co_assessor_must_be_in_the_jurisdiction(worker, assessed_elder):
    outsider = factories.make_user("far", "commissioner", factories.COMMUNITY_B)
    with pytest.raises(FieldErrors):
        services.assessment_start(actor=worker, elder=assessed_elder, co_assessor=outsider)


def test_draft_rejects_out_of_range_values(worker, assessed_elder):
    a = services.assessment_start(actor=worker, elder=assessed_elder)
    with pytest.raises(FieldErrors) as exc:
        services.assessment_record(actor=worker, assessment=a, items={"B.2.4": 4})
    assert exc.value.errors["B.2.4"] == ["得分应在 0–3 之间"]


def test_history_keeps_the_change_from_last_time(worker, co_worker, assessed_elder):
    first = run_assessment(worker, co_worker, assessed_elder, assessed_on=timezone.localdate() - dt.timedelta(days=400))
    second = run_assessment(worker, co_worker, assessed_elder, **{"B.1.1": 0, "B.1.3": 0, "B.1.6": 0,
                                                                   "B.2.3": 0, "B.2.4": 0, "B.4.4": 0})
    assert second.previous == first and (first.level, second.level) == (0, 1)
    event = Event.objects.filter(type="assessment.confirmed", subject_id=str(second.pk)).get()
    assert event.payload["previous_level"] == 0 and event.payload["level"] == 1
    assert list(selectors.assessment_history(assessed_elder)) == [second, first]


def test_due_list_and_immediate_assessment(worker, co_worker, assessed_elder):
    other = factories.make_elder(worker)
    run_assessment(worker, co_worker, assessed_elder, assessed_on=timezone.localdate() - dt.timedelta(days=350))
    run_assessment(worker, co_worker, other)
    due = list(selectors.elders_due_for_assessment(worker, within_days=30))
    assert [e.pk for e in due] == [assessed_elder.pk]
    services.assessment_request_immediate(actor=worker, elder=other, note="跌倒住院后出院")
    due = {e.pk: e for e in selectors.elders_due_for_assessment(worker, within_days=30)}
    assert set(due) == {assessed_elder.pk, other.pk} and due[other.pk].pending_immediate


def test_validity_is_configurable(worker, co_worker, assessed_elder, settings):
    settings.YIYANG = {**settings.YIYANG, "ASSESSMENT_VALIDITY_MONTHS": 6}
    a = run_assessment(worker, co_worker, assessed_elder, assessed_on=dt.date(2026, 8, 31))
    assert a.valid_until == dt.date(2027, 2, 28)


def test_legacy_mzt039_history_is_read_only_and_not_current(worker, assessed_elder):
    a = services.assessment_import_legacy(actor=worker, elder=assessed_elder, assessed_on=dt.date(2019, 5, 1),
                                          level_name="中度失能", adl_score=55, mental=1, perception=1, social=2)
    assert a.scheme == "MZ/T 039-2013" and a.level is None and a.level_name == "中度失能"
    assert selectors.current_level(assessed_elder) is None
    with pytest.raises(ApplicationError):
        services.assessment_record(actor=worker, assessment=a, items=items())
    with pytest.raises(FieldErrors):
        services.assessment_import_legacy(actor=worker, elder=assessed_elder, assessed_on=dt.date(2019, 5, 1),
                                          level_name="半失能")


def test_exchange_format_round_trips(worker, co_worker, assessed_elder, superuser):
    a = run_assessment(worker, co_worker, assessed_elder, **{"B.3.9": 0, "B.1.1": 0}, )
    doc = json.loads(json.dumps(assessment_to_exchange(a)))
    assert doc["format"] == "yiyang.assessment/1" and doc["result"]["total"] == a.total
    # Another region reads it: same person registered there, result recognised as is.
    there = factories.make_elder(superuser, region_code=factories.COMMUNITY_OTHER_DISTRICT)
    doc["subject"]["id_number"] = there.id_number
    b = assessment_import_exchange(actor=superuser, elder=there, doc=doc)
    assert (b.total, b.level, b.preliminary_level, b.dimensions) == (a.total, a.level, a.preliminary_level,
                                                                     a.dimensions)
    assert b.answers["items"] == a.answers["items"] and b.source == "exchange"
    assert selectors.current_level(there) == a.level


def test_exchange_refuses_a_result_that_disagrees_with_its_items(worker, co_worker, assessed_elder):
    doc = assessment_to_exchange(run_assessment(worker, co_worker, assessed_elder))
    doc["result"]["level"] = 3
    with pytest.raises(ApplicationError, match="不符"):
        assessment_import_exchange(actor=worker, elder=assessed_elder, doc=doc)


def test_exchange_refuses_another_person(worker, co_worker, assessed_elder):
    doc = assessment_to_exchange(run_assessment(worker, co_worker, assessed_elder))
    other = factories.make_elder(worker)
    with pytest.raises(ApplicationError, match="身份证号"):
        assessment_import_exchange(actor=worker, elder=other, doc=doc)


def test_cli_scores_from_stdin():
    cmd = [sys.executable, "-m", "yiyang.cli", "assessment", "score"]
    good = {"scheme": "GB/T 42195-2022", "items": items(**{"B.1.1": 2}), "coma": False,
            "diagnosed_dementia_or_mental_disorder": False, "risk_events_30d": 2}
    out = subprocess.run(cmd, input=json.dumps(good), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"dimensions": {"B.1": 30, "B.2": 15, "B.3": 28, "B.4": 15}, "total": 88,
                                      "preliminary_level": 1, "level": 2,
                                      "level_name": "能力中度受损（中度失能）", "rules_applied": ["risk_events_30d"]}
    listed = subprocess.run(cmd, input=json.dumps([good, good]), capture_output=True, text=True)
    assert [r["total"] for r in json.loads(listed.stdout)] == [88, 88]
    bad = dict(good, items=items(**{"B.2.4": 4}))
    out = subprocess.run(cmd, input=json.dumps([good, bad]), capture_output=True, text=True)
    assert out.returncode == 2 and out.stdout == ""
    error = json.loads(out.stderr)
    assert error["item"] == "B.2.4" and error["index"] == 1
    missing = dict(good, items={k: v for k, v in items().items() if k != "B.3.4"})
    out = subprocess.run(cmd, input=json.dumps(missing), capture_output=True, text=True)
    assert out.returncode == 2 and json.loads(out.stderr)["item"] == "B.3.4"


def test_print_and_view_are_logged(client, worker, co_worker, assessed_elder):
    a = run_assessment(worker, co_worker, assessed_elder)
    client.force_login(worker)
    response = client.get(f"/assessments/{a.pk}/print/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "老年人能力评估报告" in html and a.level_name in html
    assert assessed_elder.id_number not in html  # masked on paper too
    # issue 7 C.5: a way back, a print button (no inline script), the elder's part in plain words.
    assert f'href="/assessments/{a.pk}/"' in html and "data-print" in html and "yiyang/print.js" in html
    assert "onclick" not in html and "<script>" not in html
    assert "这个等级是什么意思" in html and "您可以申请的帮助" in html and "老人或家属签字" in html
    actions = list(AccessLog.objects.filter(elder_id=assessed_elder.pk).values_list("action", flat=True))
    assert "print" in actions
    assert Event.objects.filter(type="assessment.printed", elder_id=assessed_elder.pk).exists()


def test_legacy_import_file_all_or_nothing(worker, tmp_path):
    from yiyang.assessments.legacy_import import legacy_assessments_import

    elder = factories.make_elder(worker)
    unknown = factories.make_id_number()
    header = "身份证号,评估日期,评估等级,日常生活活动,精神状态,感知觉与沟通,社会参与,评估机构\n"
    bad = header + f"{elder.id_number},2019-05-01,中度失能,55,1,1,2,原系统\n{unknown},2019/5/2,半失能,120,,,,\n"
    report = legacy_assessments_import(actor=None, data=bad.encode(), file_name="old.csv")
    assert [str(e) for e in report.errors] == [
        "第3行 身份证号：该老年人尚未登记，请先导入或登记档案",
        "第3行 评估等级：应为：能力完好、轻度失能、中度失能、重度失能",
        "第3行 日常生活活动：应为 0–100 的整数",
    ]
    assert not Assessment.objects.exists()
    good = header + f"{elder.id_number},2019-05-01,中度失能,55,1,1,2,原系统\n"
    report = legacy_assessments_import(actor=None, data=good.encode(), file_name="old.csv")
    assert report.committed
    a = Assessment.objects.get()
    assert a.scheme == "MZ/T 039-2013" and a.legacy_level_name == "中度失能" and a.answers["mzt039"]["adl_score"] == 55
    assert a.origin_region == "原系统"

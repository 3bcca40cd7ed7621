"""The list stays true after the worker has run: what other apps do (an import, a
deactivation, a cancelled assessment) and what an administrator does (a rule change) reaches
the stored statuses through the events and the worker, and so the payment list."""

from __future__ import annotations

import csv
import io

from tests import factories
from yiyang.assessments.services import assessment_cancel
from yiyang.elders.importing import elders_import
from yiyang.elders.models import Elder
from yiyang.elders.services import elder_deactivate, elder_update
from yiyang.entitlements import services
from yiyang.entitlements.models import Benefit, BenefitRule, EntitlementStatus
from yiyang.entitlements.tests.helpers import born, confirm_level, elder_aged, id_number_born
from yiyang.entitlements.tests.payment_helpers import AGE, CARE, api_for, names

AGE_URL = f"/api/v1/benefits/{AGE}/recipients"
CARE_URL = f"/api/v1/benefits/{CARE}/recipients"


def test_an_imported_elder_appears_after_the_worker(street_admin, people):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["姓名", "身份证号", "社区代码", "人员类别"])
    writer.writerow(["周桂香", id_number_born(born(83)), factories.COMMUNITY_A2, ""])
    writer.writerow(["吴建华", id_number_born(born(67)), factories.COMMUNITY_A2, ""])
    report = elders_import(actor=street_admin, data=buf.getvalue().encode(), file_name="新登记.csv")
    assert report.committed, [str(e) for e in report.errors]
    assert names(api_for(street_admin).get(AGE_URL, {"region": factories.COMMUNITY_A2})) == ["李桂"]
    factories.run_worker()
    listed = names(api_for(street_admin).get(AGE_URL, {"region": factories.COMMUNITY_A2}))
    assert listed == sorted(["李桂", "周桂香"])  # 吴建华 is 67


def test_a_deactivated_elder_disappears_and_is_stored_as_not_entitled(street_admin, people):
    e = people["a2"]
    elder_deactivate(actor=street_admin, elder=e, reason=Elder.DeactivationReason.DECEASED)
    factories.run_worker()
    assert "王秀英" not in names(api_for(street_admin).get(AGE_URL))
    status = EntitlementStatus.objects.get(elder=e, benefit__code=AGE)
    assert status.status == "not" and "已故" in status.reason
    # The maybe list forgets them too.
    assert "王秀英" not in names(api_for(street_admin).get(CARE_URL, {"status": "maybe"}))


def test_cancelling_the_assessment_that_made_someone_entitled_removes_them(street_admin, superuser):
    poor = elder_aged(superuser, 76, name="钱芳", categories=["subsistence"])
    api = api_for(street_admin)
    assert names(api.get(CARE_URL, {"status": "maybe"})) == ["钱芳"]
    assessment = confirm_level(poor, 3)
    services.entitlements_refresh_for_elder(poor, cause="assessment")
    assert names(api.get(CARE_URL)) == ["钱芳"]
    assessment_cancel(actor=superuser, assessment=assessment, note="评估员资质不符")
    assert names(api.get(CARE_URL)) == ["钱芳"]  # the worker has not run yet
    factories.run_worker()
    assert api.get(CARE_URL).json() == {"items": [], "count": 0}
    assert names(api.get(CARE_URL, {"status": "maybe"})) == ["钱芳"]  # back to "not assessed"


def test_a_rule_change_moves_people_in_and_out(street_admin, superuser, people):
    api = api_for(street_admin)
    assert names(api.get(AGE_URL)) == ["王秀", "王秀英", "李桂"]
    benefit = Benefit.objects.get(code=AGE)
    # 梅京社区 pays from 90; 上梅林 from 70, non-local residents included.
    strict = BenefitRule(benefit=benefit, region_code=factories.COMMUNITY_A, source="测试",
                         conditions={"age": {">=": 90}})
    services.benefit_rule_save(actor=superuser, rule=strict)
    loose = BenefitRule(benefit=benefit, region_code=factories.COMMUNITY_A2, source="测试",
                        conditions={"age": {">=": 70}})
    services.benefit_rule_save(actor=superuser, rule=loose)
    assert names(api.get(AGE_URL)) == ["王秀", "王秀英", "李桂"]  # saved; the worker recomputes
    young = elder_aged(superuser, 72, region_code=factories.COMMUNITY_A2, name="李冬")  # runs the worker
    factories.run_worker()
    assert names(api.get(AGE_URL)) == ["王秀英", *sorted(["李桂", "李冬"])]
    # Non-local 王秀芳 (85) in 梅京 stays out: the community rule asks for 90.
    services.benefit_rule_delete(actor=superuser, rule=strict)
    factories.run_worker()
    assert names(api.get(AGE_URL)) == ["王秀", "王秀英", *sorted(["李桂", "李冬"])]
    assert young.pk


def test_an_elder_who_moves_changes_list(street_admin, district_admin, people):
    elder_update(actor=district_admin, elder=people["a1"], data={"region_code": factories.COMMUNITY_B})
    factories.run_worker()
    assert "王秀" not in names(api_for(street_admin).get(AGE_URL))
    assert "王秀" in names(api_for(district_admin).get(AGE_URL, {"region": factories.COMMUNITY_B}))

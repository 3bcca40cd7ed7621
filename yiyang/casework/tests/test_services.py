"""Casework services and selectors on a real database: follow-ups (the interface the visits app
calls), consultations (anonymous visitors encrypted), case conferences, delegated errands
(consent required, four-eyes closure), overdue derived at read time, events on the timeline."""

from __future__ import annotations

import datetime as dt

from django.test import TestCase
from django.utils import timezone

from yiyang.casework import events, selectors, services
from yiyang.casework.models import Consultation, Errand, ErrandEvidence, FollowUp
from yiyang.casework.tests.helpers import CONSENT, JPEG, PDF, build_world, consultation_data, today
from yiyang.core.exceptions import ApplicationError, FieldErrors, ForbiddenError, NotFoundError
from yiyang.core.models import AccessLog, Event
from yiyang.elders.models import Consent
from yiyang.elders.selectors import elder_timeline
from yiyang.elders.services import consent_withdraw, elder_deactivate
from yiyang.regions.models import Region

D = dt.timedelta


class FollowUpTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_world(cls)

    def test_create_defaults_assignee_to_actor_and_writes_a_timeline_event(self):
        f = services.followup_create(actor=self.worker, elder=self.elder, title="回访高龄津贴办理进度",
                                     due_date=today() + D(days=3), source="visit", source_id=42)
        assert f.assignee == self.worker and f.status == "open" and f.source_id == "42"
        assert f.region_code == self.elder.region_id and not f.overdue
        e = elder_timeline(self.elder).filter(type=events.FOLLOWUP_CREATED).get()
        assert e.subject_id == str(f.pk) and e.payload["title"] == "回访高龄津贴办理进度"

    def test_the_interface_refuses_what_it_must(self):
        ok = {"actor": self.worker, "elder": self.elder, "title": "x", "due_date": today()}
        with self.assertRaises(FieldErrors) as cm:
            services.followup_create(**ok, source="phone")
        assert "source" in cm.exception.errors
        with self.assertRaises(FieldErrors) as cm:
            services.followup_create(**{**ok, "due_date": today() - D(days=1)}, source="manual")
        assert cm.exception.errors["due_date"] == ["完成期限不能早于今天"]
        with self.assertRaises(FieldErrors):
            services.followup_create(**{**ok, "title": "  "}, source="manual")
        with self.assertRaises(NotFoundError):  # an elder outside the actor's node
            services.followup_create(**{**ok, "elder": self.elder_b}, source="manual")
        with self.assertRaises(FieldErrors) as cm:  # the assignee cannot see the elder
            services.followup_create(**ok, source="manual", assignee=self.worker_b)
        assert "assignee" in cm.exception.errors
        with self.assertRaises(ForbiddenError):
            services.followup_create(**{**ok, "actor": self.provider}, source="manual")
        assert not FollowUp.objects.exists()

    def test_open_for_puts_overdue_first_then_due_date_and_derives_overdue_at_read_time(self):
        soon = services.followup_create(actor=self.worker, elder=self.elder, title="soon", source="manual",
                                        due_date=today() + D(days=1))
        later = services.followup_create(actor=self.worker, elder=self.elder, title="later", source="manual",
                                         due_date=today() + D(days=9))
        past = services.followup_create(actor=self.worker, elder=self.elder, title="past", source="manual",
                                        due_date=today())
        other = services.followup_create(actor=self.worker, elder=self.elder, title="someone else's",
                                         source="manual", due_date=today(), assignee=self.worker2)
        done = services.followup_create(actor=self.worker, elder=self.elder, title="done", source="manual",
                                        due_date=today())
        services.followup_complete(actor=self.worker, followup=done, note="已电话确认")
        # Nothing is stored about lateness: the same rows, read two days later, are overdue.
        assert [f.title for f in selectors.followups_open_for(self.worker)] == ["past", "soon", "later"]
        assert not any(f.is_overdue for f in selectors.followups_open_for(self.worker))
        rows = list(selectors.followups_open_for(self.worker, today=today() + D(days=2)))
        assert [(f.title, f.is_overdue) for f in rows] == [("past", True), ("soon", True), ("later", False)]
        assert past.overdue_on(today() + D(days=1)) and not later.overdue_on(today() + D(days=1))
        assert [f.title for f in selectors.followups_open_for(self.worker2)] == [other.title]
        assert list(selectors.followups_open_for(self.worker_b)) == []
        assert soon.pk in {f.pk for f in selectors.followups_for(self.street)}  # supervisors read them

    def test_complete_and_cancel_write_events_and_close_the_task(self):
        f = services.followup_create(actor=self.worker, elder=self.elder, title="送政策单", source="manual",
                                     due_date=today())
        with self.assertRaises(FieldErrors):
            services.followup_complete(actor=self.worker, followup=f, note="")
        with self.assertRaises(NotFoundError):
            services.followup_complete(actor=self.worker_b, followup=f, note="x")
        f = services.followup_complete(actor=self.worker, followup=f, note="已送达并讲解")
        assert f.status == "done" and f.closed_by == self.worker and f.result_note == "已送达并讲解"
        with self.assertRaises(ApplicationError):
            services.followup_cancel(actor=self.worker, followup=f, reason="重复")
        g = services.followup_create(actor=self.worker, elder=self.elder, title="重复事项", source="manual",
                                     due_date=today())
        services.followup_cancel(actor=self.lead, followup=g, reason="与另一事项重复")
        types = list(elder_timeline(self.elder).values_list("type", flat=True))
        assert types.count(events.FOLLOWUP_COMPLETED) == 1 and types.count(events.FOLLOWUP_CANCELLED) == 1

    def test_without_an_elder_the_task_lives_in_the_actors_node(self):
        f = services.followup_create(actor=self.worker, elder=None, title="回电匿名来电者", source="manual",
                                     due_date=today())
        assert f.region_code == self.worker.region_id and f.elder is None
        assert Event.objects.get(subject_id=str(f.pk)).elder_id is None

    def test_a_deactivated_elder_gets_no_new_tasks(self):
        elder = self.elder_family
        elder_deactivate(actor=self.root, elder=elder, reason="moved_away")
        with self.assertRaises(ApplicationError):
            services.followup_create(actor=self.worker, elder=elder, title="x", source="manual", due_date=today())


class ConsultationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_world(cls)

    def test_known_elder_with_a_follow_up(self):
        c = services.consultation_record(
            actor=self.worker, data=consultation_data(elder=self.elder, visitor_name="王小明", visitor_phone="13912345678"),
            followup={"title": "一周后回访津贴办理", "due_date": today() + D(days=7)})
        assert c.region_code == self.elder.region_id and c.community_id == self.elder.region_id
        assert c.service_point == self.point and c.recorded_by == self.worker
        f = selectors.consultation_followups(c).get()
        assert f.source == "consultation" and f.elder == self.elder and f.assignee == self.worker
        types = set(elder_timeline(self.elder).values_list("type", flat=True))
        assert {events.CONSULTATION_RECORDED, events.FOLLOWUP_CREATED} <= types

    def test_anonymous_visitor_is_encrypted_and_masked(self):
        c = services.consultation_record(
            actor=self.worker, data=consultation_data(channel="hotline", visitor_type="neighbour",
                                                      visitor_name="刘阿姨", visitor_phone="13800138000",
                                                      visitor_address="梅林一村22栋1201", visitor_age=67,
                                                      community=Region.objects.get(code="440304006001")))
        raw = Consultation.objects.filter(pk=c.pk).values_list("visitor_name_enc", "visitor_phone_enc").get()
        assert b"13800138000" not in bytes(raw[1]) and "刘阿姨".encode() not in bytes(raw[0])
        c = Consultation.objects.get(pk=c.pk)
        assert c.anonymous and c.region_code == "440304006001"
        assert (c.visitor_name_masked, c.visitor_phone_masked) == ("刘**", "138****8000")
        assert c.visitor_phone == "13800138000"
        values = services.consultation_reveal(actor=self.worker, consultation=c, purpose="电话回访")
        assert values["address"] == "梅林一村22栋1201"
        assert AccessLog.objects.get(region_code=c.region_code).purpose == "电话回访"
        with self.assertRaises(FieldErrors):
            services.consultation_reveal(actor=self.worker, consultation=c, purpose="")
        with self.assertRaises(NotFoundError):
            services.consultation_reveal(actor=self.worker_b, consultation=c, purpose="看看")

    def test_an_anonymous_consultation_without_community_lives_in_the_recorders_node(self):
        c = services.consultation_record(actor=self.street, data=consultation_data(channel="phone"))
        assert c.region_code == "440304006000"

    def test_validation_in_chinese(self):
        with self.assertRaises(FieldErrors) as cm:
            services.consultation_record(actor=self.worker, data=consultation_data(
                advice="字" * 501, reason="", visitor_count=1, family_count=2, channel="fax",
                visitor_phone="12345", community=Region.objects.get(code="440304007001")))
        e = cm.exception.errors
        assert e["advice"] == ["顾问建议不能超过 500 字（现有 501 字）"] and e["reason"] == ["请填写来访事由"]
        assert set(e) >= {"channel", "visitor_phone", "community"}
        with self.assertRaises(FieldErrors) as cm:
            services.consultation_record(actor=self.worker, data=consultation_data(
                visitor_count=1, family_count=2))
        assert cm.exception.errors == {"family_count": ["家属数不能多于人数"]}
        with self.assertRaises(FieldErrors):
            services.consultation_record(actor=self.worker, data=consultation_data(
                visited_at=timezone.now() + D(days=1)))
        with self.assertRaises(NotFoundError):
            services.consultation_record(actor=self.worker, data=consultation_data(elder=self.elder_b))
        with self.assertRaises(ForbiddenError):
            services.consultation_record(actor=self.provider, data=consultation_data())
        assert not Consultation.objects.exists() and not FollowUp.objects.exists()
        # 500 字 exactly is accepted.
        services.consultation_record(actor=self.worker, data=consultation_data(advice="字" * 500))


class ConferenceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_world(cls)

    def test_decisions_spawn_follow_ups(self):
        conf = services.conference_hold(
            actor=self.lead, elder=self.elder, held_on=today(), problem="独居，近期两次跌倒，拒绝入住机构",
            minutes="社工、专员、社区医生讨论", participants=[self.worker, self.worker2],
            decisions=[{"text": "申请家庭养老床位", "due_date": today() + D(days=14), "assignee": self.worker},
                       {"text": "联系其侄子沟通照护"},
                       {"text": "安装一键呼叫设备", "due_date": today() + D(days=7)}])
        assert set(conf.participants.all()) == {self.lead, self.worker, self.worker2}
        d = list(conf.decisions.select_related("followup"))
        assert [x.text for x in d] == ["申请家庭养老床位", "联系其侄子沟通照护", "安装一键呼叫设备"]
        assert d[0].followup.assignee == self.worker and d[0].followup.source == "conference"
        assert d[0].followup.source_id == str(d[0].pk) and d[1].followup is None
        assert d[2].followup.assignee == self.lead
        f = services.decision_followup(actor=self.worker, decision=d[1], due_date=today() + D(days=3))
        assert f.title == "联系其侄子沟通照护"
        with self.assertRaises(ApplicationError):
            services.decision_followup(actor=self.worker, decision=d[1], due_date=today())
        e = elder_timeline(self.elder).get(type=events.CONFERENCE_HELD)
        assert e.payload["followups"] == 2 and "黄丽娟" in e.payload["participants"]

    def test_needs_two_staff_of_the_jurisdiction(self):
        with self.assertRaises(FieldErrors) as cm:
            services.conference_hold(actor=self.lead, elder=self.elder, held_on=today(), problem="x")
        assert cm.exception.errors["participants"] == ["集体会诊至少需要两名工作人员参加"]
        with self.assertRaises(FieldErrors) as cm:
            services.conference_hold(actor=self.lead, elder=self.elder, held_on=today(), problem="x",
                                     participants=[self.worker_b])
        assert "周敏 不是本辖区的工作人员" in cm.exception.errors["participants"]


class ErrandTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_world(cls)

    def request(self, **kw):
        args = {"actor": self.worker, "elder": self.elder, "kind": "medical_escort",
                "description": "陪同到市人民医院复诊", "due_date": today() + D(days=2), "consent": CONSENT}
        args.update(kw)
        return services.errand_request(**args)

    def test_consent_is_required_and_recorded_on_the_elder(self):
        with self.assertRaises(FieldErrors) as cm:
            self.request(consent=None)
        assert "consent" in cm.exception.errors
        with self.assertRaises(FieldErrors) as cm:
            self.request(consent={"granted_by": "王秀英"})
        assert "consent_method" in cm.exception.errors
        assert not Errand.objects.exists() and not Consent.objects.exists()
        errand = self.request()
        consent = errand.consent
        assert (consent.purpose, consent.method, consent.granted_by) == ("delegated_errand", "signed_paper",
                                                                         "王秀英（本人）")
        # The consent in force covers the next errand; no new consent row.
        second = self.request(consent=None, kind="payment", description="代缴水电费")
        assert second.consent == consent and Consent.objects.count() == 1
        types = list(elder_timeline(self.elder).values_list("type", flat=True))
        assert types.count(events.ERRAND_REQUESTED) == 2 and "elder.consent_granted" in types
        # A withdrawn consent stops the work.
        consent_withdraw(actor=self.worker, elder=self.elder, consent_id=consent.pk)
        with self.assertRaises(ApplicationError) as cm2:
            services.errand_start(actor=self.worker, errand=errand)
        assert cm2.exception.code == "consent_withdrawn"

    def test_only_for_elders_without_children_or_with_disabilities(self):
        with self.assertRaises(ApplicationError) as cm:
            self.request(elder=self.elder_family)
        assert cm.exception.code == "errand_not_eligible"

    def test_full_life_cycle_with_evidence_and_four_eyes_closure(self):
        errand = self.request()
        with self.assertRaises(NotFoundError):
            services.errand_start(actor=self.worker_b, errand=errand)
        with self.assertRaises(ForbiddenError):
            services.errand_start(actor=self.provider, errand=errand)
        # A colleague of the jurisdiction may take it over; the event names her.
        errand = services.errand_start(actor=self.worker2, errand=errand)
        assert errand.status == "in_progress" and errand.started_at
        assert Event.objects.get(subject_id=str(errand.pk), type=events.ERRAND_STARTED).actor == self.worker2
        with self.assertRaises(FieldErrors) as cm:
            services.errand_complete(actor=self.worker, errand=errand, note="已陪同", evidence=("a.exe", b"MZ\x90"))
        assert cm.exception.errors["evidence"] == ["只能上传照片（JPEG、PNG）或 PDF 文件"]
        with self.assertRaises(FieldErrors):
            services.errand_complete(actor=self.worker, errand=errand, note="已陪同",
                                     evidence=("big.pdf", b"%PDF-" + b"0" * ErrandEvidence.MAX_BYTES))
        errand = services.errand_complete(actor=self.worker, errand=errand, note="已陪同复诊，取药",
                                          evidence=("../../收据.JPG", JPEG))
        ev = errand.evidence.get()
        assert (ev.file_name, ev.content_type, ev.size) == ("收据.jpg", "image/jpeg", len(JPEG))
        assert JPEG not in bytes(ev.data_enc) and ev.data() == JPEG
        services.errand_evidence_add(actor=self.worker, errand=errand, file_name="发票.pdf", data=PDF)
        with self.assertRaises(ForbiddenError):  # the one who did it does not close it
            services.errand_close(actor=self.worker, errand=errand)
        errand = services.errand_close(actor=self.worker2, errand=errand, note="核对凭证无误")
        assert errand.status == "closed" and errand.closed_by == self.worker2
        with self.assertRaises(ApplicationError):
            services.errand_cancel(actor=self.worker, errand=errand, reason="x")
        types = [t for t in elder_timeline(self.elder).values_list("type", flat=True) if t.startswith("errand.")]
        assert sorted(types) == sorted([events.ERRAND_REQUESTED, events.ERRAND_STARTED, events.ERRAND_EVIDENCE_ADDED,
                                        events.ERRAND_COMPLETED, events.ERRAND_EVIDENCE_ADDED, events.ERRAND_CLOSED])

    def test_point_lead_may_close_her_own_and_cancel_needs_a_reason(self):
        errand = self.request(assignee=self.lead)
        errand = services.errand_complete(actor=self.lead, errand=errand, note="已办理")
        assert services.errand_close(actor=self.lead, errand=errand).status == "closed"
        other = self.request(kind="shopping", description="代购降压药")
        with self.assertRaises(FieldErrors):
            services.errand_cancel(actor=self.worker, errand=other, reason=" ")
        other = services.errand_cancel(actor=self.worker, errand=other, reason="家属已代购")
        assert other.status == "cancelled" and other.cancel_reason == "家属已代购"
        with self.assertRaises(NotFoundError):
            services.errand_close(actor=self.worker_b, errand=errand)

    def test_overdue_errands_surface_and_counts_per_region(self):
        a = self.request()
        b = self.request(kind="documents", description="补办身份证", due_date=today() + D(days=10))
        c = self.request(kind="payment", description="代缴电费", assignee=self.worker2)
        services.errand_complete(actor=self.worker2, errand=c, note="已缴")
        later = today() + D(days=3)
        rows = list(selectors.errands_for(self.worker, status="open", today=later))
        assert [(r.pk, r.is_overdue) for r in rows] == [(a.pk, True), (b.pk, False)]
        assert [r.pk for r in selectors.errands_for(self.street, overdue=True, today=later)] == [a.pk]
        assert {r.pk for r in selectors.errands_open_for(self.worker2)} == {a.pk, b.pk}  # same service point
        assert list(selectors.errands_open_for(self.worker_b)) == []
        assert [r.pk for r in selectors.errands_to_close(self.worker)] == [c.pk]
        assert list(selectors.errands_to_close(self.worker2)) == []
        counts = selectors.overdue_counts(self.street, ["440304006001", "440304006002"], Errand, today=later)
        assert counts == {"440304006001": 1, "440304006002": 0}
        assert selectors.overdue_counts(self.worker_b, ["440304006001"], Errand, today=later) == {"440304006001": 0}

"""The casework pages on a real database: record a consultation with a follow-up in one post,
complete it from "my follow-ups" (htmx), an errand through its pages with an uploaded photo, a
case conference with decisions, the elder-page section, the worker's to-do lists and badge, the
supervisor's overdue columns, and the read-only admin."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from yiyang.casework import events, services
from yiyang.casework.models import CaseConference, Consultation, Errand, FollowUp
from yiyang.casework.tests.helpers import CONSENT, JPEG, build_world, today
from yiyang.core.models import Event
from yiyang.elders.models import Consent

D = dt.timedelta


class PageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_world(cls)

    def login(self, user):
        self.client.force_login(user)

    def test_record_a_consultation_with_a_follow_up_and_complete_it(self):
        self.login(self.worker)
        form = self.client.get(reverse("casework:consultation_create") + f"?elder={self.elder.pk}")
        assert form.status_code == 200 and "王秀英" in form.content.decode()
        r = self.client.post(reverse("casework:consultation_create") + f"?elder={self.elder.pk}", {
            "elder": str(self.elder.pk), "channel": "phone", "service_item": "subsidy", "reason": "女儿来电问护理补贴",
            "advice": "先做能力评估", "result": "follow_up", "visitor_type": "family", "visitor_count": "1",
            "family_count": "1", "followup_title": "回电告知评估时间", "followup_due": str(today() + D(days=2)),
            "followup_assignee": str(self.worker.pk)})
        c = Consultation.objects.get()
        assert r.status_code == 302 and r["Location"] == reverse("casework:consultation_detail", args=[c.pk])
        f = FollowUp.objects.get()
        assert f.source_id == str(c.pk) and f.assignee == self.worker
        page = self.client.get(reverse("casework:followups")).content.decode()
        assert "回电告知评估时间" in page and "王秀英" in page
        # htmx: the row is swapped for its completed self.
        bad = self.client.post(reverse("casework:followup_complete", args=[f.pk]), {"note": ""}, HTTP_HX_REQUEST="true")
        assert bad.status_code == 422 and "请填写跟踪结果" in bad.content.decode()
        ok = self.client.post(reverse("casework:followup_complete", args=[f.pk]), {"note": "已告知下周二评估"},
                              HTTP_HX_REQUEST="true")
        assert ok.status_code == 200 and "已完成" in ok.content.decode()
        assert "回电告知评估时间" not in self.client.get(reverse("casework:followups")).content.decode()
        timeline = self.client.get(reverse("elders:timeline", args=[self.elder.pk])).content.decode()
        assert "咨询服务" in timeline and "完成跟踪事项" in timeline

    def test_consultation_form_errors_and_anonymous_visitor(self):
        self.login(self.worker)
        r = self.client.post(reverse("casework:consultation_create"), {
            "channel": "walk_in", "service_item": "", "reason": "", "result": "follow_up", "visitor_type": "elder",
            "visitor_count": "1", "family_count": "0", "advice": "字" * 501})
        html = r.content.decode()
        assert r.status_code == 400 and "还没有保存" in html and "请写下跟踪事项" in html
        r = self.client.post(reverse("casework:consultation_create"), {
            "channel": "hotline", "service_item": "policy", "reason": "问意外险", "result": "answered",
            "visitor_type": "neighbour", "visitor_count": "1", "family_count": "0", "visitor_name": "刘阿姨",
            "visitor_phone": "13800138000", "community": "440304006001"})
        assert r.status_code == 302
        listing = self.client.get(reverse("casework:consultations")).content.decode()
        assert "138****8000" in listing and "13800138000" not in listing and "刘**" in listing
        c = Consultation.objects.get()
        detail = self.client.post(reverse("casework:consultation_detail", args=[c.pk]), {"purpose": "电话回访"})
        assert "13800138000" in detail.content.decode()

    def test_elder_search_and_elder_section(self):
        self.login(self.worker)
        found = self.client.get(reverse("casework:elder_search") + "?q=王秀英").content.decode()
        assert f'value="{self.elder.pk}"' in found and "孙桂兰" not in found
        services.followup_create(actor=self.worker, elder=self.elder, title="送政策单", source="manual", due_date=today())
        page = self.client.get(reverse("elders:detail", args=[self.elder.pk])).content.decode()
        assert 'id="casework"' in page and "送政策单" in page
        for name in ("consultation_create", "followup_create", "errand_create", "conference_create"):
            assert f"{reverse('casework:' + name)}?elder={self.elder.pk}" in page
        self.login(self.provider)
        assert 'id="casework"' not in self.client.get(reverse("core:home")).content.decode()

    def test_errand_through_the_pages(self):
        self.login(self.worker)
        url = reverse("casework:errand_create") + f"?elder={self.elder.pk}"
        form = self.client.get(url).content.decode()
        assert "没有有效的委托代办授权" in form
        r = self.client.post(url, {"elder": str(self.elder.pk), "kind": "medical_escort", "description": "陪同复诊",
                                   "due_date": str(today() + D(days=1)), "assignee": str(self.worker.pk)})
        assert r.status_code == 400 and "须先记录老年人本人或监护人的委托同意" in r.content.decode()
        r = self.client.post(url, {"elder": str(self.elder.pk), "kind": "medical_escort", "description": "陪同复诊",
                                   "due_date": str(today() + D(days=1)), "assignee": str(self.worker.pk),
                                   "consent_granted_by": "王秀英（本人）", "consent_method": "verbal_witnessed",
                                   "consent_granted_at": "2026-01-05T10:00", "consent_evidence": "见证人：陈志强"})
        e = Errand.objects.get()
        assert r.status_code == 302 and e.consent.method == "verbal_witnessed"
        assert Consent.objects.get().purpose == "delegated_errand"
        action = lambda name: reverse("casework:errand_action", args=[e.pk, name])  # noqa: E731
        assert self.client.post(action("start")).status_code == 302
        bad = self.client.post(action("complete"), {"note": "已陪同", "evidence": SimpleUploadedFile("x.txt", b"hello")})
        assert bad.status_code == 400 and "只能上传照片" in bad.content.decode()
        r = self.client.post(action("complete"), {"note": "已陪同复诊并取药",
                                                  "evidence": SimpleUploadedFile("单据.jpg", JPEG, "image/jpeg")})
        assert r.status_code == 302
        detail = self.client.get(reverse("casework:errand_detail", args=[e.pk])).content.decode()
        assert "等待另一名工作人员" in detail and "单据.jpg" in detail
        self.client.post(action("close"))  # the one who did it: refused
        assert Errand.objects.get().status == "done"
        self.login(self.worker2)
        assert "核对无误，结案" in self.client.get(reverse("casework:errand_detail", args=[e.pk])).content.decode()
        self.client.post(action("close"), {"note": "票据齐全"})
        assert Errand.objects.get().status == "closed"
        ev = e.evidence.get()
        photo = self.client.get(reverse("casework:evidence", args=[ev.pk]))
        assert photo.content == JPEG and photo["Cache-Control"] == "private, no-store"
        self.login(self.worker_b)
        assert self.client.get(reverse("casework:evidence", args=[ev.pk])).status_code == 404

    def test_case_conference_page(self):
        self.login(self.lead)
        url = reverse("casework:conference_create") + f"?elder={self.elder.pk}"
        assert "陈志强" in self.client.get(url).content.decode()
        r = self.client.post(url, {"elder": str(self.elder.pk), "held_on": str(today()),
                                   "participants": [str(self.worker.pk), str(self.worker2.pk)],
                                   "problem": "独居，拒绝就医", "minutes": "三方讨论",
                                   "decision_0": "联系家庭医生上门", "decision_due_0": str(today() + D(days=3)),
                                   "decision_1": "联系侄子", "decision_due_1": ""})
        c = CaseConference.objects.get()
        assert r.status_code == 302 and c.participants.count() == 3 and c.decisions.count() == 2
        page = self.client.get(reverse("casework:conference_detail", args=[c.pk])).content.decode()
        assert "联系家庭医生上门" in page and "生成跟踪事项" in page
        d = c.decisions.get(text="联系侄子")
        self.client.post(reverse("casework:decision_followup", args=[d.pk]),
                         {"title": "联系侄子", "due_date": str(today() + D(days=5))})
        assert FollowUp.objects.filter(source="conference").count() == 2
        assert Event.objects.filter(elder_id=self.elder.pk, type=events.CONFERENCE_HELD).exists()

    def test_home_todos_badge_and_supervisor_columns(self):
        f = services.followup_create(actor=self.worker, elder=self.elder, title="送政策单", source="manual",
                                     due_date=today())
        FollowUp.objects.filter(pk=f.pk).update(due_date=today() - D(days=2))  # time passes
        e = services.errand_request(actor=self.worker2, elder=self.elder, kind="payment", description="代缴电费",
                                    due_date=today(), consent=CONSENT)
        Errand.objects.filter(pk=e.pk).update(due_date=today() - D(days=1))
        self.login(self.worker)
        home = self.client.get(reverse("core:home")).content.decode()
        assert 'id="todo-casework_followups"' in home and "送政策单" in home and "逾期" in home
        # The errand is worker2's, but in worker's service point: it is on her list too.
        assert 'id="todo-casework_errands"' in home and "王秀英 · 代缴费用" in home
        assert 'class="badge"' in home
        self.login(self.street)
        home = self.client.get(reverse("core:home")).content.decode()
        assert "逾期跟踪" in home and "逾期代办" in home
        link = reverse("casework:errands") + "?status=overdue&amp;region=440304006001"
        assert link in home
        listing = self.client.get(reverse("casework:errands") + "?status=overdue&region=440304006001").content.decode()
        assert "代缴电费" in listing and "梅京社区" in listing
        other = self.client.get(reverse("casework:errands") + "?status=overdue&region=440304006002").content.decode()
        assert "代缴电费" not in other

    def test_admin_is_read_only_and_within_the_jurisdiction(self):
        services.consultation_record(actor=self.worker, data={
            "channel": "walk_in", "visitor_type": "neighbour", "service_item": "policy", "result": "answered", "reason": "问政策",
            "visitor_name": "刘阿姨", "visitor_phone": "13800138000"})
        services.consultation_record(actor=self.worker_b, data={
            "channel": "walk_in", "visitor_type": "elder", "service_item": "policy", "result": "answered",
            "reason": "景田北的咨询"})
        self.street.is_staff = True
        self.street.is_superuser = True
        self.street.save()
        self.login(self.street)
        page = self.client.get(reverse("admin:casework_consultation_changelist")).content.decode()
        assert "138****8000" in page and "13800138000" not in page and "景田北的咨询" not in page
        assert self.client.get(reverse("admin:casework_consultation_add")).status_code == 403

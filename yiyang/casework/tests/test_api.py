"""The API contract of casework: status codes, shapes, Chinese errors, masked visitors, 404
outside the jurisdiction and 403 for a role without the capability."""

from __future__ import annotations

import base64
import datetime as dt

from django.test import TestCase

from tests import factories
from yiyang.casework.models import Consultation, Errand, FollowUp
from yiyang.casework.tests.helpers import CONSENT, JPEG, build_world, today
from yiyang.core.models import Event

D = dt.timedelta


class ApiTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_world(cls)

    def h(self, user):
        r = self.client.post("/api/v1/auth/token", {"username": user.username, "password": factories.PASSWORD},
                             content_type="application/json")
        return {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}

    def post(self, url, body, user):
        return self.client.post(url, body, content_type="application/json", **self.h(user))

    def get(self, url, user):
        return self.client.get(url, **self.h(user))

    def test_consultation_with_follow_up_then_list_detail_and_complete(self):
        r = self.post("/api/v1/consultations", {
            "channel": "phone", "visitor_type": "family", "visitor_count": 1, "family_count": 1,
            "elder_id": str(self.elder.pk), "visitor_name": "王小明", "visitor_phone": "13912345678",
            "service_item": "subsidy", "result": "follow_up", "reason": "女儿来电问护理补贴",
            "advice": "先做能力评估", "followup": {"title": "回电告知评估时间", "due_date": str(today() + D(days=2))},
        }, self.worker)
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["visitor_phone"] == "139****5678" and body["visitor_name"] == "王**"
        assert body["elder_name"] == "王秀英" and body["service_point"] == "梅京社区养老顾问点"
        assert len(body["followup_ids"]) == 1
        listed = self.get("/api/v1/consultations", self.worker).json()
        assert listed["count"] == 1 and listed["items"][0]["followup_ids"] == body["followup_ids"]
        assert self.get(f"/api/v1/consultations/{body['id']}", self.street).status_code == 200
        assert self.get(f"/api/v1/consultations/{body['id']}", self.worker_b).status_code == 404
        assert self.get(f"/api/v1/consultations/{body['id']}", self.provider).status_code == 403
        mine = self.get("/api/v1/follow-ups", self.worker).json()
        assert [i["title"] for i in mine["items"]] == ["回电告知评估时间"] and mine["items"][0]["overdue"] is False
        fid = body["followup_ids"][0]
        r = self.post(f"/api/v1/follow-ups/{fid}/complete", {"note": ""}, self.worker)
        assert r.status_code == 400 and r.json()["detail"]["fields"]["note"] == ["请填写跟踪结果"]
        assert self.post(f"/api/v1/follow-ups/{fid}/complete", {"note": "x"}, self.worker_b).status_code == 404
        r = self.post(f"/api/v1/follow-ups/{fid}/complete", {"note": "已告知下周二评估"}, self.worker)
        assert r.status_code == 200 and r.json()["status"] == "done"
        assert self.get("/api/v1/follow-ups", self.worker).json()["count"] == 0
        done = self.get("/api/v1/follow-ups?status=done", self.worker).json()
        assert done["items"][0]["result_note"] == "已告知下周二评估"

    def test_consultation_errors_are_chinese(self):
        r = self.post("/api/v1/consultations", {"service_item": "subsidy", "result": "answered",
                                                "reason": "x", "advice": "字" * 501}, self.worker)
        assert r.status_code == 422 and r.json()["code"] == "validation_error"
        assert r.json()["detail"]["fields"]["advice"] == ["最长500字"]
        r = self.post("/api/v1/consultations", {"service_item": "subsidy", "result": "answered",
                                                "reason": "x", "visitor_phone": "2345"}, self.worker)
        assert r.status_code == 400 and r.json()["message"] == "提交的内容有误，请按提示修改"
        assert "手机号" in r.json()["detail"]["fields"]["visitor_phone"][0]
        r = self.post("/api/v1/consultations", {"result": "answered", "reason": "x"}, self.worker)
        assert r.status_code == 422 and r.json()["detail"]["fields"]["service_item"] == ["必填"]
        r = self.post("/api/v1/consultations", {"service_item": "subsidy", "result": "answered", "reason": "x",
                                                "elder_id": str(self.elder_b.pk)}, self.worker)
        assert r.status_code == 404 and r.json()["message"] == "记录不存在或不在您的管辖范围内"
        r = self.post("/api/v1/consultations", {"service_item": "subsidy", "result": "answered", "reason": "x"},
                      self.provider)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        assert not Consultation.objects.exists()

    def test_manual_follow_up_and_assignee(self):
        r = self.post("/api/v1/follow-ups", {"title": "送适老化改造申请表", "elder_id": str(self.elder.pk),
                                             "due_date": str(today()), "assignee": "worker_a2"}, self.worker)
        assert r.status_code == 201 and r.json()["assignee"] == "陈志强" and r.json()["source"] == "manual"
        r = self.post("/api/v1/follow-ups", {"title": "x", "elder_id": str(self.elder.pk),
                                             "due_date": str(today()), "assignee": "worker_b"}, self.worker)
        assert r.status_code == 400 and "assignee" in r.json()["detail"]["fields"]
        r = self.post("/api/v1/follow-ups", {"title": "x", "due_date": str(today()), "assignee": "nobody"},
                      self.worker)
        assert r.json()["detail"]["fields"]["assignee"] == ["找不到用户 nobody"]
        assert self.get("/api/v1/follow-ups?mine=false", self.street).json()["count"] == 1
        assert self.get("/api/v1/follow-ups?status=bogus", self.worker).status_code == 400

    def test_errand_life_cycle(self):
        r = self.post("/api/v1/errands", {"elder_id": str(self.elder.pk), "kind": "documents",
                                          "description": "补办社保卡", "due_date": str(today() + D(days=5))},
                      self.worker)
        assert r.status_code == 400 and "consent" in r.json()["detail"]["fields"]
        r = self.post("/api/v1/errands", {"elder_id": str(self.elder.pk), "kind": "documents",
                                          "description": "补办社保卡", "due_date": str(today() + D(days=5)),
                                          "consent": CONSENT}, self.worker)
        assert r.status_code == 201, r.content
        e = r.json()
        assert e["status"] == "requested" and e["consent_method"] == "signed_paper" and e["overdue"] is False
        url = f"/api/v1/errands/{e['id']}"
        assert self.post(f"{url}/start", {}, self.worker_b).status_code == 404
        assert self.post(f"{url}/start", {}, self.provider).status_code == 403
        assert self.post(f"{url}/start", {}, self.worker).json()["status"] == "in_progress"
        r = self.post(f"{url}/complete", {"note": "已领卡", "evidence": {"file_name": "卡.jpg",
                                                                     "content_base64": "%%%"}}, self.worker)
        assert r.status_code == 400 and r.json()["detail"]["fields"]["evidence"] == ["文件内容不是有效的 base64"]
        r = self.post(f"{url}/complete", {"note": "已领卡并交给本人", "evidence": {
            "file_name": "卡.jpg", "content_base64": base64.b64encode(JPEG).decode()}}, self.worker)
        assert r.status_code == 200 and r.json()["evidence"] == ["卡.jpg"] and r.json()["status"] == "done"
        r = self.post(f"{url}/close", {}, self.worker)
        assert r.status_code == 403 and "不能由办理人本人结案" in r.json()["message"]
        r = self.post(f"{url}/close", {"note": "核对无误"}, self.worker2)
        assert r.status_code == 200 and r.json()["closed_by"] == "陈志强"
        r = self.post(f"{url}/cancel", {"reason": "x"}, self.worker)
        assert r.status_code == 400 and r.json()["code"] == "errand_state"
        listed = self.get("/api/v1/errands?status=closed", self.street).json()
        assert listed["count"] == 1 and listed["items"][0]["id"] == e["id"]
        assert self.get("/api/v1/errands", self.worker_b).json()["count"] == 0
        assert Event.objects.filter(elder_id=self.elder.pk, type__startswith="errand.").count() == 5

    def test_errand_cancel_and_overdue_list(self):
        e = self.post("/api/v1/errands", {"elder_id": str(self.elder.pk), "kind": "shopping",
                                          "description": "代购轮椅坐垫", "due_date": str(today()),
                                          "consent": CONSENT}, self.worker).json()
        Errand.objects.filter(pk=e["id"]).update(due_date=today() - D(days=1))  # time passes
        overdue = self.get("/api/v1/errands?overdue=true", self.lead).json()
        assert [i["id"] for i in overdue["items"]] == [e["id"]] and overdue["items"][0]["overdue"] is True
        r = self.post(f"/api/v1/errands/{e['id']}/cancel", {"reason": "老人已自行购买"}, self.worker)
        assert r.json()["status"] == "cancelled" and r.json()["overdue"] is False

    def test_case_conference(self):
        r = self.post("/api/v1/case-conferences", {
            "elder_id": str(self.elder.pk), "held_on": str(today()), "problem": "独居，拒绝就医",
            "minutes": "讨论了三种方案", "participants": ["worker_a", "worker_a2"],
            "decisions": [{"text": "联系家庭医生上门", "due_date": str(today() + D(days=3)), "assignee": "worker_a"},
                          {"text": "下次巡访加做心理疏导"}]}, self.lead)
        assert r.status_code == 201, r.content
        body = r.json()
        assert sorted(body["participants"]) == sorted(["黄丽娟", "李晓梅", "陈志强"])
        assert body["decisions"][0]["followup_id"] and body["decisions"][1]["followup_id"] is None
        assert FollowUp.objects.get(pk=body["decisions"][0]["followup_id"]).assignee == self.worker
        assert self.get(f"/api/v1/case-conferences/{body['id']}", self.worker_b).status_code == 404
        r = self.post("/api/v1/case-conferences", {"elder_id": str(self.elder.pk), "held_on": str(today()),
                                                   "problem": "x"}, self.lead)
        assert r.status_code == 400 and r.json()["detail"]["fields"]["participants"]

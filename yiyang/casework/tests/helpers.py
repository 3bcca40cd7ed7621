"""The small world casework tests share, built once per test class (``setUpTestData``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests import factories
from yiyang.accounts.models import Role
from yiyang.stations.models import ServicePoint

# Tiny valid files for the evidence upload.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def today() -> dt.date:
    return timezone.localdate()


def build_world(cls: Any) -> None:
    """Users and elders on the test tree: two workers and a lead in 梅京 (community A), a worker
    in 景田北 (B), a street admin of 梅林, a provider; an elder living alone in A (eligible for
    errands), one living with children in A (not), one in B."""
    factories.load_tree()
    cls.root = factories.make_user("root", Role.CITY_ADMIN, None, is_superuser=True, is_staff=True)
    cls.point = ServicePoint.objects.create(name="梅京社区养老顾问点", kind="community_consultant",
                                            region_id=factories.COMMUNITY_A)
    cls.worker = factories.make_user("worker_a", Role.COMMISSIONER, factories.COMMUNITY_A,
                                     full_name="李晓梅", service_point=cls.point)
    cls.worker2 = factories.make_user("worker_a2", Role.COMMISSIONER, factories.COMMUNITY_A,
                                      full_name="陈志强", service_point=cls.point)
    cls.lead = factories.make_user("lead_a", Role.POINT_LEAD, factories.COMMUNITY_A, full_name="黄丽娟",
                                   service_point=cls.point)
    cls.worker_b = factories.make_user("worker_b", Role.COMMISSIONER, factories.COMMUNITY_B, full_name="周敏")
    cls.street = factories.make_user("street_a", Role.STREET_ADMIN, "440304006000", full_name="吴建国")
    cls.provider = factories.make_user("provider_a", Role.PROVIDER_STAFF, factories.COMMUNITY_A)
    cls.elder = factories.make_elder(cls.root, factories.COMMUNITY_A, name="王秀英", living_situation="alone")
    cls.elder_family = factories.make_elder(cls.root, factories.COMMUNITY_A, name="赵德明",
                                            living_situation="with_children", categories=["subsistence"])
    cls.elder_b = factories.make_elder(cls.root, factories.COMMUNITY_B, name="孙桂兰", living_situation="alone")


CONSENT = {"granted_by": "王秀英（本人）", "method": "signed_paper", "evidence": "委托书 2026-001"}


def consultation_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "channel": "walk_in", "visitor_type": "family", "visitor_count": 2, "family_count": 1,
        "service_item": "subsidy", "result": "follow_up", "reason": "询问高龄津贴如何申请",
        "advice": "带身份证和户口本到社区办理", "elder": None, "community": None,
    }
    data.update(overrides)
    return data

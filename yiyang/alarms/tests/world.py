"""A module-scoped world for the alarm tests: the tree, workers of two communities, a street
and a district administrator, two elders (one with a responsible worker, contacts and a
pendant), the default policies."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.db import transaction

from tests import factories
from yiyang.alarms import services
from yiyang.alarms.models import AlarmProfile
from yiyang.elders.services import elder_register


def load_default_policies() -> None:
    # A transactional test earlier in the process may have flushed what the migration wrote.
    importlib.import_module("yiyang.alarms.migrations.0002_default_policies").forwards(apps, None)


def build() -> dict[str, Any]:
    factories.load_tree()
    load_default_policies()
    root = factories.make_user("alarm_root", "city_admin", None, is_superuser=True, is_staff=True)
    w = {
        "root": root,
        "worker": factories.make_user("alarm_worker", "commissioner", factories.COMMUNITY_A, full_name="张专员",
                                      phone="13900000001"),
        "worker2": factories.make_user("alarm_worker2", "commissioner", factories.COMMUNITY_A, full_name="李专员"),
        "other": factories.make_user("alarm_other", "commissioner", factories.COMMUNITY_B, full_name="赵专员"),
        "lead": factories.make_user("alarm_lead", "community_admin", factories.COMMUNITY_A, full_name="钱主任"),
        "street": factories.make_user("alarm_street", "street_admin", "440304006000", full_name="孙街道"),
        "district": factories.make_user("alarm_district", "district_admin", "440304000000", full_name="周区"),
    }
    w["elder"] = elder_register(actor=root, data=factories.elder_data(name="陈阿婆"), contacts=[
        {"name": "陈大明", "phone": "13700000002", "relation": "儿子"}])
    w["elder_b"] = factories.make_elder(root, region_code=factories.COMMUNITY_B, name="吴阿公")
    AlarmProfile.objects.create(elder=w["elder"], region_code=w["elder"].region_id, responder=w["worker"],
                                daily_checkin=True)
    w["device"], w["key"] = services.device_register(actor=w["lead"], elder=w["elder"], serial="SOS-0001")
    w["device_b"], w["key_b"] = services.device_register(actor=w["root"], elder=w["elder_b"], serial="SOS-0002")
    return w


def module_world(django_db_blocker: Any):
    """Generator for a module-scoped fixture: build once, roll back after the module."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            w = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield w
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)

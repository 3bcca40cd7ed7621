"""The default visit rules (domain/reference.md §3; seed 004 专栏3 5, 专栏1 指标6): 特殊困难老年人
— 空巢（含独居）、留守、失能（类别或 GB/T 42195 能力等级 ≥ 2）、重度残疾、计划生育特殊家庭 — visited at
home every month, due by the 20th; other registered elders called every quarter. Both are
data: an administrator changes them in the admin, per region if needed."""

from django.db import migrations

RULES = [
    {
        "code": "special_difficulty_monthly", "name": "特殊困难老年人每月上门探访", "all_elders": False,
        "categories": ["disabled", "severe_disability", "family_planning_special"],
        "living_situations": ["alone", "empty_nest", "left_behind"], "min_ability_level": 2,
        "every_months": 1, "due_day": 20, "way": "home", "priority": 10, "is_indicator": True,
    },
    {
        "code": "registered_quarterly_call", "name": "其他在册老年人每季度电话问候", "all_elders": True,
        "categories": [], "living_situations": [], "min_ability_level": None,
        "every_months": 3, "due_day": 20, "way": "phone", "priority": 200, "is_indicator": False,
    },
]


def load(apps, schema_editor):
    VisitRule = apps.get_model("visits", "VisitRule")
    for rule in RULES:
        VisitRule.objects.update_or_create(code=rule["code"], defaults=rule)


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

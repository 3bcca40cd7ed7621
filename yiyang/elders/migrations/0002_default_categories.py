"""The categories that drive policy (domain/reference.md §3), shipped as data."""

from django.db import migrations

CATEGORIES = [
    ("advanced_age", "高龄", True),
    ("disabled", "失能", False),
    ("dementia", "失智", False),
    ("severe_disability", "重度残疾", False),
    ("family_planning_special", "计划生育特殊家庭", False),
    ("extreme_poverty", "特困供养", False),
    ("subsistence", "低保", False),
    ("near_subsistence", "低保边缘", False),
    ("childless_widowed", "孤寡", False),
    ("low_income", "经济困难", False),
    ("veteran", "退役军人", False),
]


def forwards(apps, schema_editor):
    Category = apps.get_model("elders", "Category")
    for order, (code, name, derived) in enumerate(CATEGORIES):
        Category.objects.update_or_create(code=code, defaults={"name": name, "derived": derived, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("elders", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""The words clerks write in 人员类别, shipped as data an administrator edits in the admin
(issue 7, B.1). The category and living-situation names themselves need no alias."""

from django.db import migrations

CATEGORY_ALIASES = {
    "advanced_age": ["高龄老人", "80岁以上", "八十岁以上"],
    "disabled": ["失能老人", "完全失能", "失能人员"],
    "dementia": ["失智老人", "认知症", "认知障碍", "老年痴呆"],
    "severe_disability": ["重残", "重度残疾人", "一级残疾", "二级残疾"],
    "family_planning_special": ["失独", "失独家庭", "失独老人", "计生特殊家庭", "计划生育特扶", "特扶", "独生子女伤残死亡家庭"],
    "extreme_poverty": ["五保", "五保户", "特困", "特困人员", "特困供养人员", "分散特困", "集中特困"],
    "subsistence": ["低保户", "低保对象", "城乡低保", "低保老人"],
    "near_subsistence": ["低保边缘户", "低边", "低边户"],
    "childless_widowed": ["孤寡老人", "孤老"],
    "low_income": ["经济困难老人", "困难老人", "困难户"],
    "veteran": ["退伍军人", "复员军人", "转业军人"],
}
LIVING_ALIASES = {
    "alone": ["独居老人", "独居老年人"],
    "empty_nest": ["空巢老人", "空巢家庭"],
    "left_behind": ["留守老人"],
    "with_children": ["子女同住", "与儿女同住"],
    "with_relatives": ["与亲属同住", "亲属同住"],
    "in_institution": ["机构养老", "入住机构", "住养老院"],
}


def forwards(apps, schema_editor):
    Category = apps.get_model("elders", "Category")
    CategoryAlias = apps.get_model("elders", "CategoryAlias")
    for code, words in CATEGORY_ALIASES.items():
        category = Category.objects.filter(code=code).first()
        if category is None:
            continue
        for word in words:
            CategoryAlias.objects.get_or_create(word=word, defaults={"category": category})
    for living, words in LIVING_ALIASES.items():
        for word in words:
            CategoryAlias.objects.get_or_create(word=word, defaults={"living_situation": living})


class Migration(migrations.Migration):
    dependencies = [("elders", "0004_category_alias")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""The default items of the basic elderly-care service list (domain/reference.md §4) as data.

Regions edit amounts and conditions in the admin (政策规则), or add a rule for their own
region code that overrides these. The condition language is in docs/entitlements.md.
"""

from django.db import migrations

HARDSHIP = ["extreme_poverty", "subsistence", "near_subsistence", "low_income"]

# (code, name, kind, description, amount, how_to_apply, active, [(region_code, conditions, source)])
BENEFITS = [
    (
        "ability_assessment", "老年人能力综合评估", "care",
        "60周岁及以上的老年人都可以申请免费的能力综合评估（按国家标准GB/T 42195—2022），"
        "评估结果是申请护理补贴、入住养老机构、长期护理保险等的依据，全国互认。",
        "免费", "向社区养老顾问点或街道养老服务专员工作点提出申请，由两名评估员上门评估。", True,
        [("", {"age": {">=": 60}}, "GB/T 42195—2022《老年人能力评估规范》")],
    ),
    (
        "advanced_age_allowance", "高龄津贴", "material",
        "年满80周岁、具有本地户籍的老年人，每月可领取高龄津贴；年龄越大标准越高。",
        "按月发放，按80—89岁、90—99岁、100岁及以上分档，标准由各地确定",
        "携带身份证、户口簿到社区或街道申请，也可由社区工作人员代办。", True,
        [("", {"all": [{"age": {">=": 80}}, {"hukou_local": True}]}, "基本养老服务清单；各地高龄津贴制度")],
    ),
    (
        "disability_care_subsidy", "经济困难失能老年人护理补贴", "material",
        "本地户籍、经济困难（特困、低保、低保边缘或经认定的经济困难家庭）并经能力评估为中度及以上失能"
        "（2级及以上）的老年人，可领取护理补贴，用于购买照护服务。",
        "按失能程度分档按月发放，标准由各地确定",
        "先完成能力综合评估，再携带评估结果和经济状况证明到街道申请。", True,
        [("", {"all": [{"hukou_local": True}, {"economic": {"in": HARDSHIP}}, {"level": {">=": 2}}]},
          "基本养老服务清单")],
    ),
    (
        "elderly_service_subsidy", "经济困难老年人养老服务补贴", "material",
        "本地户籍、经济困难（特困、低保、低保边缘或经认定的经济困难家庭）的老年人，可领取养老服务补贴，"
        "用于购买助餐、助洁、助浴等居家养老服务。",
        "按月发放或折算为服务时长，标准由各地确定",
        "携带身份证、户口簿和经济状况证明到社区或街道申请。", True,
        [("", {"all": [{"hukou_local": True}, {"economic": {"in": HARDSHIP}}]}, "基本养老服务清单")],
    ),
    (
        "extreme_poverty_support", "特困人员供养", "material",
        "已认定为特困人员（无劳动能力、无生活来源、无法定赡养人或赡养人无能力）的老年人，享受基本生活保障、"
        "照料护理、疾病治疗和办理丧葬事宜；生活不能自理（失能）的特困老年人优先安排到养老机构集中供养。",
        "基本生活标准和照料护理标准由各地确定",
        "向乡镇（街道）提出申请，也可由社区代为提出。", True,
        [("", {"categories": {"any": ["extreme_poverty"]}}, "《社会救助暂行办法》；基本养老服务清单")],
    ),
    (
        "home_adaptation", "家庭适老化改造", "material",
        "经济困难家庭中失能、重度残疾或高龄（80周岁及以上）的老年人，可申请政府补助的家庭适老化改造，"
        "如加装扶手、防滑处理、坐便椅、紧急呼叫设备等。",
        "按改造项目给予补助，标准由各地确定",
        "向社区提出申请，经入户评估后制定改造方案。", True,
        [("", {"all": [{"economic": {"in": HARDSHIP}},
                       {"any": [{"level": {">=": 2}},
                                {"categories": {"any": ["disabled", "severe_disability", "advanced_age"]}}]}]},
          "基本养老服务清单；特殊困难老年人家庭适老化改造")],
    ),
    (
        "visiting_care", "探访关爱", "caring",
        "独居、空巢、留守、失能、重度残疾、计划生育特殊家庭的老年人，由社区定期上门或电话探访，"
        "了解生活和健康情况，及时帮助解决困难。",
        "免费；特殊困难老年人每月至少探访一次",
        "无需申请，社区养老服务专员会主动联系；也可向社区提出。", True,
        [("", {"any": [{"living_situation": {"in": ["alone", "empty_nest", "left_behind"]}},
                       {"categories": {"any": ["disabled", "severe_disability", "family_planning_special"]}},
                       {"level": {">=": 2}}]},
          "基本养老服务清单；特殊困难老年人探访关爱服务")],
    ),
    (
        "accident_insurance", "老年人意外伤害保险", "material",
        "60周岁及以上的老年人由政府统一购买意外伤害保险，个人不用交钱；发生意外受伤可按规定理赔。",
        "政府出资，例如每人每年10元",
        "无需申请，由民政部门统一投保；出险后联系社区协助理赔。", True,
        [("", {"age": {">=": 60}}, "各地老年人意外伤害保险政策")],
    ),
    (
        "health_management", "老年人健康管理", "care",
        "65周岁及以上的常住老年人，每年可以在社区卫生服务中心免费做一次健康体检，"
        "并得到健康评估和健康指导。",
        "免费，每年一次",
        "带身份证到所在社区卫生服务中心预约。", True,
        [("", {"age": {">=": 65}}, "国家基本公共卫生服务规范")],
    ),
    (
        "ltc_insurance", "长期护理保险", "care",
        "长期护理保险试点地区的参保人员，经评估为重度失能（3级）及以上的，可享受护理服务或护理费用保障。"
        "本平台默认未启用：试点地区启用本项目，并为本地区添加一条规则（例如 {\"level\": {\">=\": 3}}）。",
        "按试点地区规定", "向当地医疗保障部门或经办机构申请失能评估。", False,
        [("", {"available": False}, "非试点地区")],
    ),
    (
        "legal_aid", "法律援助", "caring",
        "经济困难的老年人可以申请免费的法律援助（追索赡养费、养老金、医疗和社会救助待遇等）；"
        "80周岁及以上的老年人免予经济困难审查。所有老年人都可以免费法律咨询。",
        "免费", "向当地法律援助中心或公共法律服务站申请，也可拨打12348。", True,
        [("", {"any": [{"economic": {"in": HARDSHIP}}, {"age": {">=": 80}}]}, "《中华人民共和国法律援助法》")],
    ),
    (
        "meal_subsidy", "长者助餐补贴", "material",
        "60周岁及以上，并且是经济困难、80周岁及以上、失能、重度残疾、孤寡或计划生育特殊家庭的老年人，"
        "在长者饭堂就餐可享受补贴。",
        "每餐补贴，标准由各地确定",
        "到就近的长者饭堂或社区登记，刷身份证或长者卡就餐。", True,
        [("", {"all": [{"age": {">=": 60}},
                       {"any": [{"economic": {"in": HARDSHIP}},
                                {"age": {">=": 80}},
                                {"categories": {"any": ["disabled", "severe_disability", "childless_widowed",
                                                        "family_planning_special"]}},
                                {"level": {">=": 2}}]}]},
          "各地长者助餐服务政策")],
    ),
]


def forwards(apps, schema_editor):
    Benefit = apps.get_model("entitlements", "Benefit")
    BenefitRule = apps.get_model("entitlements", "BenefitRule")
    for order, (code, name, kind, description, amount, how, active, rules) in enumerate(BENEFITS):
        benefit, created = Benefit.objects.update_or_create(code=code, defaults={
            "name": name, "kind": kind, "description": description, "amount": amount, "how_to_apply": how,
            "active": active, "sort_order": order * 10,
        })
        if created:
            for region_code, conditions, source in rules:
                BenefitRule.objects.create(benefit=benefit, region_code=region_code, conditions=conditions,
                                           source=source)


def backwards(apps, schema_editor):
    apps.get_model("entitlements", "Benefit").objects.filter(code__in=[b[0] for b in BENEFITS]).delete()


class Migration(migrations.Migration):
    dependencies = [("entitlements", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

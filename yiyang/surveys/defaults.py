"""The shipped need tags and questionnaire version 1 (installed by migration 0002).

This is version 1 as shipped, frozen: a later change to the default questions is a new
version (a new migration, or an administrator's copy in the admin), never an edit here,
because existing answers point at version 1 and mean what it asked.

The questions are written for the field worker to read aloud: plain words, one thing per
question. Each option lists the need tags it implies; an option without tags says "no
need here".
"""

from __future__ import annotations

from typing import Any

# (code, name, description) — the areas of DESIGN §3 C and of the national lists.
NEED_TAGS: list[tuple[str, str, str]] = [
    ("daily_care", "生活照料", "穿衣、洗漱、如厕、进食等日常起居需要有人照顾"),
    ("meals", "助餐", "送餐上门或到长者饭堂、助餐点用餐"),
    ("bathing", "助浴", "上门助浴或到助浴点洗澡"),
    ("cleaning", "助洁", "上门打扫卫生、洗衣"),
    ("mobility", "助行", "出行陪同、接送、助行器具"),
    ("medical", "助医", "陪同就医、代取药、签约家庭医生"),
    ("emergency", "助急", "紧急呼叫设备、紧急联系人、应急响应"),
    ("rehab_nursing", "康复护理", "康复训练、上门护理、长期照护"),
    ("companionship", "精神慰藉", "探访聊天、心理疏导、社区活动"),
    ("home_adaptation", "家庭适老化改造", "扶手、防滑、照明、无障碍等居家改造"),
    ("policy_legal", "政策与法律咨询", "补贴政策、医保长护险、法律援助、防诈骗"),
    ("errands", "委托代办", "代办证件、代缴费用、代购物品"),
]

QUESTIONNAIRE_NAME = "居家老年人养老服务需求调查"
QUESTIONNAIRE_DESCRIPTION = (
    "由养老服务专员/养老顾问入户或电话询问老人本人（或照顾者）。按平时大多数日子的情况选择；"
    "每个选项对应的需求标签会自动汇总为老人的服务需求。"
)



def _q(section: str, code: str, kind: str, text: str, options: list[tuple[Any, ...]], *,
       help_text: str = "", required: bool = True) -> dict[str, Any]:
    return {"section": section, "code": code, "kind": kind, "text": text, "help_text": help_text,
            "required": required, "options": options}


# Options: (code, text, [need tag codes]) or (code, text, [tags], True) for an exclusive one.
QUESTIONS: list[dict[str, Any]] = [
    _q("生活照料", "self_care", "single", "穿衣、洗漱、上厕所这些事，自己能做吗？", [
        ("independent", "都能自己做", []),
        ("some_help", "有些要人帮一把", ["daily_care"]),
        ("mostly_help", "大多要人帮忙", ["daily_care"]),
    ], help_text="问老人本人或照顾者，按平时大多数日子的情况选。"),
    _q("生活照料", "caregiver", "single", "平时主要是谁照顾您？", [
        ("self", "自己照顾自己", []),
        ("spouse", "老伴", []),
        ("family", "子女或其他亲属", []),
        ("paid_carer", "保姆或护工", []),
        ("nobody", "没人照顾，但需要有人照顾", ["daily_care"]),
    ]),
    _q("助餐", "meals", "single", "平时吃饭怎么解决？", [
        ("cook_self", "自己做饭", []),
        ("family", "家人做饭或子女送饭", []),
        ("need_meals", "需要送餐上门或到长者饭堂吃", ["meals"]),
        ("irregular", "经常凑合，吃不上热饭", ["meals"]),
    ]),
    _q("助浴", "bathing", "single", "洗澡方便吗？", [
        ("independent", "自己能洗", []),
        ("family_help", "家人帮忙能洗", []),
        ("need_help", "洗澡困难，需要上门助浴或到助浴点", ["bathing"]),
    ]),
    _q("助洁", "cleaning", "single", "家里打扫、洗衣服谁来做？", [
        ("self", "自己能做", []),
        ("family", "家人或保姆做", []),
        ("need_help", "做不动了，需要有人上门打扫", ["cleaning"]),
    ]),
    _q("助行", "mobility", "single", "出门走动怎么样？", [
        ("free", "能自己出门", []),
        ("with_aid", "要拄拐杖或坐轮椅，但能出门", []),
        ("need_company", "出门需要有人陪同或接送", ["mobility"]),
        ("housebound", "基本出不了门", ["mobility", "daily_care"]),
    ]),
    _q("助医", "medical", "single", "看病、拿药方便吗？", [
        ("self", "自己能去", []),
        ("family", "家人陪着去", []),
        ("need_escort", "需要有人陪诊或帮忙取药", ["medical"]),
    ]),
    _q("助医", "family_doctor", "yes_no", "签约了家庭医生吗？", [
        ("yes", "是", []),
        ("no", "否", ["medical"]),
    ], help_text="没签约的，可以帮老人联系社区健康服务中心。"),
    _q("助急", "emergency_device", "yes_no", "家里有紧急呼叫设备吗？（一键呼叫器、智能手环等）", [
        ("yes", "是", []),
        ("no", "否", ["emergency"]),
    ]),
    _q("助急", "emergency_contact", "yes_no", "突然不舒服或出事时，能马上联系上家人或邻居吗？", [
        ("yes", "是", []),
        ("no", "否", ["emergency"]),
    ]),
    _q("康复护理", "rehab", "single", "最近有没有因为生病、手术或中风，需要康复训练或护理？", [
        ("none", "没有", []),
        ("rehab", "需要康复训练", ["rehab_nursing"]),
        ("nursing", "需要长期护理（如换药、鼻饲、翻身）", ["rehab_nursing", "daily_care"]),
    ]),
    _q("精神慰藉", "loneliness", "single", "平时会不会觉得孤单、没人说说话？", [
        ("rarely", "很少", []),
        ("sometimes", "有时会", ["companionship"]),
        ("often", "经常这样", ["companionship"]),
    ]),
    _q("精神慰藉", "visits_wanted", "yes_no", "希望有人定期上门陪您聊聊天，或一起参加社区活动吗？", [
        ("yes", "是", ["companionship"]),
        ("no", "否", []),
    ]),
    _q("家庭适老化改造", "home_hazards", "multiple", "家里有没有下面这些情况？（可多选）", [
        ("stairs", "住楼梯房，没有电梯", ["home_adaptation"]),
        ("bathroom", "卫生间没有扶手、地面湿滑", ["home_adaptation"]),
        ("lighting", "夜里起床光线暗", ["home_adaptation"]),
        ("clutter", "门槛高，或过道堆放杂物", ["home_adaptation"]),
        ("none", "以上都没有", [], True),
    ], help_text="可以请老人带您看看卫生间和卧室。"),
    _q("家庭适老化改造", "falls", "single", "最近一年摔倒过吗？", [
        ("no", "没有", []),
        ("once", "摔过一次", ["home_adaptation"]),
        ("repeated", "摔过两次或以上", ["home_adaptation", "emergency"]),
    ]),
    _q("政策与法律咨询", "policy_topics", "multiple", "想了解哪些政策或法律方面的事？（可多选）", [
        ("subsidies", "高龄津贴、养老服务补贴等", ["policy_legal"]),
        ("insurance", "医保、长期护理保险报销", ["policy_legal"]),
        ("legal", "赡养、遗嘱、房产等法律问题", ["policy_legal"]),
        ("fraud", "防诈骗", ["policy_legal"]),
        ("none", "暂时不需要", [], True),
    ]),
    _q("委托代办", "errands", "multiple", "有没有需要别人帮忙跑腿办的事？（可多选）", [
        ("paperwork", "办证、年审、领补贴", ["errands"]),
        ("shopping", "买菜、买日用品", ["errands"]),
        ("bills", "缴水电费、电话费", ["errands"]),
        ("none", "不需要", [], True),
    ]),
    _q("其他", "other_needs", "text", "还有什么其他困难或想法？", [],
       help_text="照老人的原话简单记下，可不填。", required=False),
]


def install(apps: Any) -> None:
    """Create the need tags and questionnaire version 1 (published) if absent. ``apps`` is
    the migration's app registry, so this runs against the models as of migration 0002."""
    from django.utils import timezone

    NeedTag = apps.get_model("surveys", "NeedTag")
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    Question = apps.get_model("surveys", "Question")
    Option = apps.get_model("surveys", "Option")
    tags = {}
    for order, (code, name, description) in enumerate(NEED_TAGS):
        tags[code], _created = NeedTag.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "sort_order": order})
    if Questionnaire.objects.filter(version=1).exists():
        return
    questionnaire = Questionnaire.objects.create(
        name=QUESTIONNAIRE_NAME, version=1, status="published", description=QUESTIONNAIRE_DESCRIPTION,
        published_at=timezone.now(),
    )
    for q_order, q in enumerate(QUESTIONS, start=1):
        question = Question.objects.create(
            questionnaire=questionnaire, code=q["code"], section=q["section"], text=q["text"],
            help_text=q["help_text"], kind=q["kind"], required=q["required"], order=q_order * 10,
        )
        for o_order, opt in enumerate(q["options"], start=1):
            code, text, tag_codes = opt[:3]
            option = Option.objects.create(question=question, code=code, text=text, order=o_order * 10,
                                           exclusive=bool(opt[3]) if len(opt) > 3 else False)
            option.need_tags.set([tags[t] for t in tag_codes])

"""GB/T 42195—2022《老年人能力评估规范》: items, dimension sums, total, preliminary level
and the level changes of annex C.4. Pure Python, no database: the same function scores a
form, an API call, an imported result and ``yiyang assessment score``.

Item codes are the standard's own numbering (B.1.1 … B.4.5) and are the stable keys of the
exchange format (docs/assessment-format.md). Option wording is the standard's, shown to
the assessor; scores run from able (high) to dependent (low).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yiyang.core.text import clip

ECHO_MAX = 30  # a bad value is quoted back in a message at most this long

SCHEME = "GB/T 42195-2022"
SCHEME_ALIASES = {"GB/T 42195-2022", "GB/T 42195—2022", "GB/T42195-2022", "GBT42195-2022"}

COMMON = {
    4: "独立完成，不需要协助",
    3: "在他人指导或提示下完成",
    2: "需要他人协助，但以自身完成为主",
    1: "主要依靠他人协助，自身能给予配合",
    0: "完全依赖他人协助，且不能给予配合",
}


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    description: str
    options: dict[int, str]

    @property
    def dimension(self) -> str:
        return self.code[:3]

    @property
    def max_score(self) -> int:
        return max(self.options)


@dataclass(frozen=True)
class Dimension:
    code: str
    name: str
    max_score: int


DIMENSIONS = (
    Dimension("B.1", "自理能力", 32),
    Dimension("B.2", "基础运动能力", 15),
    Dimension("B.3", "精神状态", 28),
    Dimension("B.4", "感知觉与社会参与", 15),
)

ITEMS: tuple[Item, ...] = (
    Item("B.1.1", "进食", "使用适当的器具将食物送入口中并咽下", {
        4: "独立使用器具将食物送进口中并咽下，没有呛咳",
        3: "在他人指导或提示下完成，或独立使用辅具，没有呛咳",
        2: "进食中需要少量接触式协助，偶尔（每月一次及以上）呛咳",
        1: "在进食中需要大量接触式协助，经常（每周一次及以上）呛咳",
        0: "完全依赖他人协助进食，或吞咽困难，或留置营养管",
    }),
    Item("B.1.2", "修饰", "洗脸、刷牙、梳头、刮脸、剪指（趾）甲等", COMMON),
    Item("B.1.3", "洗澡", "清洗和擦干身体", COMMON),
    Item("B.1.4", "穿/脱上衣", "穿/脱上身衣服、系扣、拉拉链等", COMMON),
    Item("B.1.5", "穿/脱裤子和鞋袜", "穿/脱裤子、鞋袜等", COMMON),
    Item("B.1.6", "小便控制", "控制和排出尿液的能力", {
        4: "可自行控制排尿，排尿次数、排尿控制均正常",
        3: "白天可自行控制排尿次数，夜间出现排尿次数增多、排尿控制较差，或自行使用尿布、尿垫等辅助用物",
        2: "白天大部分时间可自行控制排尿，偶出现（每天<1次，但每周>1次）尿失禁，夜间控制排尿较差，"
           "或他人少量协助使用尿布、尿垫等辅助用物",
        1: "白天大部分时间不能控制排尿（每天≥1次，但尚非完全失控），夜间出现尿失禁，"
           "或他人大量协助使用尿布、尿垫等辅助用物",
        0: "小便失禁，完全不能控制排尿，或留置导尿管",
    }),
    Item("B.1.7", "大便控制", "控制和排出粪便的能力", {
        4: "可正常自行控制大便排出",
        3: "有时出现（每周<1次）便秘或大便失禁，或自行使用开塞露、尿垫等辅助用物",
        2: "经常出现（每天<1次，但每周>1次）便秘或大便失禁，或他人少量协助使用开塞露、尿垫等辅助用物",
        1: "大部分时间均出现（每天≥1次）便秘或大便失禁，但尚非完全失控，或他人大量协助使用开塞露、尿垫等辅助用物",
        0: "严重便秘或者完全大便失禁，需要依赖他人协助排便或清洁皮肤",
    }),
    Item("B.1.8", "如厕", "上厕所排泄大小便，并清洁身体", COMMON),
    Item("B.2.1", "床上体位转移", "卧床翻身及坐起躺下", COMMON),
    Item("B.2.2", "床椅转移", "从坐位到站位，再从站位到坐位的转换过程", COMMON),
    Item("B.2.3", "平地行走", "双脚交互的方式在地面行动，总距离约50 m", {
        4: "独立平地步行50 m左右，不需要协助，无摔倒风险",
        3: "能平地步行50 m左右，存在摔倒风险，需要他人监护或指导，或使用拐杖、助行器等辅助工具",
        2: "在步行时需要他人少量扶持协助",
        1: "在步行时需要他人大量扶持协助",
        0: "完全不能步行",
    }),
    Item("B.2.4", "上下楼梯", "双脚交替完成楼梯台阶连续的上下移动（10–15级）", {
        3: "可独立上下楼梯（连续上下10～15个台阶），不需要协助",
        2: "在他人指导或提示下完成",
        1: "需要他人协助，但以自身完成为主",
        0: "主要依靠他人协助，自身能给予配合；或者完全依赖他人协助，且不能给予配合",
    }),
    Item("B.3.1", "时间定向", "知道并确认时间的能力", {
        4: "时间观念（年、月）清楚，日期（或星期几）可相差一天",
        3: "时间观念有些下降，年、月、日（或星期几）不能全部分清（相差两天或以上）",
        2: "时间观念较差，年、月、日不清楚，可知上半年或下半年或季节",
        1: "时间观念很差，年、月、日不清楚，可知上午、下午或白天、夜间",
        0: "无时间观念",
    }),
    Item("B.3.2", "空间定向", "知道并确认空间的能力", {
        4: "能在日常生活范围内单独外出，如在日常居住小区内独自外出购物等",
        3: "不能单独外出，但能准确知道自己日常生活所在地的地址信息",
        2: "不能单独外出，但知道较多有关自己日常生活的地址信息",
        1: "不能单独外出，但知道较少自己居住或生活所在地的地址信息",
        0: "不能单独外出，无空间观念",
    }),
    Item("B.3.3", "人物定向", "知道并确认人物的能力", {
        4: "认识长期共同一起生活的人，能称呼并知道关系",
        3: "能认识大部分共同生活居住的人，能称呼或知道关系",
        2: "能认识部分日常同住的亲人或照护者等，能称呼或知道关系等",
        1: "只认识自己或极少数日常同住的亲人或照护者等",
        0: "不认识任何人（包括自己）",
    }),
    Item("B.3.4", "记忆", "短时、近期和远期记忆能力", {
        4: "总是能保持与社会、年龄所适应的记忆能力，能完整的回忆",
        3: "出现轻度的记忆紊乱或回忆不能（不能回忆即时信息，3个词语经过5分钟后仅能回忆0～1个）",
        2: "出现中度的记忆紊乱或回忆不能（不能回忆近期记忆，不记得上一顿饭吃了什么）",
        1: "出现重度的记忆紊乱或回忆不能（不能回忆远期记忆，不记得自己的老朋友）",
        0: "记忆完全紊乱或者完全不能对既往事物进行正确的回忆",
    }),
    Item("B.3.5", "理解能力", "理解语言信息和非语言信息的能力（可借助平时使用的助听设备等）", {
        4: "能正常理解他人的话",
        3: "能理解他人的话，但需要增加时间",
        2: "理解有困难，需频繁重复或简化口头表达",
        1: "理解有严重困难，需要大量他人帮助",
        0: "完全不能理解他人的话",
    }),
    Item("B.3.6", "表达能力", "表达信息能力，包括口头的和非口头的", {
        4: "能正常表达自己的想法",
        3: "能表达自己的需要，但需要增加时间",
        2: "表达需要有困难，需频繁重复或简化口头表达",
        1: "表达有严重困难，需要大量他人帮助",
        0: "完全不能表达需要",
    }),
    Item("B.3.7", "攻击行为", "身体攻击行为（如打/踢/推/咬/抓/摔东西）和语言攻击行为（如骂人、语言威胁、尖叫）",
         {1: "未出现", 0: "近一个月内出现过攻击行为"}),
    Item("B.3.8", "抑郁症状", "存在情绪低落、兴趣减退、活力减退等症状，甚至出现妄想、幻觉、自杀念头或自杀行为",
         {1: "未出现", 0: "近一个月内出现过负性情绪"}),
    Item("B.3.9", "意识水平", "机体对自身和周围环境的刺激做出应答反应的能力程度", {
        2: "神志清醒，对周围环境能做出正确反应",
        1: "嗜睡，表现为睡眠状态过度延长；或意识模糊，注意力涣散，对外界刺激不能清晰地认识",
        0: "昏睡，一般的外界刺激不能使其觉醒；或昏迷，处于持续的意识丧失状态",
    }),
    Item("B.4.1", "视力", "感受存在的光线并感受物体的大小、形状的能力（在个体的最好矫正视力下评估）", {
        2: "视力正常",
        1: "能看清楚大字体，但看不清书报上的标准字体；视力有限，看不清报纸大标题，但能辨认物体",
        0: "只能看到光、颜色和形状；完全失明",
    }),
    Item("B.4.2", "听力", "能辨别声音的方位、音调、音量和音质的有关能力（可借助平时使用助听设备等）", {
        2: "听力正常",
        1: "在轻声说话或说话距离超过2 m时听不清；正常交流有些困难，需在安静的环境或大声说话才能听到",
        0: "讲话者大声说话或说话很慢，才能部分听见；完全失聪",
    }),
    Item("B.4.3", "执行日常事务", "计划、安排并完成日常事务，包括但不限于洗衣服、小金额购物、服药管理", {
        4: "能完全独立计划、安排和完成日常事务，无需协助",
        3: "在计划、安排和完成日常事务时需要他人监护或指导",
        2: "在计划、安排和完成日常事务时需要少量协助",
        1: "在计划、安排和完成日常事务时需要大量协助",
        0: "完全依赖他人进行日常事务",
    }),
    Item("B.4.4", "使用交通工具外出", "", {
        3: "能自己骑车或搭乘公共交通工具外出",
        2: "能自己搭乘出租车，但不会搭乘其他公共交通工具外出",
        1: "当有人协助或陪伴，可搭乘公共交通工具外出",
        0: "只能在他人协助下搭乘出租车或私家车外出；完全不能出门，或者外出完全需要协助",
    }),
    Item("B.4.5", "社会交往能力", "", {
        4: "参与社会，在社会环境有一定的适应能力，待人接物恰当",
        3: "能适应单纯环境，主动接触他人，初见面时难让人发现智力问题，不能理解隐喻语",
        2: "脱离社会，可被动接触，不会主动待人，谈话中很多不适词句，容易上当受骗",
        1: "勉强可与他人接触，谈吐内容不清楚，表情不恰当",
        0: "不能与人交往",
    }),
)
ITEM_BY_CODE = {i.code: i for i in ITEMS}

# What each level means, in words an elder and a family read on the printed report.
LEVEL_PLAIN = {
    0: "日常生活都能自己完成，身体和精神状态良好。请保持锻炼，定期体检。",
    1: "大部分日常生活能自己完成，个别事情（如洗澡、上下楼梯）需要别人提醒或帮一点忙。",
    2: "不少日常生活需要别人帮忙，例如洗澡、穿衣、走动，需要有人定期照料。",
    3: "大部分日常生活要靠别人帮助，需要有人经常在身边照护。",
    4: "日常生活完全需要别人照护，需要全天有人照料。",
}

LEVEL_NAMES = {
    0: "能力完好",
    1: "能力轻度受损（轻度失能）",
    2: "能力中度受损（中度失能）",
    3: "能力重度受损（重度失能）",
    4: "能力完全丧失（完全失能）",
}
# (level, lowest total) from the standard's table: 90 → 0; 66–89 → 1; 46–65 → 2; 30–45 → 3; 0–29 → 4.
LEVEL_FLOORS = ((0, 90), (1, 66), (2, 46), (3, 30), (4, 0))


@dataclass(frozen=True)
class LevelRules:
    """Annex C.4, configurable (settings YIYANG_ASSESSMENT_RULES or per call)."""

    coma_to_level_4: bool = True
    dementia_up: bool = True
    risk_events_threshold: int = 2  # this many care-risk events in 30 days → one level up
    # When both the dementia rule and the risk-event rule apply: "one" level up in total
    # (default), or "each" one level up (two levels).
    combine: str = "one"


DEFAULT_RULES = LevelRules()

RULE_TEXT = {
    "coma": "C.4 昏迷者直接评定为能力完全丧失（4级）",
    "dementia_or_mental_disorder": "C.4 确诊为痴呆（F00–F03）或经精神科医师确诊的其他精神和行为障碍（F04–F99）：在原等级上提高一级",
    "risk_events_30d": "C.4 近30天内发生过2次及以上照护风险事件（跌倒、噎食、自杀、自伤、走失等）：在原等级上提高一级",
    "capped_at_4": "C.4 最高为能力完全丧失（4级）",
}


class ScoringError(ValueError):
    """Bad input, named by item; its message is plain Chinese."""

    def __init__(self, message: str, *, item: str | None = None):
        super().__init__(message)
        self.item = item


@dataclass
class Result:
    dimensions: dict[str, int]
    total: int
    preliminary_level: int
    level: int
    rules_applied: list[str] = field(default_factory=list)

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimensions": dict(self.dimensions),
            "total": self.total,
            "preliminary_level": self.preliminary_level,
            "level": self.level,
            "level_name": self.level_name,
            "rules_applied": list(self.rules_applied),
        }


def preliminary_level(total: int) -> int:
    if not 0 <= total <= 90:
        raise ScoringError(f"总分 {total} 超出 0–90")
    for level, floor in LEVEL_FLOORS:
        if total >= floor:
            return level
    raise AssertionError("unreachable")


def _as_int(value: Any, what: str, item: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise ScoringError(f"{what} 应为整数，收到 {clip(repr(value), ECHO_MAX)}", item=item)
    return value


def _as_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ScoringError(f"{what} 应为 true 或 false，收到 {clip(repr(value), ECHO_MAX)}")


def validate_items(items: Any) -> dict[str, int]:
    if not isinstance(items, dict):
        raise ScoringError("items 应为对象，键为条目编号（B.1.1 … B.4.5），值为得分")
    unknown = sorted(set(items) - set(ITEM_BY_CODE))
    if unknown:
        raise ScoringError(f"未知的条目：{clip('、'.join(map(str, unknown)), ECHO_MAX * 3)}", item=clip(str(unknown[0]), ECHO_MAX))
    clean = {}
    for item in ITEMS:
        if item.code not in items or items[item.code] is None:
            raise ScoringError(f"缺少条目 {item.code} {item.name}", item=item.code)
        score = _as_int(items[item.code], f"条目 {item.code} {item.name} 的得分", item.code)
        if score not in item.options:
            raise ScoringError(
                f"条目 {item.code} {item.name} 的得分 {score} 超出范围 0–{item.max_score}", item=item.code
            )
        clean[item.code] = score
    return clean


def score(payload: dict[str, Any], rules: LevelRules = DEFAULT_RULES) -> Result:
    """Score one assessment in the exchange format. Never guesses: anything missing or
    out of range raises ScoringError naming the item."""
    if not isinstance(payload, dict):
        raise ScoringError("输入应为 JSON 对象")
    scheme = payload.get("scheme", SCHEME)
    if scheme not in SCHEME_ALIASES:
        raise ScoringError(f"不支持的评估标准：{clip(str(scheme), ECHO_MAX)}（应为 {SCHEME}）")
    items = validate_items(payload.get("items"))
    coma = _as_bool(payload.get("coma", False), "coma")
    dementia = _as_bool(payload.get("diagnosed_dementia_or_mental_disorder", False),
                        "diagnosed_dementia_or_mental_disorder")
    risk_events = _as_int(payload.get("risk_events_30d", 0), "risk_events_30d")
    if risk_events < 0:
        raise ScoringError("risk_events_30d 不能为负数")
    if coma and items["B.3.9"] != 0:
        raise ScoringError("coma 为 true 时，条目 B.3.9 意识水平应为 0（昏睡或昏迷）", item="B.3.9")

    dimensions = {d.code: 0 for d in DIMENSIONS}
    for code, value in items.items():
        dimensions[code[:3]] += value
    total = sum(dimensions.values())
    prelim = preliminary_level(total)
    level = prelim
    applied: list[str] = []
    if coma and rules.coma_to_level_4:
        applied.append("coma")
        level = 4
    else:
        ups = []
        if dementia and rules.dementia_up:
            ups.append("dementia_or_mental_disorder")
        if risk_events >= rules.risk_events_threshold:
            ups.append("risk_events_30d")
        applied.extend(ups)
        if ups:
            level += len(ups) if rules.combine == "each" else 1
        if level > 4:
            level = 4
            applied.append("capped_at_4")
    return Result(dimensions=dimensions, total=total, preliminary_level=prelim, level=level, rules_applied=applied)

"""Invented people for the demo and the benchmarks: plausible Chinese names, valid ID
check digits, phone numbers from one reserved-looking range (170-0xxx-xxxx), invented
addresses. Deterministic for a given seed. Nobody here is real.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence

from yiyang.core.identifiers import id_check_char

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔")
GIVEN_F = "秀英 桂英 秀兰 玉兰 桂兰 秀珍 凤英 玉珍 玉梅 淑珍 丽华 美华 素芬 月娥 金凤 桂芳 惠珍 巧云 爱华 淑英 瑞英 翠华 佩玲 少芳 碧云 丽珍 雪梅 惠芬 美玲 玉琴".split()
GIVEN_M = "建国 建华 国庆 国强 志强 卫东 永明 德华 振华 家明 志明 伟民 长生 福生 金水 树林 文华 广荣 锦辉 炳坤 耀祖 汉生 冠雄 启明 志刚 立新 庆华 宝山 海生 荣发".split()
ESTATES = "榕树 梅林一村 彩田 景蜜 莲花北 百花 园岭新村 华富 通新岭 福民 岗厦 沙头 上沙 下沙 新洲 石厦 益田 福保 皇岗 香蜜 侨香 安托山 红荔 华强 燕南 荔村 田面 笋岗 八卦岭 黄木岗".split()
# Address codes of birthplaces (GB/T 2260): mostly Shenzhen and Guangdong, some from elsewhere.
BIRTH_AREAS = ("440304", "440303", "440305", "440306", "440106", "440104", "445102", "441302", "440512",
               "441402", "430104", "360102", "350203", "510104", "420106", "330106", "450103", "431002")
CATEGORY_WEIGHTS = (("低保", 0.05), ("低保边缘", 0.03), ("特困供养", 0.01), ("重度残疾", 0.04),
                    ("计划生育特殊家庭", 0.02), ("孤寡", 0.02), ("经济困难", 0.08), ("退役军人", 0.05),
                    ("失能", 0.06), ("失智", 0.03))
LIVING = (("独居", 0.14), ("空巢", 0.30), ("留守", 0.03), ("与子女同住", 0.42), ("与其他亲属同住", 0.06),
          ("入住养老机构", 0.02), ("其他", 0.03))
RELATIONS = ("儿子", "女儿", "儿媳", "女婿", "配偶", "孙子", "侄女", "邻居")
HEADER = ["姓名", "身份证号", "联系电话", "社区代码", "居住地址", "居住情况", "人员类别", "紧急联系人", "紧急联系人电话",
          "经济状况"]


ECONOMIC = {"特困供养", "低保", "低保边缘", "经济困难", "extreme_poverty", "subsistence", "near_subsistence", "low_income"}


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    x = rng.random()
    acc = 0.0
    for value, w in weighted:
        acc += w
        if x < acc:
            return value
    return weighted[-1][0]


def synthetic_id(rng: random.Random, birth: dt.date, sex: str, seq: int) -> str:
    area = rng.choice(BIRTH_AREAS)
    order = (seq % 500) * 2 + (1 if sex == "M" else 0)  # 17th digit odd for men
    first17 = f"{area}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def synthetic_elder_rows(
    n: int, *, seed: int, communities: Sequence[tuple[str, str]], today: dt.date | None = None
) -> Iterator[list[str]]:
    """Rows in the import format (HEADER). ``communities`` = [(code, street name)].
    ID numbers are unique within one call: a (birth date, sequence) pair is never reused."""
    rng = random.Random(seed)
    today = today or dt.date.today()  # noqa: DTZ011 - invented data; any local day will do
    # (birth date, sequence) pairs already given, as one int each (birth ordinal * 500 + seq):
    # a million tuples of date objects would cost ~100 MB more for the same answer.
    # The ID is area + birth date + order (2 * seq + sex bit) + check digit, so a pair never
    # given twice means an ID never given twice, whatever the area. A full day (all 500
    # sequences taken) spills over to the day before.
    used: set[int] = set()
    for i in range(n):
        age = min(105, 60 + int(rng.expovariate(1 / 12)))
        # age * 365 days alone falls short of `age` calendar years by the leap days in
        # between (a "60-year-old" would be 59); age // 4 + 1 more days always covers them.
        birth = today - dt.timedelta(days=age * 365 + age // 4 + 1 + rng.randrange(365))
        sex = "F" if rng.random() < 0.55 else "M"
        seq = rng.randrange(500)
        while (key := birth.toordinal() * 500 + seq) in used:
            seq = (seq + 1) % 500
            if seq == 0:
                birth -= dt.timedelta(days=1)
        used.add(key)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_F if sex == "F" else GIVEN_M)
        code, street = communities[i % len(communities)] if rng.random() < 0.5 else rng.choice(communities)
        address = f"深圳市福田区{street}{rng.choice(ESTATES)}{rng.randint(1, 40)}栋{rng.randint(1, 32):02d}{rng.randint(1, 8):02d}房"
        living = _pick(rng, LIVING)
        cats = [c for c, p in CATEGORY_WEIGHTS if rng.random() < p]
        phone = f"1700{rng.randrange(10_000_000):07d}" if rng.random() < 0.85 else ""
        contact = contact_phone = ""
        if rng.random() < 0.8:
            contact = rng.choice(SURNAMES) + rng.choice(GIVEN_F + GIVEN_M)
            contact_phone = f"1700{rng.randrange(10_000_000):07d}"
        # 经济状况: those without a difficulty category are mostly checked as 非经济困难, the rest
        # left 未知 (chosen from i, not the generator, so the other columns stay as they were).
        economic = "" if set(cats) & ECONOMIC or (i * 7919) % 10 >= 6 else "非经济困难"
        yield [name, synthetic_id(rng, birth, sex, seq), phone, code, address, living, "、".join(cats), contact,
               contact_phone, economic]

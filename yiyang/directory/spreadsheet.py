"""A bureau's list of institutions as a spreadsheet (.xlsx or .csv) → HSDS service objects →
the same all-or-nothing import. Columns are named in Chinese; the words a clerk writes are
accepted (养老院, 日照中心, 普惠, 是); each problem names the row and the column."""

from __future__ import annotations

import io
import uuid
from typing import Any

from yiyang.core.exceptions import ApplicationError
from yiyang.directory.hsds import (
    TAXONOMY_FEATURE,
    TAXONOMY_KIND,
    TAXONOMY_NEED,
    TAXONOMY_OWNERSHIP,
    TAXONOMY_RATING,
    TAXONOMY_REGION,
)
from yiyang.directory.models import Service
from yiyang.directory.services import ImportResult, directory_import
from yiyang.regions.models import Region

COLUMNS = ["机构名称", "服务名称", "类型", "所属社区", "地址", "纬度", "经度", "电话", "服务需求", "机构类型",
           "床位数", "护理型床位数", "空余床位", "医养结合", "星级", "收费说明"]
REQUIRED = ["机构名称", "类型", "所属社区", "地址", "纬度", "经度"]
KIND_WORDS = {
    "institution": ["养老机构", "养老院", "敬老院", "福利院", "护理院", "颐养院"],
    "day_care": ["社区日间照料中心", "日间照料中心", "日照中心", "日间照料"],
    "canteen": ["长者饭堂/助餐点", "长者饭堂", "助餐点", "老年食堂", "社区食堂"],
    "home_care": ["居家定点服务机构", "居家养老服务机构", "居家服务", "居家养老服务站"],
    "home_visit": ["上门服务"],
    "volunteer_team": ["志愿服务队", "志愿者队伍"],
    "consultant_point": ["养老顾问点"],
}
OWNERSHIP_WORDS = {"public_guarantee": ["兜底", "兜底保障型", "公办"], "inclusive": ["普惠", "普惠型"],
                   "market": ["市场", "市场型", "民办"]}
_KIND = {w: k for k, words in KIND_WORDS.items() for w in [k, *words]}
_OWNERSHIP = {w: k for k, words in OWNERSHIP_WORDS.items() for w in [k, *words]}


def _attr(taxonomy: str, code: str) -> dict[str, Any]:
    return {"taxonomy_term": {"taxonomy": taxonomy, "code": code}}


def institutions_import(data: bytes, file_name: str, *, actor: Any = None, dry_run: bool = False) -> ImportResult:
    from yiyang.elders.importing import read_table
    from yiyang.surveys.selectors import need_tag_names

    result = ImportResult()
    try:
        rows = list(read_table(data, file_name))
    except ApplicationError as exc:
        result.errors.append(exc.message)
        return result
    if not rows:
        result.errors.append("文件是空的")
        return result
    header = {str(h or "").strip().replace("*", ""): i for i, h in enumerate(rows[0][1])}
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        result.errors.append(f"缺少必填列：{'、'.join(missing)}（表头应为：{','.join(COLUMNS)}）")
        return result
    communities = {r.code: r for r in Region.objects.filter(level=Region.Level.COMMUNITY, active=True)}
    by_name: dict[str, list[str]] = {}
    for r in communities.values():
        by_name.setdefault(r.name, []).append(r.code)
    needs = {name: code for code, name in need_tag_names().items()} | {c: c for c in need_tag_names()}
    objects, labels = [], []
    facts: dict[str, tuple[int | None, int | None]] = {}
    for n, cells in rows[1:]:
        def cell(col: str, cells: list[Any] = cells) -> str:
            i = header.get(col)
            v = cells[i] if i is not None and i < len(cells) else None
            return "" if v is None else str(v).strip()

        if not any(str(c or "").strip() for c in cells):
            continue
        label = f"第{n}行"
        bad = []
        kind = _KIND.get(cell("类型"))
        if kind is None:
            bad.append(f"类型：“{cell('类型')[:20]}”不是可选的类型（如 养老院、日间照料中心、长者饭堂、居家服务、养老顾问点）")
        place = cell("所属社区")
        code = place if place in communities else None
        if code is None:
            found = by_name.get(place, [])
            if len(found) == 1:
                code = found[0]
            else:
                bad.append(f"所属社区：“{place[:20]}”" + ("重名，请写12位社区代码" if found else "不是本系统的社区名称或代码"))
        try:
            lat, lon = float(cell("纬度")), float(cell("经度"))
        except ValueError:
            bad.append("纬度、经度：应为数字（如 22.54、114.05）")
            lat = lon = 0.0
        tags = []
        for word in (w for w in cell("服务需求").replace("，", "、").replace(",", "、").split("、") if w.strip()):
            if word.strip() not in needs:
                bad.append(f"服务需求：“{word.strip()[:20]}”不是需求标签（可填：{'、'.join(need_tag_names().values())}）")
            else:
                tags.append(needs[word.strip()])
        attributes = [_attr(TAXONOMY_KIND, kind or ""), *(_attr(TAXONOMY_NEED, t) for t in dict.fromkeys(tags))]
        if cell("机构类型"):
            ownership = _OWNERSHIP.get(cell("机构类型"))
            if ownership is None:
                bad.append("机构类型：应为 兜底、普惠 或 市场")
            else:
                attributes.append(_attr(TAXONOMY_OWNERSHIP, ownership))
        if cell("医养结合") in ("是", "有", "Y", "y", "1"):
            attributes.append(_attr(TAXONOMY_FEATURE, "medical_integration"))
        if cell("星级"):
            attributes.append(_attr(TAXONOMY_RATING, cell("星级").replace("星", "").replace("级", "")))
        capacities = []
        try:
            beds = int(float(cell("床位数"))) if cell("床位数") else None
            nursing = int(float(cell("护理型床位数"))) if cell("护理型床位数") else None
            free = int(float(cell("空余床位"))) if cell("空余床位") else None
        except ValueError:
            bad.append("床位数、护理型床位数、空余床位：应为整数")
            beds = nursing = free = None
        if free is not None:
            capacities.append({"unit": "床位", "available": free, "maximum": beds})
        if bad:
            result.errors += [f"{label} {b}" for b in bad]
            continue
        org = cell("机构名称")
        sid = str(uuid.uuid4())
        facts[sid] = (beds, nursing)
        obj: dict[str, Any] = {
            "id": sid, "name": cell("服务名称") or org, "status": "active", "fees_description": cell("收费说明"),
            "phones": [{"number": cell("电话")}] if cell("电话") else [],
            "organization": {"name": org, "attributes": [_attr(TAXONOMY_REGION, code or "")]},
            "service_at_locations": [{"location": {"name": cell("服务名称") or org, "latitude": lat, "longitude": lon,
                                                   "addresses": [{"address_1": cell("地址")}],
                                                   "attributes": [_attr(TAXONOMY_REGION, code or "")]}}],
            "capacities": capacities, "attributes": attributes,
        }
        objects.append(obj)
        labels.append(label)
    if result.errors:
        return result
    out = directory_import(objects, actor=actor, dry_run=dry_run, source="spreadsheet", labels=labels)
    if out.committed:  # beds and 护理型床位 have no HSDS field: written on the services just made
        for sid, (beds, nursing) in facts.items():
            Service.objects.filter(pk=sid).update(beds=beds, nursing_beds=nursing)
    return out


def institutions_template() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "服务机构名单"
    ws.append(COLUMNS)
    ws.append(["深圳市福田区颐康养老服务有限公司", "颐康养老院", "养老院", "梅京社区", "深圳市福田区梅林路1号", 22.5431,
               114.0601, "0755-83000000", "生活照料、康复护理、助餐", "普惠", 120, 80, 6, "是", 4, "床位费每月4200元起"])
    help_ = wb.create_sheet("填写说明")
    for line in (("必填", "、".join(REQUIRED)), ("类型", "；".join(f"{w[0]}（也可写{'、'.join(w[1:])}）" if len(w) > 1 else w[0]
                                                            for w in KIND_WORDS.values())),
                 ("所属社区", "社区名称（重名时写12位社区代码）"), ("纬度、经度", "小数，如 22.5431、114.0601"),
                 ("服务需求", "用顿号分隔：生活照料、助餐、助浴、助洁、助行、助医、助急、康复护理、精神慰藉等"),
                 ("机构类型", "兜底、普惠 或 市场（养老机构填写）"), ("导入规则", "文件中只要有一处错误，就不会导入任何一行。")):
        help_.append(list(line))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

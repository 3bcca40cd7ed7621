"""The resource directory (资源目录, DESIGN §3 D): who offers which elderly-care service where,
when, at what price and with how many free places — aligned with Open Referral HSDS 3.1
(organization, service, location, service_at_location, schedule, cost_option,
service_capacity, contact, service_area; taxonomy terms through attributes).

A service's need tags are the needs survey's codes (``meals``, ``bathing``…, the taxonomy
``yiyang-need``): matching reads an elder's needs and these in the same words. Organisations'
places, phones and prices are public information, not personal data; nothing here is encrypted.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core.text import LINE_MAX, NAME_MAX, NOTE_MAX, SHORT_MAX

TITLE_MAX = 120  # an organisation's or a service's name


class Organization(models.Model):
    """HSDS ``organization``: the provider (养老机构的运营方、社工机构、街道…)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("机构名称"), max_length=TITLE_MAX)
    alternate_name = models.CharField(_("简称"), max_length=TITLE_MAX, blank=True)
    description = models.TextField(_("简介"), max_length=NOTE_MAX, blank=True)
    legal_status = models.CharField(_("性质"), max_length=SHORT_MAX * 2, blank=True,
                                    help_text=_("例如：事业单位、民办非企业单位、企业"))
    email = models.EmailField(_("电子邮箱"), max_length=LINE_MAX, blank=True)
    website = models.URLField(_("网址"), max_length=LINE_MAX, blank=True)
    phone = models.CharField(_("联系电话"), max_length=SHORT_MAX * 2, blank=True)
    # Where it is registered: jurisdiction over its data (a street admin keeps its street's).
    region = models.ForeignKey("regions.Region", verbose_name=_("所在社区"), on_delete=models.PROTECT,
                               db_column="region_code", related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("服务机构")
        verbose_name_plural = _("服务机构")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """HSDS ``service``, with the facts of Chinese elderly care that HSDS leaves to attributes."""

    class Kind(models.TextChoices):
        INSTITUTION = "institution", _("养老机构")
        DAY_CARE = "day_care", _("社区日间照料中心")
        CANTEEN = "canteen", _("长者饭堂/助餐点")
        HOME_CARE = "home_care", _("居家定点服务机构")
        HOME_VISIT = "home_visit", _("上门服务")
        VOLUNTEER_TEAM = "volunteer_team", _("志愿服务队")
        CONSULTANT_POINT = "consultant_point", _("养老顾问点")

    class Status(models.TextChoices):  # HSDS 3.1 service.status
        ACTIVE = "active", _("正常服务")
        TEMPORARILY_CLOSED = "temporarily closed", _("暂停服务")
        INACTIVE = "inactive", _("停止服务")
        DEFUNCT = "defunct", _("已撤销")

    class Ownership(models.TextChoices):  # 养老机构的类型
        PUBLIC_GUARANTEE = "public_guarantee", _("兜底保障型")
        INCLUSIVE = "inclusive", _("普惠型")
        MARKET = "market", _("市场型")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="services")
    name = models.CharField(_("服务名称"), max_length=TITLE_MAX)
    alternate_name = models.CharField(_("别名"), max_length=TITLE_MAX, blank=True)
    description = models.TextField(_("服务内容"), max_length=NOTE_MAX, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Denormalised from the organisation for the jurisdiction filter and the community search.
    region = models.ForeignKey("regions.Region", verbose_name=_("所在社区"), on_delete=models.PROTECT,
                               db_column="region_code", related_name="+")
    phone = models.CharField(_("服务电话"), max_length=SHORT_MAX * 2, blank=True)
    email = models.EmailField(_("电子邮箱"), max_length=LINE_MAX, blank=True)
    url = models.URLField(_("网址"), max_length=LINE_MAX, blank=True)
    application_process = models.CharField(_("如何申请"), max_length=LINE_MAX * 2, blank=True)
    fees_description = models.CharField(_("收费说明"), max_length=LINE_MAX * 2, blank=True)
    eligibility_description = models.CharField(_("服务对象"), max_length=LINE_MAX * 2, blank=True)
    minimum_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True,
                                                   validators=[MaxValueValidator(120)])
    # GB/T 42195 能力等级 0–4 the service takes (an institution's 护理型床位 want ≥ 2…).
    min_level = models.PositiveSmallIntegerField(_("最低能力等级"), null=True, blank=True,
                                                 validators=[MaxValueValidator(4)])
    max_level = models.PositiveSmallIntegerField(_("最高能力等级"), null=True, blank=True,
                                                 validators=[MaxValueValidator(4)])
    # 养老机构 only.
    ownership = models.CharField(_("机构类型"), max_length=20, choices=Ownership.choices, blank=True)
    beds = models.PositiveIntegerField(_("床位数"), null=True, blank=True)
    nursing_beds = models.PositiveIntegerField(_("护理型床位数"), null=True, blank=True)
    medical_integration = models.BooleanField(_("医养结合"), default=False)
    star_rating = models.PositiveSmallIntegerField(
        _("星级"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("养老机构等级评定（1–5星）"))
    # Data a provider has not confirmed for YIYANG_DIRECTORY_STALE_DAYS is shown as possibly
    # out of date (selectors.stale_before).
    confirmed_at = models.DateTimeField(_("信息确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("服务")
        verbose_name_plural = _("服务")
        ordering = ["name"]
        indexes = [models.Index(fields=["status", "kind"], name="service_status_kind"),
                   models.Index(fields=["region", "status"], name="service_region_status")]
        constraints = [models.CheckConstraint(
            condition=models.Q(min_level__isnull=True) | models.Q(max_level__isnull=True)
            | models.Q(min_level__lte=models.F("max_level")), name="service_level_range")]

    def __str__(self) -> str:
        return self.name


class ServiceNeed(models.Model):
    """A need the service meets: a need-tag code of the needs survey (taxonomy ``yiyang-need``)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="needs")
    need = models.CharField(_("需求标签"), max_length=40)

    class Meta:
        verbose_name = _("服务对应的需求")
        verbose_name_plural = _("服务对应的需求")
        constraints = [models.UniqueConstraint(fields=["service", "need"], name="serviceneed_unique")]
        indexes = [models.Index(fields=["need", "service"], name="serviceneed_need_service")]

    def __str__(self) -> str:
        return self.need


class Location(models.Model):
    """HSDS ``location`` (a physical place). Coordinates of a provider's premises are public."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="locations")
    name = models.CharField(_("场所名称"), max_length=TITLE_MAX)
    address = models.CharField(_("地址"), max_length=LINE_MAX)
    region = models.ForeignKey("regions.Region", verbose_name=_("所在社区"), on_delete=models.PROTECT,
                               db_column="region_code", related_name="+")
    latitude = models.FloatField(_("纬度"))
    longitude = models.FloatField(_("经度"))
    # The 0.01° square the place is in (``tile_of``), kept on save and copied into matching's
    # candidate rows (``MatchCandidate.tile``), whose index reads the squares around an elder as
    # a few ranges instead of a latitude band across the whole city. Not indexed here: no query
    # reads places by square.
    tile = models.BigIntegerField(_("网格"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("服务场所")
        verbose_name_plural = _("服务场所")
        ordering = ["name"]
        # The nearest-first search reads a latitude band then the longitudes in it.
        indexes = [models.Index(fields=["latitude", "longitude"], name="location_lat_lon")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.tile = tile_of(self.latitude, self.longitude)
        if kwargs.get("update_fields") is not None and {"latitude", "longitude"} & set(kwargs["update_fields"]):
            kwargs["update_fields"] = {*kwargs["update_fields"], "tile"}
        super().save(*args, **kwargs)


TILE_ROW = 100_000  # tile = floor(latitude × 100) × TILE_ROW + floor(longitude × 100)


def tile_of(latitude: float, longitude: float) -> int:
    """The 0.01° square (≈ 1.1 km × 1.0 km in 深圳) of a point, as one integer: squares of one
    latitude row are consecutive, so a box is one index range per row."""
    return math.floor(latitude * 100) * TILE_ROW + math.floor(longitude * 100)


def tile_ranges(lat0: float, lat1: float, lon0: float, lon1: float) -> list[tuple[int, int]]:
    """The index ranges of ``tile`` covering a box (one per row of squares)."""
    c0, c1 = math.floor(lon0 * 100), math.floor(lon1 * 100)
    return [(r * TILE_ROW + c0, r * TILE_ROW + c1) for r in range(math.floor(lat0 * 100), math.floor(lat1 * 100) + 1)]


class ServiceAtLocation(models.Model):
    """HSDS ``service_at_location``: a service offered at a location."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="services_here")

    class Meta:
        verbose_name = _("服务所在场所")
        verbose_name_plural = _("服务所在场所")
        constraints = [models.UniqueConstraint(fields=["service", "location"], name="sal_unique")]
        indexes = [models.Index(fields=["location", "service"], name="sal_location_service")]

    def __str__(self) -> str:
        return f"{self.service_id} @ {self.location_id}"


class MatchCandidate(models.Model):
    """What matching reads (匹配候选): one row per active service, need tag and place, with the
    service's facts that score it copied in — so one range of one index, (need, door, tile),
    returns only the rows to score, instead of visiting place → service → need → free places →
    prices for every place around. Kept by ``candidates.candidates_refresh`` from every path
    that writes a service, its needs, places, prices or places free (the import, a provider's
    edit, the admin, the demo); ``yiyang directory candidates --check`` compares it with a
    rebuild. Not a source of truth: it can always be rebuilt from the tables above."""

    class Capacity(models.IntegerChoices):
        UNREPORTED = 0, _("未登记")
        NONE_FREE = 1, _("没有空余")
        FREE = 2, _("有空余")

    id = models.BigAutoField(primary_key=True)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", db_index=False)
    need = models.CharField(_("需求标签"), max_length=40)
    door = models.BooleanField(_("上门服务"))
    tile = models.BigIntegerField(_("网格"), null=True)  # the place's 0.01° square; null: no place
    latitude = models.FloatField(_("纬度"), null=True)
    longitude = models.FloatField(_("经度"), null=True)
    region_code = models.CharField(_("所在社区"), max_length=12)
    kind = models.CharField(_("类型"), max_length=20)
    minimum_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True)
    min_level = models.PositiveSmallIntegerField(_("最低能力等级"), null=True)
    max_level = models.PositiveSmallIntegerField(_("最高能力等级"), null=True)
    star_rating = models.PositiveSmallIntegerField(_("星级"), null=True)
    confirmed_at = models.DateTimeField(_("信息确认时间"), null=True)
    ownership = models.CharField(_("机构类型"), max_length=20, blank=True)
    capacity = models.PositiveSmallIntegerField(_("空余情况"), choices=Capacity.choices)
    lowest_price = models.DecimalField(_("最低收费（元）"), max_digits=10, decimal_places=2, null=True)
    free = models.BooleanField(_("免费"))

    class Meta:
        verbose_name = _("匹配候选")
        verbose_name_plural = _("匹配候选")
        indexes = [models.Index(fields=["need", "door", "tile"], name="candidate_need_door_tile"),
                   models.Index(fields=["service"], name="candidate_service"),
                   models.Index(fields=["need", "region_code"], name="candidate_need_region")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.need} {self.tile}"


WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
WEEKDAY_NAMES = dict(zip(WEEKDAYS, ["一", "二", "三", "四", "五", "六", "日"], strict=True))


class Schedule(models.Model):
    """HSDS ``schedule`` in its RRULE subset: weekly, on some days, from a time to a time."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="schedules")
    freq = models.CharField(_("频率"), max_length=10, default="WEEKLY", choices=[("WEEKLY", _("每周"))])
    byday = models.CharField(_("星期"), max_length=30, help_text=_("如 MO,TU,WE,TH,FR"))
    opens_at = models.TimeField(_("开始时间"))
    closes_at = models.TimeField(_("结束时间"))
    description = models.CharField(_("说明"), max_length=LINE_MAX, blank=True)

    class Meta:
        verbose_name = _("服务时间")
        verbose_name_plural = _("服务时间")
        ordering = ["service", "id"]

    def __str__(self) -> str:
        days = "、".join("周" + WEEKDAY_NAMES.get(d, d) for d in self.byday.split(",") if d)
        return f"{days} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class CostOption(models.Model):
    """HSDS ``cost_option``: a price (元)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="cost_options")
    option = models.CharField(_("收费项目"), max_length=TITLE_MAX)
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    amount_description = models.CharField(_("计价说明"), max_length=LINE_MAX, blank=True,
                                          help_text=_("例如：每餐、每月、每小时；补贴对象减免"))

    class Meta:
        verbose_name = _("收费标准")
        verbose_name_plural = _("收费标准")
        ordering = ["service", "id"]

    def __str__(self) -> str:
        return self.option


class ServiceCapacity(models.Model):
    """HSDS ``service_capacity``: places now free out of a maximum, in a unit (床位, 餐位…)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="capacities")
    unit = models.CharField(_("单位"), max_length=SHORT_MAX)
    available = models.PositiveIntegerField(_("可用"))
    maximum = models.PositiveIntegerField(_("总数"), null=True, blank=True)
    description = models.CharField(_("说明"), max_length=LINE_MAX, blank=True)
    updated = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("服务容量")
        verbose_name_plural = _("服务容量")
        ordering = ["service", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["service", "unit"], name="capacity_unit_unique"),
            models.CheckConstraint(condition=models.Q(maximum__isnull=True) | models.Q(available__lte=models.F("maximum")),
                                   name="capacity_available_le_maximum"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.available}/{self.maximum or '—'}"


class Contact(models.Model):
    """HSDS ``contact``: a person to ask at the service (a work role, public)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=NAME_MAX)
    title = models.CharField(_("职务"), max_length=NAME_MAX, blank=True)
    phone = models.CharField(_("电话"), max_length=SHORT_MAX * 2, blank=True)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["service", "id"]

    def __str__(self) -> str:
        return self.name


class ServiceArea(models.Model):
    """HSDS ``service_area``: a region a service covers (上门服务、助餐配送的范围)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="areas")
    region = models.ForeignKey("regions.Region", verbose_name=_("服务区域"), on_delete=models.PROTECT,
                               db_column="region_code", related_name="+")

    class Meta:
        verbose_name = _("服务区域")
        verbose_name_plural = _("服务区域")
        constraints = [models.UniqueConstraint(fields=["service", "region"], name="servicearea_unique")]

    def __str__(self) -> str:
        return self.region_id


class OrganizationStaff(models.Model):
    """A provider's staff account keeps its own organisation's data."""

    organization = models.ForeignKey(Organization, verbose_name=_("服务机构"), on_delete=models.CASCADE,
                                     related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.CASCADE,
                             related_name="+")

    class Meta:
        verbose_name = _("机构工作人员")
        verbose_name_plural = _("机构工作人员")
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="orgstaff_unique")]

    def __str__(self) -> str:
        return f"{self.organization} · {self.user}"


class RecommendationLog(models.Model):
    """A list of recommendations as it was shown (matching.log): every candidate with its rank,
    score and factors — so the share each provider gets can be shown and audited."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("查看人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    need = models.CharField(_("需求标签"), max_length=40)
    context = models.CharField(_("场合"), max_length=20, help_text=_("api / elder_page"))
    position = models.CharField(_("距离起点"), max_length=10, help_text=_("home / community / none"))
    items = models.JSONField(_("推荐结果"), default=list)

    class Meta:
        verbose_name = _("推荐记录")
        verbose_name_plural = _("推荐记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} · {self.need}"


class ServiceListBatch(models.Model):
    """Service lists made for every active elder of a region at once, in the background (a
    street or district preparing its 养老服务清单 for all). Its counts are the progress shown;
    each list it made names it, so a run that stopped resumes without making any twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("正在生成")
        DONE = "done", _("已完成")
        FAILED = "failed", _("出错停止")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("老人数"), default=0)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    created = models.PositiveIntegerField(_("已生成清单"), default=0)
    with_services = models.PositiveIntegerField(_("含推荐服务的清单"), default=0)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量生成服务清单")
        verbose_name_plural = _("批量生成服务清单")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.region_code} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else int(100 * self.done / self.total) if self.total else 0


class ServiceList(models.Model):
    """养老服务清单: what an elder may apply for and which services meet her needs, with next
    steps and whom to call — as handed over (printed in large type, or shared with the family by
    a link that expires). Every version is kept; ``content`` is the list as it was handed over."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    version = models.PositiveIntegerField(_("版本"))
    content = models.JSONField(_("内容"), default=dict)
    note = models.TextField(_("说明"), max_length=NOTE_MAX, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("制定人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("制定时间"), auto_now_add=True)
    # The family's link: only a hash of its token is kept; it stops working after the date.
    share_token_hash = models.CharField(_("分享链接（散列）"), max_length=64, blank=True, db_index=True)
    share_expires_at = models.DateTimeField(_("分享链接有效期至"), null=True, blank=True)
    batch = models.ForeignKey(ServiceListBatch, verbose_name=_("批量生成"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="lists")

    class Meta:
        verbose_name = _("养老服务清单")
        verbose_name_plural = _("养老服务清单")
        ordering = ["elder", "-version"]
        constraints = [models.UniqueConstraint(fields=["elder", "version"], name="servicelist_elder_version")]

    def __str__(self) -> str:
        return f"{self.elder_id} v{self.version}"


class Referral(models.Model):
    """转介: one service recommended to one elder, sent to its provider with the elder's consent
    to share her data, answered by the provider, delivered, and checked by the worker at the next
    contact. A closed loop (seed 000 资源链接)."""

    class Status(models.TextChoices):
        SENT = "sent", _("已转介，待机构答复")
        ACCEPTED = "accepted", _("机构已接收")
        DECLINED = "declined", _("机构未接收")
        DELIVERED = "delivered", _("已提供服务")
        CHECKED = "checked", _("已回访核实")
        CANCELLED = "cancelled", _("已撤回")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    service = models.ForeignKey(Service, verbose_name=_("服务"), on_delete=models.PROTECT, related_name="referrals")
    organization = models.ForeignKey(Organization, verbose_name=_("服务机构"), on_delete=models.PROTECT,
                                     related_name="referrals")
    need = models.CharField(_("需求标签"), max_length=40, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.SENT)
    note = models.CharField(_("转介说明"), max_length=500, blank=True)
    response_note = models.CharField(_("机构答复"), max_length=500, blank=True)
    check_note = models.CharField(_("回访核实"), max_length=500, blank=True)
    consent = models.ForeignKey("elders.Consent", verbose_name=_("授权同意"), on_delete=models.PROTECT, related_name="+")
    respond_by = models.DateField(_("答复期限"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("转介人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("转介时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("转介")
        verbose_name_plural = _("转介")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "status"], name="referral_org_status"),
                   models.Index(fields=["status", "respond_by"], name="referral_status_due")]

    def __str__(self) -> str:
        return f"{self.elder_id} → {self.service_id} ({self.status})"

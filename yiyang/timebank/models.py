"""时间银行 (DESIGN §3 G): members, the places and points they serve in, requests and the
services that answer them, the rules of each region, the redemption catalogue — and the
ledger the credits live on.

The ledger is double-entry and append-only. A ``LedgerTransaction`` is one booking with a
category; its ``Entry`` rows are the legs, signed amounts that sum to zero. Nothing in either
table is ever updated or deleted (the database refuses it: migration 0002's triggers); a
mistake is undone by a compensating transaction that names the one it corrects and why.

Each entry is chained to the previous entry of its account by a SHA-256 over every field that
matters (the account, the amount, the running balance, the time, and the transaction's
category, reason, actor and reference): ``ledger.verify`` and ``yiyang verify-ledger`` recompute
it. The account row holds three caches of its entries — the balance, the sequence number and
the hash of the last entry — which the verifier checks against the entries themselves; the
same row is what a booking locks (``SELECT … FOR UPDATE``), so the check of the balance and the
append happen under one lock (docs/timebank.md).

Amounts are integers in hundredths of a credit (1 hour of service = 1 credit = 100 by default).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyang.core import pii
from yiyang.core.models import FieldRecord

CENTS = 100  # amounts are hundredths of a credit


def credits_text(amount: int) -> str:
    """``150`` → ``"1.50"``."""
    sign = "-" if amount < 0 else ""
    amount = abs(int(amount))
    return f"{sign}{amount // CENTS}.{amount % CENTS:02d}"


# --------------------------------------------------------------------------- places


class Estate(models.Model):
    """物业（小区）: the fourth of the five linked levels 区-街道-社区-物业-家庭. The region tree
    ends at the community; an estate is a community's residential compound with its property
    service, where a point often recruits its neighbours. The fifth level, the family, is the
    elder's home (the registry's address and home cell)."""

    name = models.CharField(_("物业小区名称"), max_length=100)
    region = models.ForeignKey("regions.Region", verbose_name=_("所属社区"), on_delete=models.PROTECT,
                               db_column="region_code", related_name="+")
    property_company = models.CharField(_("物业服务企业"), max_length=100, blank=True)
    # A point in the estate itself (a 物业服务中心 that runs a time-bank desk): requests posted
    # for the estate are certified there; without one, the community's point (else the street's).
    service_point = models.ForeignKey("stations.ServicePoint", verbose_name=_("小区时间银行服务点"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("物业小区")
        verbose_name_plural = _("物业小区")
        ordering = ["region_id", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="estate_region_name")]

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------- members


class AgeGroup(models.TextChoices):
    YOUNG = "young", _("青年（18–44岁）")
    MIDDLE = "middle", _("中年（45–59岁）")
    OLD = "old", _("老年（60岁及以上）")


def age_group_of(age: int) -> str:
    if age >= 60:
        return AgeGroup.OLD
    if age >= 45:
        return AgeGroup.MIDDLE
    return AgeGroup.YOUNG


class VolunteerStatus(models.TextChoices):
    NONE = "none", _("非志愿者")
    APPLIED = "applied", _("待服务点审核")
    POINT_APPROVED = "point_approved", _("待平台审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")
    SUSPENDED = "suspended", _("已暂停")


class Member(FieldRecord):
    """A person of the time bank: a volunteer, an elder who is served or redeems, a family
    member who posts for a parent — one row, whatever they do, with one account. The
    real-name check is the registry's: the ID number's check character (GB 11643), from which
    the birth date, the age and the age group (老中青) follow."""

    name = models.CharField(_("姓名"), max_length=50)
    id_number_enc = models.BinaryField(_("身份证号（密文）"))
    id_number_bidx = models.CharField(_("身份证号索引"), max_length=32, unique=True)
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1)
    phone_enc = models.BinaryField(_("联系电话（密文）"), null=True, blank=True)
    phone_bidx = models.CharField(_("联系电话索引"), max_length=32, blank=True, db_index=True)
    region = models.ForeignKey("regions.Region", verbose_name=_("所属社区"), on_delete=models.PROTECT,
                               db_column="region_code", related_name="+")
    estate = models.ForeignKey(Estate, verbose_name=_("物业小区"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="members")
    service_point = models.ForeignKey("stations.ServicePoint", verbose_name=_("登记服务点"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("登录账号"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="timebank_member")
    # The registry's record when the member is a registered elder (a younger elder who serves,
    # an elder who redeems): linked, never copied.
    elder = models.OneToOneField("elders.Elder", verbose_name=_("老年人档案"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="timebank_member")
    # Where the volunteer usually sets out from: the ≈200 m cell only (core.geo), for "nearby".
    home_cell = models.CharField(_("常住网格"), max_length=20, blank=True)
    volunteer_status = models.CharField(_("志愿者审核状态"), max_length=20, choices=VolunteerStatus.choices,
                                        default=VolunteerStatus.NONE)
    skills = models.CharField(_("特长"), max_length=200, blank=True)
    point_reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("服务点审核人"), null=True,
                                          blank=True, on_delete=models.PROTECT, related_name="+")
    point_reviewed_at = models.DateTimeField(_("服务点审核时间"), null=True, blank=True)
    platform_reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("平台审核人"), null=True,
                                             blank=True, on_delete=models.PROTECT, related_name="+")
    platform_reviewed_at = models.DateTimeField(_("平台审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=200, blank=True)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("时间银行成员")
        verbose_name_plural = _("时间银行成员")
        indexes = [models.Index(fields=["region", "volunteer_status"], name="tb_member_region_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return pii.mask_id_number(pii.decrypt(self.id_number_enc, "timebank.id_number"))

    @property
    def phone_masked(self) -> str:
        return pii.mask_phone(pii.decrypt(self.phone_enc, "timebank.phone")) if self.phone_enc else ""

    def age_on(self, day: dt.date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    @property
    def age(self) -> int:
        from django.utils import timezone

        return self.age_on(timezone.localdate())

    @property
    def age_group(self) -> str:
        return age_group_of(self.age)

    @property
    def age_group_label(self) -> str:
        return str(AgeGroup(self.age_group).label)

    @property
    def is_volunteer(self) -> bool:
        return self.volunteer_status == VolunteerStatus.APPROVED


class Team(models.Model):
    """A volunteer team (志愿服务队): its members serve in its name, and its hours go to the
    team's account — which, by default, may only donate (Nanjing's rule)."""

    name = models.CharField(_("团队名称"), max_length=100)
    region = models.ForeignKey("regions.Region", verbose_name=_("所属区域"), on_delete=models.PROTECT,
                               db_column="region_code", related_name="+")
    service_point = models.ForeignKey("stations.ServicePoint", verbose_name=_("登记服务点"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    leader = models.ForeignKey(Member, verbose_name=_("负责人"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    members = models.ManyToManyField(Member, verbose_name=_("成员"), blank=True, related_name="teams")
    approved = models.BooleanField(_("已审核"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("志愿服务团队")
        verbose_name_plural = _("志愿服务团队")
        ordering = ["region_id", "name"]

    def __str__(self) -> str:
        return self.name


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("配偶")
    PARENT = "parent", _("父母")
    CHILD = "child", _("子女")
    SIBLING = "sibling", _("兄弟姐妹")
    GRANDPARENT = "grandparent", _("祖父母、外祖父母")
    GRANDCHILD = "grandchild", _("孙子女、外孙子女")
    OTHER = "other", _("其他亲属")


class Kinship(models.Model):
    """A relative of a member, verified by staff (户口簿、结婚证…): whom credits may be
    transferred to, and whom a volunteer may not serve for credit (self-dealing)."""

    member = models.ForeignKey(Member, verbose_name=_("成员"), on_delete=models.CASCADE, related_name="kin")
    relative = models.ForeignKey(Member, verbose_name=_("亲属"), on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(_("关系"), max_length=20, choices=Relation.choices)
    evidence = models.CharField(_("核验凭据"), max_length=200, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核验人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("亲属关系")
        verbose_name_plural = _("亲属关系")
        constraints = [models.UniqueConstraint(fields=["member", "relative"], name="kinship_pair")]

    def __str__(self) -> str:
        return f"{self.member} → {self.relative}（{self.get_relation_display()}）"


class FamilyLink(models.Model):
    """A family member of an elder in the registry, who may post requests for them and follow
    them — only while the elder's consent (``Consent.Purpose.FAMILY_PROXY``) is in force."""

    member = models.ForeignKey(Member, verbose_name=_("家属"), on_delete=models.CASCADE, related_name="family_links")
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(_("关系"), max_length=20, choices=Relation.choices)
    consent = models.ForeignKey("elders.Consent", verbose_name=_("授权同意"), on_delete=models.PROTECT,
                                related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("家属关联")
        verbose_name_plural = _("家属关联")
        constraints = [models.UniqueConstraint(fields=["member", "elder"], name="familylink_pair")]

    def __str__(self) -> str:
        return f"{self.member} → {self.elder}（{self.get_relation_display()}）"


# --------------------------------------------------------------------------- rules


class RegionRule(models.Model):
    """The time-bank rules of a region node (a district, a street, a community). The rules of
    a place are those of its nearest node that has a row; where no node has one, the defaults
    of ``rules.DEFAULTS`` (domain/reference.md §6) apply. There is no cash-out rule: credits are
    never paid out in money, in any region."""

    class Scope(models.TextChoices):
        COMMUNITY = "community", _("本社区")
        STREET = "street", _("本街道")
        DISTRICT = "district", _("本区")
        CITY = "city", _("本市")
        ANY = "any", _("通存通兑（不限地区）")

    region = models.OneToOneField("regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT,
                                  db_column="region_code", related_name="+")
    credits_per_hour = models.PositiveIntegerField(_("每小时积分（百分之一）"), default=100,
                                                   help_text=_("100 表示 1 小时 = 1 时间币"))
    volunteer_min_age = models.PositiveSmallIntegerField(_("志愿者最低年龄"), default=18)
    redeem_min_age = models.PositiveSmallIntegerField(_("兑换最低年龄"), default=60)
    storage_cap = models.PositiveIntegerField(_("储存上限（百分之一积分，0 为不设上限）"), default=150000)
    allow_transfer = models.BooleanField(_("可转赠经核验的亲属"), default=True)
    allow_donation = models.BooleanField(_("可捐赠至爱心池"), default=True)
    team_only_donate = models.BooleanField(_("团队时长只能捐赠"), default=True)
    exchange_scope = models.CharField(_("兑换范围"), max_length=12, choices=Scope.choices, default=Scope.DISTRICT,
                                      help_text=_("在地兑换优先；更大范围即通存通兑"))
    accept_exchange = models.BooleanField(_("接受外地积分兑换"), default=True)
    max_session_minutes = models.PositiveIntegerField(_("单次服务时长上限（分钟）"), default=480)
    max_daily_minutes = models.PositiveIntegerField(_("每日服务时长上限（分钟）"), default=720)
    far_checkin_m = models.PositiveIntegerField(_("签到距离预警（米）"), default=500)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("时间银行规则")
        verbose_name_plural = _("时间银行规则")

    def __str__(self) -> str:
        return str(self.region)


# --------------------------------------------------------------------------- requests and services


class ServiceKind(models.TextChoices):
    MEAL = "meal", _("助餐")
    CLEANING = "cleaning", _("助洁")
    ESCORT = "escort", _("陪同就医")
    SHOPPING = "shopping", _("代购代办")
    COMPANY = "company", _("聊天陪伴")
    REPAIR = "repair", _("小修小补")
    DIGITAL = "digital", _("智能手机教学")
    CULTURE = "culture", _("文体活动")
    OTHER = "other", _("其他")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("待接单")
    TAKEN = "taken", _("已接单")
    IN_SERVICE = "in_service", _("服务中")
    DONE = "done", _("待评价")
    RATED = "rated", _("待认证")
    CERTIFIED = "certified", _("已认证")
    CANCELLED = "cancelled", _("已取消")
    REJECTED = "rejected", _("认证未通过")


class PostedAs(models.TextChoices):
    ELDER = "elder", _("老人本人")
    FAMILY = "family", _("家属代发")
    WORKER = "worker", _("工作人员代发")


class ServiceRequest(FieldRecord):
    """需求发布 → 服务接单 → 签到/签退 → 服务评单 → 服务认证: one request and the service that
    answers it. Its place is the elder's community (``region_code``), estate and home; the
    point that certifies is the community's time-bank point."""

    elder = models.ForeignKey("elders.Elder", verbose_name=_("服务对象"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    estate = models.ForeignKey(Estate, verbose_name=_("物业小区"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    service_point = models.ForeignKey("stations.ServicePoint", verbose_name=_("认证服务点"),
                                      on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("服务类型"), max_length=20, choices=ServiceKind.choices)
    description = models.CharField(_("需求说明"), max_length=500)
    wanted_at = models.DateTimeField(_("期望服务时间"))
    expected_minutes = models.PositiveIntegerField(_("预计时长（分钟）"), default=60)
    posted_as = models.CharField(_("发布方式"), max_length=10, choices=PostedAs.choices)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT,
                                  related_name="+")
    posted_for_member = models.ForeignKey(Member, verbose_name=_("代发家属"), null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    volunteer = models.ForeignKey(Member, verbose_name=_("志愿者"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="services")
    team = models.ForeignKey(Team, verbose_name=_("代表团队"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="services")
    taken_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    checkin_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checkin_cell = models.CharField(_("签到网格"), max_length=20, blank=True)
    checkin_distance_m = models.PositiveIntegerField(_("签到距住址（米）"), null=True, blank=True)
    checkout_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    checkout_cell = models.CharField(_("签退网格"), max_length=20, blank=True)
    minutes = models.PositiveIntegerField(_("服务时长（分钟）"), null=True, blank=True)
    elder_rating = models.PositiveSmallIntegerField(_("老人评分"), null=True, blank=True)
    elder_comment = models.CharField(_("老人评价"), max_length=500, blank=True)
    volunteer_rating = models.PositiveSmallIntegerField(_("志愿者评分"), null=True, blank=True)
    volunteer_comment = models.CharField(_("志愿者评价"), max_length=500, blank=True)
    certified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("认证人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    certified_at = models.DateTimeField(_("认证时间"), null=True, blank=True)
    certified_minutes = models.PositiveIntegerField(_("认证时长（分钟）"), null=True, blank=True)
    booking = models.OneToOneField("LedgerTransaction", verbose_name=_("记账"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    cancel_reason = models.CharField(_("取消/不予认证原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("服务需求")
        verbose_name_plural = _("服务需求")
        indexes = [
            models.Index(fields=["status", "region_code"], name="tb_request_status_region"),
            models.Index(fields=["volunteer", "checkin_at"], name="tb_request_volunteer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.wanted_at:%Y-%m-%d %H:%M}"


class FraudFlag(models.Model):
    """A reason to look twice before certifying: staff clear it or confirm it."""

    class Kind(models.TextChoices):
        SELF_DEALING = "self_dealing", _("为自己的亲属服务")
        OVERLAP = "overlap", _("同一志愿者服务时间重叠")
        IMPLAUSIBLE = "implausible", _("服务时长不合常理")
        FAR_CHECKIN = "far_checkin", _("签到地点远离老人住址")

    class Resolution(models.TextChoices):
        OPEN = "open", _("待核查")
        CLEARED = "cleared", _("核查无误")
        CONFIRMED = "confirmed", _("确认违规")

    request = models.ForeignKey(ServiceRequest, verbose_name=_("服务"), on_delete=models.CASCADE,
                                related_name="flags")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    detail = models.CharField(_("说明"), max_length=200)
    raised_at = models.DateTimeField(_("发现时间"))
    resolution = models.CharField(_("处理结果"), max_length=12, choices=Resolution.choices, default=Resolution.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    note = models.CharField(_("处理说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("异常提示")
        verbose_name_plural = _("异常提示")
        constraints = [models.UniqueConstraint(fields=["request", "kind"], name="fraudflag_once")]

    def __str__(self) -> str:
        return self.get_kind_display()


# --------------------------------------------------------------------------- redemption


class CatalogueItem(models.Model):
    """What credits buy: a service, or a partner's goods where the region allows, priced in
    credits, offered at a point. Never money."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("服务")
        GOODS = "goods", _("合作商家物品")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.SERVICE)
    partner = models.CharField(_("合作方"), max_length=100, blank=True)
    service_point = models.ForeignKey("stations.ServicePoint", verbose_name=_("兑换服务点"),
                                      on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    price = models.PositiveIntegerField(_("所需积分（百分之一）"))
    active = models.BooleanField(_("上架"), default=True)

    class Meta:
        verbose_name = _("兑换目录")
        verbose_name_plural = _("兑换目录")
        ordering = ["region_code", "price"]

    def __str__(self) -> str:
        return f"{self.name}（{credits_text(self.price)}）"

    @property
    def price_text(self) -> str:
        return credits_text(self.price)


class Redemption(models.Model):
    item = models.ForeignKey(CatalogueItem, verbose_name=_("兑换项目"), on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, verbose_name=_("兑换人"), on_delete=models.PROTECT,
                               related_name="redemptions")
    region_code = models.CharField(_("兑换地区划代码"), max_length=12, db_index=True)
    booking = models.OneToOneField("LedgerTransaction", verbose_name=_("记账"), on_delete=models.PROTECT,
                                   related_name="+")
    exchanged = models.BooleanField(_("通存通兑（异地兑换）"), default=False)
    created_at = models.DateTimeField(_("兑换时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")

    def __str__(self) -> str:
        return f"{self.member} · {self.item}"


# --------------------------------------------------------------------------- the ledger


class Account(models.Model):
    """An account of the ledger. Holders' accounts (a person, a team, a region's donation
    pool) never go below zero. A service point's account is the issuing side: certifying a
    service books credits from it to the volunteer, redeeming at the point books them back, so
    its balance is minus the credits it has put out and not yet taken back — negative by
    design, and the sum over all accounts is always zero."""

    class Kind(models.TextChoices):
        PERSON = "person", _("个人")
        TEAM = "team", _("团队")
        POINT = "point", _("服务点")
        POOL = "pool", _("爱心池")

    NON_NEGATIVE = (Kind.PERSON, Kind.TEAM, Kind.POOL)

    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    member = models.OneToOneField(Member, verbose_name=_("成员"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="account")
    team = models.OneToOneField(Team, verbose_name=_("团队"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="account")
    service_point = models.OneToOneField("stations.ServicePoint", verbose_name=_("服务点"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="timebank_account")
    name = models.CharField(_("名称"), max_length=100)
    created_at = models.DateTimeField(_("开户时间"))
    # Caches of the account's entries, written under this row's lock with each entry and
    # checked against the entries by ledger.verify: the balance, the number of entries and
    # the hash of the last one.
    balance = models.BigIntegerField(_("余额（百分之一积分）"), default=0)
    seq = models.PositiveBigIntegerField(_("分录数"), default=0)
    head_hash = models.CharField(_("最新分录摘要"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        constraints = [
            models.UniqueConstraint(fields=["region_code"], condition=Q(kind="pool"), name="account_one_pool"),
            models.CheckConstraint(
                condition=(Q(kind="person", member__isnull=False, team__isnull=True, service_point__isnull=True)
                           | Q(kind="team", member__isnull=True, team__isnull=False, service_point__isnull=True)
                           | Q(kind="point", member__isnull=True, team__isnull=True, service_point__isnull=False)
                           | Q(kind="pool", member__isnull=True, team__isnull=True, service_point__isnull=True)),
                name="account_one_holder",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def balance_text(self) -> str:
        return credits_text(self.balance)


class Category(models.TextChoices):
    SERVICE = "service", _("服务记入")
    TRANSFER = "transfer", _("转赠亲属")
    DONATION = "donation", _("捐赠爱心池")
    OVERFLOW = "overflow", _("超出储存上限转入爱心池")
    GRANT = "grant", _("爱心池拨付")
    REDEMPTION = "redemption", _("在地兑换")
    EXCHANGE = "exchange", _("通存通兑（异地兑换）")
    CORRECTION = "correction", _("冲正")


class LedgerTransaction(models.Model):
    """One booking: a balanced set of entries with a category, so that reports need no
    guessing. Append-only."""

    id = models.UUIDField(primary_key=True, editable=False)
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices)
    service_kind = models.CharField(_("服务类型"), max_length=20, choices=ServiceKind.choices, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    # For an exchange: the region the credits came from (the member's home).
    other_region_code = models.CharField(_("对方区划代码"), max_length=12, blank=True)
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    reference = models.CharField(_("关联单据"), max_length=64, blank=True)
    corrects = models.OneToOneField("self", verbose_name=_("冲正的记账"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="corrected_by")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("记账时间"), db_index=True)

    class Meta:
        verbose_name = _("记账")
        verbose_name_plural = _("记账")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["region_code", "created_at"], name="tb_txn_region_time")]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class Entry(models.Model):
    """One leg of a booking: a signed amount on one account, with the account's balance after
    it, its place in the account's chain (``seq``) and the chain's hash. Append-only."""

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(LedgerTransaction, verbose_name=_("记账"), on_delete=models.PROTECT,
                                    related_name="entries")
    account = models.ForeignKey(Account, verbose_name=_("账户"), on_delete=models.PROTECT, related_name="entries")
    seq = models.PositiveBigIntegerField(_("账户内序号"))
    amount = models.BigIntegerField(_("金额（百分之一积分）"))
    balance_after = models.BigIntegerField(_("记账后余额"))
    created_at = models.DateTimeField(_("记账时间"))
    prev_hash = models.CharField(_("上一分录摘要"), max_length=64)
    hash = models.CharField(_("摘要"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        constraints = [models.UniqueConstraint(fields=["account", "seq"], name="entry_account_seq")]

    def __str__(self) -> str:
        return f"{self.account} {credits_text(self.amount)}"

    @property
    def amount_text(self) -> str:
        return credits_text(self.amount)

    @property
    def balance_after_text(self) -> str:
        return credits_text(self.balance_after)

"""The elder registry (信息登记, DESIGN §3 B).

Sensitive fields (身份证号, phones, address) are stored only encrypted (``*_enc``), with a
keyed blind index (``*_bidx``) where exact search is needed; birth date and sex are
derived from the ID number, never typed. Elders are deactivated, never deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyang.core import pii
from yiyang.core.models import FieldRecord


class LivingSituation(models.TextChoices):
    ALONE = "alone", _("独居")
    EMPTY_NEST = "empty_nest", _("空巢")
    LEFT_BEHIND = "left_behind", _("留守")
    WITH_CHILDREN = "with_children", _("与子女同住")
    WITH_RELATIVES = "with_relatives", _("与其他亲属同住")
    IN_INSTITUTION = "in_institution", _("入住养老机构")
    OTHER = "other", _("其他")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Category(models.Model):
    """A category that drives policy (domain/reference.md §3). ``derived`` categories are
    computed (高龄 from the birth date) and cannot be assigned by hand."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    derived = models.BooleanField(_("自动判定"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("人员类别")
        verbose_name_plural = _("人员类别")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class CategoryAlias(models.Model):
    """A word clerks write in 人员类别 (五保, 低保户, 失独, 独居老人…) and what it means: a
    category, or a living situation (居住情况). Data an administrator edits in the admin;
    migration 0003 ships the common ones."""

    word = models.CharField(_("写法"), max_length=40, unique=True)
    category = models.ForeignKey(Category, verbose_name=_("人员类别"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="aliases")
    living_situation = models.CharField(_("居住情况"), max_length=20, choices=LivingSituation.choices, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("人员类别写法")
        verbose_name_plural = _("人员类别写法")
        ordering = ["category__sort_order", "living_situation", "word"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(category__isnull=False, living_situation="")
                           | models.Q(category__isnull=True) & ~models.Q(living_situation="")),
                name="categoryalias_one_meaning",
                violation_error_message=_("请在“人员类别”和“居住情况”中选且只选一个"),
            ),
        ]

    def __str__(self) -> str:
        meaning = self.category.name if self.category is not None else self.get_living_situation_display()
        return f"{self.word} → {meaning}"


ADVANCED_AGE = "advanced_age"  # 高龄: 80+, from the ID's birth date
ADVANCED_AGE_YEARS = 80
ADVANCED_AGE_NAME = "高龄"
# 老年人 are people of 60 and over (老年人权益保障法 第二条). Registering someone younger is
# warned about, and refused where a region sets a minimum age (Region.registration_min_age).
ELDER_AGE_YEARS = 60

# 经济状况 is three-valued (issue 7 C.2): a difficulty category (one of these, kept among the
# categories as bureaus write it in 人员类别), 非经济困难 (``Elder.not_in_difficulty``, checked
# by a worker), or 未知 (neither: nobody has recorded it).
ECONOMIC_CATEGORY_CODES: tuple[str, ...] = ("extreme_poverty", "subsistence", "near_subsistence", "low_income")
ECONOMIC_UNKNOWN = "unknown"
ECONOMIC_NONE = "not_in_difficulty"
ECONOMIC_UNKNOWN_NAME = "未知"
ECONOMIC_NONE_NAME = "非经济困难"


def economic_status_of(not_in_difficulty: bool, category_codes: Any) -> str:
    """The three-valued 经济状况: the first difficulty category held, else 非经济困难 when a worker
    recorded it, else 未知."""
    held = set(category_codes)
    for code in ECONOMIC_CATEGORY_CODES:
        if code in held:
            return code
    return ECONOMIC_NONE if not_in_difficulty else ECONOMIC_UNKNOWN


def economic_status_name(status: str, category_names: dict[str, str]) -> str:
    """The words for a status of ``economic_status_of``; ``category_names``: code → name."""
    if status == ECONOMIC_NONE:
        return ECONOMIC_NONE_NAME
    if status == ECONOMIC_UNKNOWN:
        return ECONOMIC_UNKNOWN_NAME
    return category_names.get(status, status)


class ImportBatch(models.Model):
    """One committed import file: the provenance of the elders it registered."""

    file_name = models.CharField(_("文件名"), max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    source = models.CharField(_("方式"), max_length=20, default="upload")
    # The narrowest node holding every community of the batch: who may find the batch later
    # (the importer, and anyone whose jurisdiction contains it).
    region_code = models.CharField(_("所属区域"), max_length=12, blank=True, db_index=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.rows})"


class Elder(FieldRecord):
    class DeactivationReason(models.TextChoices):
        DECEASED = "deceased", _("已故")
        MOVED_AWAY = "moved_away", _("迁出")
        DUPLICATE = "duplicate", _("重复登记")
        OTHER = "other", _("其他")

    # Indexes: only those a query uses (Meta.indexes; tests/test_index_plans.py names the query of
    # each). Declared there rather than with db_index/unique: on PostgreSQL those also build a
    # varchar_pattern_ops twin for prefix LIKE, which no elder query is.
    name = models.CharField(_("姓名"), max_length=50)
    id_number_enc = models.BinaryField(_("身份证号（密文）"))
    id_number_bidx = models.CharField(_("身份证号索引"), max_length=32)
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    phone_enc = models.BinaryField(_("联系电话（密文）"), null=True, blank=True)
    phone_bidx = models.CharField(_("联系电话索引"), max_length=32, blank=True)
    address_enc = models.BinaryField(_("居住地址（密文）"), null=True, blank=True)
    # Where the home is (core.geo): the exact position encrypted like the address, and in plain
    # only its ≈200 m cell, for nearest-first lists, matching and statistics.
    home_position_enc = models.BinaryField(_("住址位置（密文）"), null=True, blank=True)
    # db_default: the bulk import writes raw rows without this column.
    home_cell = models.CharField(_("住址网格"), max_length=20, blank=True, default="", db_default="")
    home_located_at = models.DateTimeField(_("定位时间"), null=True, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属社区"), on_delete=models.PROTECT, db_column="region_code",
        related_name="+", db_index=False,  # Meta.indexes: elder_region
    )
    hukou_local = models.BooleanField(_("本地户籍"), default=True)
    living_situation = models.CharField(
        _("居住情况"), max_length=20, choices=LivingSituation.choices, blank=True
    )
    categories = models.ManyToManyField(Category, verbose_name=_("人员类别"), through="ElderCategory", blank=True)
    # db_default: the bulk import lists its columns; an old import path without it still works.
    not_in_difficulty = models.BooleanField(
        _("非经济困难"), default=False, db_default=False,
        help_text=_("已核实不属于特困、低保、低保边缘或经济困难老年人；不勾选且无这些类别时，经济状况为“未知”"))
    notes = models.TextField(_("备注"), blank=True)
    active = models.BooleanField(_("在册"), default=True)
    deactivation_reason = models.CharField(
        _("注销原因"), max_length=20, choices=DeactivationReason.choices, blank=True
    )
    deactivated_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    import_batch = models.ForeignKey(
        ImportBatch, verbose_name=_("导入批次"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Suspected duplicates (the same person under a mistyped ID number): keyed hashes of
    # street + name + birth date and of street + name + phone (``services.match_keys``), so
    # the match never compares plain phones. Blank when there is nothing to hash.
    match_name_birth_bidx = models.CharField(_("同名同生日索引"), max_length=32, blank=True)
    match_name_phone_bidx = models.CharField(_("同名同电话索引"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("老年人")
        verbose_name_plural = _("老年人")
        indexes = [
            # The list's order after one value of ``active`` (selectors.LIST_ORDER): every page
            # of the list is one range of it, read from the cursor on (docs/benchmarks.md).
            models.Index(fields=["active", "region", "name", "id"], name="elder_active_region_name_id"),
            # Queries that write ``active=True`` (a bare "active" SQLite cannot match to the index
            # above) over a region range: the other apps' lists and batches.
            models.Index(fields=["region"], name="elder_region"),
            models.Index(fields=["phone_bidx"], name="elder_phone_bidx"),  # search by phone
            # Suspected duplicates: an elder's page, a batch's suspects, the importer's check.
            models.Index(fields=["match_name_birth_bidx"], name="elder_match_name_birth"),
            models.Index(fields=["match_name_phone_bidx"], name="elder_match_name_phone"),
        ]
        constraints = [
            # One person, one archive; the search by ID number and the importer's duplicate check.
            models.UniqueConstraint(fields=["id_number_bidx"], name="elder_id_number_bidx_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    # Decrypted views. Reading them is not logged here: lists use the masked ones; a full
    # reveal goes through services.elder_reveal, which writes the access log.
    @property
    def id_number(self) -> str:
        return pii.decrypt(self.id_number_enc, "elder.id_number")

    @property
    def phone(self) -> str:
        return pii.decrypt(self.phone_enc, "elder.phone")

    @property
    def address(self) -> str:
        return pii.decrypt(self.address_enc, "elder.address")

    @property
    def id_number_masked(self) -> str:
        return pii.mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return pii.mask_phone(self.phone)

    @property
    def address_masked(self) -> str:
        return pii.mask_address(self.address)

    def age_on(self, day: dt.date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    @property
    def age(self) -> int:
        from django.utils import timezone

        return self.age_on(timezone.localdate())


class ElderRegionCount(models.Model):
    """How many elders a community has on the register and off it: a maintained aggregate
    (``elders/counts.py``), recounted by the services that change an elder and by the importer;
    a test recounts it from the elder table."""

    region_code = models.CharField(_("社区代码"), max_length=12, primary_key=True)
    active = models.PositiveIntegerField(_("在册"), default=0)
    inactive = models.PositiveIntegerField(_("已注销"), default=0)

    class Meta:
        verbose_name = _("在册人数（汇总）")
        verbose_name_plural = _("在册人数（汇总）")

    def __str__(self) -> str:
        return f"{self.region_code} {self.active}/{self.inactive}"


class DuplicateVerdict(models.Model):
    """A person's verdict on two archives flagged as a suspected duplicate: the same person or
    not, with a note. Kept so the pair is asked about once. ``elder_a`` holds the smaller id."""

    elder_a = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="+")
    elder_b = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="+")
    same = models.BooleanField(_("是同一人"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("判定人"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("判定时间"))

    class Meta:
        verbose_name = _("疑似重复判定")
        verbose_name_plural = _("疑似重复判定")
        constraints = [models.UniqueConstraint(fields=["elder_a", "elder_b"], name="duplicateverdict_pair")]
        indexes = [models.Index(fields=["elder_b"], name="duplicateverdict_b")]

    def __str__(self) -> str:
        return f"{self.elder_a_id} ~ {self.elder_b_id}: {'同一人' if self.same else '不是同一人'}"


class ElderCategory(models.Model):
    # No single-column indexes: (elder, category) serves an elder's categories, (category,
    # elder) a category's elders (tests/test_index_plans.py).
    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="category_links", db_index=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("人员类别归属")
        verbose_name_plural = _("人员类别归属")
        constraints = [models.UniqueConstraint(fields=["elder", "category"], name="elder_category_unique")]
        indexes = [models.Index(fields=["category", "elder"], name="eldercategory_cat_elder")]

    def __str__(self) -> str:
        return f"{self.elder_id} · {self.category_id}"


class EmergencyContact(models.Model):
    elder = models.ForeignKey(Elder, verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("关系"), max_length=20, blank=True)
    phone_enc = models.BinaryField(_("电话（密文）"))
    is_guardian = models.BooleanField(_("监护人/代理人"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("紧急联系人")
        verbose_name_plural = _("紧急联系人")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.relation}）" if self.relation else self.name

    @property
    def phone(self) -> str:
        return pii.decrypt(self.phone_enc, "contact.phone")

    @property
    def phone_masked(self) -> str:
        return pii.mask_phone(self.phone)


class Consent(models.Model):
    """Consent per purpose (DESIGN §5), withdrawable: a withdrawal closes the row, and a
    new grant is a new row, so the history stays."""

    class Purpose(models.TextChoices):
        REGISTRATION = "registration", _("信息登记与服务对接")
        SHARE_WITH_PROVIDER = "share_with_provider", _("向服务机构提供信息")
        TIME_BANK = "time_bank", _("时间银行资料")
        PHOTOS = "photos", _("拍照留存")
        FAMILY_PROXY = "family_proxy", _("家属代办")
        DELEGATED_ERRAND = "delegated_errand", _("委托代办（由工作人员代为办理事务）")

    class Method(models.TextChoices):
        SIGNED_PAPER = "signed_paper", _("纸质签字")
        VERBAL_WITNESSED = "verbal_witnessed", _("口头同意（有见证人）")
        IN_APP = "in_app", _("线上确认")

    elder = models.ForeignKey(Elder, verbose_name=_("老年人"), on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("用途"), max_length=30, choices=Purpose.choices)
    granted_at = models.DateTimeField(_("同意时间"))
    granted_by = models.CharField(_("表示同意的人"), max_length=50, help_text=_("本人或代理人姓名"))
    method = models.CharField(_("同意方式"), max_length=20, choices=Method.choices, blank=True)
    evidence = models.CharField(_("凭据"), max_length=200, blank=True, help_text=_("例如：纸质签字单编号"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("授权同意")
        verbose_name_plural = _("授权同意")
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return self.get_purpose_display()

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None

"""The region tree 省 > 市 > 区 > 街道 > 社区, keyed by the 12-digit 统计用区划代码.

The code is the primary key, so every table that points at a region carries the code
itself in a ``region_code`` column — the partition and shard key of DESIGN §7. A node's
subtree is the range of codes sharing its significant prefix (``Region.prefix``), which
a plain B-tree index answers on both databases.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# How many leading digits are significant at each level.
PREFIX_LENGTH = {"province": 2, "city": 4, "district": 6, "street": 9, "community": 12}


class CodeSet(models.Model):
    """A published version of the code list (codes are revised yearly)."""

    version = models.CharField(_("代码版本"), max_length=20, unique=True)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    loaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    is_current = models.BooleanField(_("当前使用"), default=False)

    class Meta:
        verbose_name = _("区划代码版本")
        verbose_name_plural = _("区划代码版本")

    def __str__(self) -> str:
        return self.version


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        DISTRICT = "district", _("区")
        STREET = "street", _("街道")
        COMMUNITY = "community", _("社区")

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=60)
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code_set = models.ForeignKey(CodeSet, verbose_name=_("代码版本"), on_delete=models.PROTECT)
    active = models.BooleanField(_("有效"), default=True)
    # A region's own rule for registering people under 60 (老年人 are 60 and over): blank means
    # "as the region above"; where no region sets one, registering a younger person is only
    # warned about. Read through ``registration_min_age_for``.
    registration_min_age = models.PositiveSmallIntegerField(
        _("最低登记年龄（周岁）"), null=True, blank=True,
        help_text=_("填写后，本区划及下级不能登记未满该年龄的人员；不填则沿用上级规定，都未填写时只作提醒"))

    # A community's centre (its 党群服务中心, say): where matching measures from for an elder
    # whose home is not located yet — and says so. Public, not personal.
    centre_latitude = models.FloatField(_("中心纬度"), null=True, blank=True)
    centre_longitude = models.FloatField(_("中心经度"), null=True, blank=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: PREFIX_LENGTH[self.level]]

    def contains_code(self, code: str) -> bool:
        return code.startswith(self.prefix)


def registration_min_ages() -> dict[str, int]:
    """Each region's effective minimum registration age, inherited down the tree: code → age,
    only for regions where one applies. One query; the importer loads it once per file."""
    rows = list(Region.objects.values_list("code", "parent_id", "registration_min_age"))
    own = {code: age for code, _parent, age in rows}
    parent = {code: p for code, p, _age in rows}
    out: dict[str, int] = {}
    for code in own:
        node: str | None = code
        while node is not None:
            if own.get(node) is not None:
                out[code] = own[node]  # type: ignore[assignment]
                break
            node = parent.get(node)
    return out

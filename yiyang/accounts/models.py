"""Staff accounts. Each user has one role and one jurisdiction node of the region tree:
they see that node and below, never beside it (DESIGN §2)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COMMISSIONER = "commissioner", _("养老服务专员/养老顾问")
    POINT_LEAD = "point_lead", _("工作点负责人")
    COMMUNITY_ADMIN = "community_admin", _("社区管理员")
    STREET_ADMIN = "street_admin", _("街道管理员")
    DISTRICT_ADMIN = "district_admin", _("区管理员")
    CITY_ADMIN = "city_admin", _("市管理员")
    PROVIDER_STAFF = "provider_staff", _("服务机构人员")
    OPERATOR = "operator", _("运维人员")
    # Not staff: a volunteer or family member of the time bank, who sees only what a
    # relationship allows (yiyang/timebank/access.py).
    TIMEBANK_MEMBER = "timebank_member", _("时间银行成员（志愿者、家属）")


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.COMMISSIONER)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("管辖区域"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="staff", db_column="region_code",
    )
    service_point = models.ForeignKey(
        "stations.ServicePoint", verbose_name=_("所属工作点"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="staff",
    )
    phone = models.CharField(_("工作电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d}"

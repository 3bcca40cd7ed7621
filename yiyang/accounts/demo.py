"""Demo logins (password ``yiyang-demo``): a city and a district administrator, one street
administrator per street, one 养老服务专员 per community."""

from __future__ import annotations

import random

from django.contrib.auth.hashers import make_password

from yiyang.accounts.models import Role, User
from yiyang.accounts.services import StaffSpec, staff_create_bulk
from yiyang.core.registry import DemoContext
from yiyang.regions.models import Region

PASSWORD = "yiyang-demo"  # noqa: S105 - the published demo password
CITY, DISTRICT = "440300000000", "440304000000"


def demo_build(ctx: DemoContext) -> str:
    password = make_password(PASSWORD)  # hashed once (Argon2), shared by every demo login
    streets = Region.objects.filter(level=Region.Level.STREET, code__startswith="440304").order_by("code")
    communities = Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith="440304").order_by("code")
    rng = random.Random(ctx.seed)
    surnames = "王李张刘陈杨黄赵吴周徐孙林何郭罗"
    specs = [
        StaffSpec("city_admin", "市民政局管理员", Role.CITY_ADMIN, CITY, is_staff=True, is_superuser=True),
        StaffSpec("district_admin", "福田区民政局管理员", Role.DISTRICT_ADMIN, DISTRICT, is_staff=True),
        *(StaffSpec(f"street_admin_{s.code[:9]}", f"{s.name}管理员", Role.STREET_ADMIN, s.code) for s in streets),
        *(StaffSpec(f"worker_{c.code}", rng.choice(surnames) + rng.choice("敏静丽娟芳霞婷慧"), Role.COMMISSIONER, c.code)
          for c in communities),
    ]
    users = staff_create_bulk(specs=specs, password_hash=password)
    return f"登录账号：{len(users)} 个（密码均为 {PASSWORD}）"


def demo_summary(ctx: DemoContext) -> str:
    meilin = Region.objects.filter(code="440304006001").first()
    if not User.objects.filter(username="district_admin").exists():
        return ""
    lines = [
        "",
        f"网址：http://127.0.0.1:{ctx.port}/ （用 yiyang serve 或 make demo 启动服务）",
        "",
        f"演示账号（密码均为 {PASSWORD}）：",
        "  city_admin                      市管理员（可进入后台 /admin/）",
        "  district_admin                  福田区管理员",
        "  street_admin_<9位街道代码>      街道管理员，例如 street_admin_440304006（梅林街道）",
        "  worker_<12位社区代码>           社区养老服务专员，例如 "
        + (f"worker_440304006001（{meilin.name}）" if meilin else "worker_440304006001"),
        "",
        "街道与社区：",
    ]
    for s in Region.objects.filter(level=Region.Level.STREET, code__startswith="440304").order_by("code"):
        comms = "、".join(f"{c.name} {c.code}" for c in s.children.order_by("code"))
        lines.append(f"  {s.name} {s.code[:9]}：{comms}")
    return "\n".join(lines)

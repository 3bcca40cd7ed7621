"""yiyang demo [--elders N] [--seed S] [--reset]: build the demo district (福田区) and exit.

Regions from the shipped code list, one service point per street and per community,
demo logins, and N invented elders written through the real import path (validation,
encryption, blind index, events). A second run reuses the database unless --reset.
"""

from __future__ import annotations

import csv
import io
import os
import random
import time
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import Role, User
from yiyang.core.synthetic import HEADER, synthetic_elder_rows
from yiyang.elders import services as elder_services
from yiyang.elders.importing import elders_import
from yiyang.elders.models import Consent, Elder
from yiyang.regions.models import Region
from yiyang.regions.services import region_tree_load_csv
from yiyang.stations.models import ServicePoint

DISTRICT = "440304000000"
CITY = "440300000000"
PASSWORD = "yiyang-demo"  # noqa: S105 - the published demo password
REGIONS_CSV = Path(__file__).resolve().parents[3] / "regions" / "data" / "futian_demo.csv"


class Command(BaseCommand):
    help = "生成演示数据（福田区）"

    def add_arguments(self, parser):
        parser.add_argument("--elders", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--reset", action="store_true", help="清空数据库后重建")

    def handle(self, *args, elders: int, seed: int, reset: bool, **options):
        started = time.monotonic()
        if reset:
            self._reset_database()
        call_command("migrate", interactive=False, verbosity=0)
        if Region.objects.filter(code=DISTRICT).exists() and User.objects.filter(username="district_admin").exists():
            self.stdout.write("演示数据已存在，直接使用（重新生成：yiyang demo --reset）。")
        else:
            self._build(elders=elders, seed=seed)
            self.stdout.write(f"演示数据已生成，用时 {time.monotonic() - started:.1f} 秒。")
        self._print_logins()

    @transaction.atomic
    def _build(self, *, elders: int, seed: int) -> None:
        region_tree_load_csv(text=REGIONS_CSV.read_text(encoding="utf-8"), version="2023-demo",
                             source="福田区演示数据（社区为虚构）")
        password = make_password(PASSWORD)  # hashed once (Argon2), shared by every demo login
        streets = list(Region.objects.filter(level=Region.Level.STREET, code__startswith="440304").order_by("code"))
        communities = list(Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith="440304")
                           .select_related("parent").order_by("code"))
        users = [
            User(username="city_admin", full_name="市民政局管理员", role=Role.CITY_ADMIN, region_id=CITY,
                 password=password, is_staff=True, is_superuser=True),
            User(username="district_admin", full_name="福田区民政局管理员", role=Role.DISTRICT_ADMIN,
                 region_id=DISTRICT, password=password, is_staff=True),
        ]
        points = []
        for s in streets:
            users.append(User(username=f"street_admin_{s.code[:9]}", full_name=f"{s.name}管理员",
                              role=Role.STREET_ADMIN, region=s, password=password))
            points.append(ServicePoint(name=f"{s.name}养老服务专员工作点", kind=ServicePoint.Kind.STREET_CONSULTANT,
                                       region=s, address=f"深圳市福田区{s.name}党群服务中心",
                                       hours="周一至周五 9:00–12:00，14:00–18:00"))
        rng = random.Random(seed)
        for c in communities:
            points.append(ServicePoint(name=f"{c.name}养老顾问点", kind=ServicePoint.Kind.COMMUNITY_CONSULTANT,
                                       region=c, address=f"深圳市福田区{c.parent.name}{c.name}党群服务中心一楼",
                                       hours="周一至周六 9:00–17:30"))
        ServicePoint.objects.bulk_create(points)
        point_of = {p.region_id: p for p in ServicePoint.objects.all()}
        surnames = "王李张刘陈杨黄赵吴周徐孙林何郭罗"
        for c in communities:
            users.append(User(username=f"worker_{c.code}", full_name=rng.choice(surnames) + rng.choice("敏静丽娟芳霞婷慧"),
                              role=Role.COMMISSIONER, region=c, service_point=point_of[c.code], password=password))
        User.objects.bulk_create(users)
        for p in ServicePoint.objects.filter(region__level=Region.Level.COMMUNITY):
            p.lead = User.objects.filter(username=f"worker_{p.region_id}").first()
            p.save(update_fields=["lead"])
        for p in ServicePoint.objects.filter(region__level=Region.Level.STREET):
            p.lead = User.objects.filter(username=f"street_admin_{p.region_id[:9]}").first()
            p.save(update_fields=["lead"])

        if elders > 0:
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow(HEADER)
            writer.writerows(synthetic_elder_rows(
                elders, seed=seed, communities=[(c.code, c.parent.name) for c in communities],
                today=timezone.localdate()))
            report = elders_import(actor=None, data=buf.getvalue().encode(), file_name="福田区演示老年人.csv",
                                   source="demo")
            if not report.committed:
                raise RuntimeError(f"demo import failed: {[str(e) for e in report.errors[:5]]}")
            for line in self._domain_demos(seed):
                self.stdout.write(line)
            # A few consent records, written through the service like a worker would.
            worker = User.objects.get(username=f"worker_{communities[0].code}")
            for elder in Elder.objects.filter(region=communities[0]).order_by("name")[:10]:
                elder_services.consent_grant(actor=worker, elder=elder, purpose=Consent.Purpose.REGISTRATION,
                                             granted_by=elder.name, evidence="纸质签字单")

    def _reset_database(self) -> None:
        """Drop everything and migrate again, so the shipped data migrations (categories,
        questionnaire, benefit rules) run again too — ``flush`` would leave them empty."""
        from django.db import connection

        if connection.vendor == "sqlite":
            path = Path(connection.settings_dict["NAME"])
            connection.close()
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                p.unlink(missing_ok=True)
        else:
            with connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")

    def _domain_demos(self, seed: int) -> list[str]:
        """Each domain builds its own demo data on top of the registry, in this order
        (entitlements last: they read assessments)."""
        from yiyang.assessments.demo import demo_build as assessments_demo
        from yiyang.entitlements.demo import demo_build as entitlements_demo
        from yiyang.surveys.demo import demo_build as surveys_demo

        return [build(seed=seed) for build in (assessments_demo, surveys_demo, entitlements_demo)]

    def _print_logins(self) -> None:
        meilin = Region.objects.filter(code="440304006001").first()
        port = os.environ.get("YIYANG_PORT", "8000")
        lines = [
            "",
            f"网址：http://127.0.0.1:{port}/ （用 yiyang serve 或 make demo 启动服务）",
            "",
            "演示账号（密码均为 yiyang-demo）：",
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
        self.stdout.write("\n".join(lines))

"""yiyang demo [--elders N] [--seed S] [--reset]: build the demo district (福田区) and exit.

Every app builds its own part (``demo.py``, registered in its ``AppConfig.ready`` with the
builders it needs first): regions, logins, service points, N invented elders through the real
import path, then assessments, surveys, entitlements and whatever comes next. The builders run
in dependency order in one transaction; then the worker runs what their events enqueued, so
the demo is complete when the command ends. A second run reuses the database unless --reset.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from yiyang.core.events import event_record
from yiyang.core.models import Event
from yiyang.core.registry import DemoContext, demo_order
from yiyang.core.tasks import run_batch

BUILT = "core.demo_built"


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
        ctx = DemoContext(seed=seed, elders=elders, port=os.environ.get("YIYANG_PORT", "8000"))
        builders = demo_order()
        if Event.objects.filter(type=BUILT).exists():
            self.stdout.write("演示数据已存在，直接使用（重新生成：yiyang demo --reset）。")
        else:
            with transaction.atomic():
                for builder in builders:
                    line = builder.build(ctx)
                    if line:
                        self.stdout.write(line)
                event_record(type=BUILT, payload={"seed": seed, "elders": elders,
                                                  "builders": [b.key for b in builders]})
            stats = run_batch()
            self.stdout.write(f"后台任务：{stats.succeeded} 个已完成" + (f"，{stats.failed} 个失败" if stats.failed else ""))
            self.stdout.write(f"演示数据已生成，用时 {time.monotonic() - started:.1f} 秒。")
        for builder in builders:
            if builder.summary is not None:
                text = builder.summary(ctx)
                if text:
                    self.stdout.write(text)

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

"""yiyang entitlements_refresh [--date YYYY-MM-DD]: recompute every active elder's
entitlements (run nightly: birthdays cross 60/65/80, rules take or lose effect)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from yiyang.elders.models import Elder
from yiyang.entitlements.services import entitlements_refresh


class Command(BaseCommand):
    help = "重新计算所有在册老年人的政策享受资格（建议每天运行一次）"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按哪一天计算（默认今天），格式 YYYY-MM-DD")

    def handle(self, *args, date: str | None, **options):
        on = None
        if date:
            try:
                on = dt.date.fromisoformat(date)
            except ValueError:
                raise CommandError("日期格式应为 YYYY-MM-DD") from None
        result = entitlements_refresh(elders=Elder.objects.filter(active=True), cause="date", on=on)
        self.stdout.write(result.summary())

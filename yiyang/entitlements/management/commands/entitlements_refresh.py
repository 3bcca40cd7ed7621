"""yiyang entitlements_refresh [--date YYYY-MM-DD]: recompute every active elder's
entitlements in the foreground (the nightly job does the same in the worker: birthdays cross
60/65/80, rules take or lose effect). Each slice of elders commits on its own, so the site
keeps answering meanwhile. On a terminal a progress bar; otherwise a plain line every 10 %."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yiyang.elders.models import Elder
from yiyang.entitlements.services import RefreshResult, entitlements_refresh

BAR_WIDTH = 30


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
        tty = self.stdout.isatty()
        started = time.monotonic()
        shown = [-1]

        def progress(result: RefreshResult, total: int | None, last_id: Any) -> None:
            total = total or result.elders or 1
            share = min(result.elders / total, 1.0)
            elapsed = time.monotonic() - started
            if tty:
                filled = int(BAR_WIDTH * share)
                self.stdout.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {result.elders:,}/{total:,} "
                                  f"位老年人 {share:4.0%}，{result.changes:,} 项变化，{elapsed:.0f} 秒", ending="")
                self.stdout.flush()
            elif int(share * 10) > shown[0]:
                shown[0] = int(share * 10)
                self.stdout.write(f"{result.elders}/{total} 位老年人（{share:.0%}），{result.changes} 项变化，"
                                  f"{elapsed:.0f} 秒")

        result = entitlements_refresh(elders=Elder.objects.filter(active=True), cause="date", on=on,
                                      progress=progress)
        if tty:
            self.stdout.write("")
        self.stdout.write(result.summary())

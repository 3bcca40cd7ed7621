"""yiyang elders_recount [--check]

Recount every community's 在册 / 已注销 counts (``ElderRegionCount``) from the elder table —
after a load that went around the services — or, with ``--check``, only compare (exit 1 when
they differ)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from yiyang.elders.counts import region_counts_exact, region_counts_rebuild, region_counts_stored


class Command(BaseCommand):
    help = "按老年人档案重新统计各社区在册人数（--check：只核对）"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对，不改写")

    def handle(self, *args, check: bool, **options):
        if check:
            stored, exact = region_counts_stored(), region_counts_exact()
            wrong = sorted(c for c in stored.keys() | exact.keys() if stored.get(c) != exact.get(c))
            if wrong:
                raise CommandError(f"{len(wrong)} 个社区的人数与档案不符：{', '.join(wrong[:10])}")
            self.stdout.write(f"{len(exact)} 个社区的人数与档案一致")
            return
        self.stdout.write(f"已重新统计 {region_counts_rebuild()} 个社区")

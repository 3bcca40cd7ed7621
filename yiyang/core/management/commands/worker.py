"""yiyang worker [--batch] [--interval S]: run background tasks and periodic jobs.

Without ``--batch`` it runs until stopped (SIGTERM/Ctrl+C lets the task in hand finish).
With ``--batch`` it runs every task that is ready now — periodic jobs that are due included
— and exits 0: tests, benchmarks and operators use it. Several workers, on several machines,
may share one database.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from yiyang.core.tasks import Worker


class Command(BaseCommand):
    help = "运行后台任务和定时任务（--batch：运行完当前就绪的任务后退出）"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="运行完当前就绪的任务（含到期的定时任务）后退出")
        parser.add_argument("--interval", type=float, default=1.0, help="没有任务时的轮询间隔（秒）")
        parser.add_argument("--worker-id", default=None, help="工作进程编号（默认：主机名-进程号）")

    def handle(self, *args, batch: bool, interval: float, worker_id: str | None, **options):
        worker = Worker(batch=batch, interval=interval, worker_id=worker_id)
        if not batch:
            worker.install_signal_handlers()
            self.stdout.write(f"后台任务进程 {worker.worker_id} 已启动（Ctrl+C 停止）")
            self.stdout.flush()
        stats = worker.run()
        if batch or options["verbosity"] > 1:
            self.stdout.write(
                f"后台任务：成功 {stats.succeeded}，失败 {stats.failed}，待重试 {stats.retried}；"
                f"定时任务排队 {len(stats.periodic)}" + (f"（{'、'.join(stats.periodic)}）" if stats.periodic else ""))

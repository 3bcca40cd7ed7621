"""yiyang serve [--port P]: serve Yiyang with gunicorn (static files through WhiteNoise)."""

from __future__ import annotations

import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动 Web 服务（gunicorn）"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("YIYANG_PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("YIYANG_HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("YIYANG_WORKERS", "2")))

    def handle(self, *args, port: int, host: str, workers: int, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"颐养 Yiyang 正在运行：http://{host}:{port}/  （Ctrl+C 停止）")
        self.stdout.flush()
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        # Our own venv's gunicorn with fixed arguments.
        os.execv(gunicorn, [  # noqa: S606
            gunicorn, "config.wsgi:application", "--bind", f"{host}:{port}", "--workers", str(workers),
            "--threads", "4", "--access-logfile", "-", "--graceful-timeout", "5",
        ])

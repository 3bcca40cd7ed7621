"""yiyang serve [--port P] [--no-worker]: serve Yiyang with gunicorn (static files through
WhiteNoise) and, unless ``--no-worker``, one background worker beside it — the embedded
default stays one command. Stopping serve (Ctrl+C, SIGTERM) stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Workers, threads, timeouts and the access log's format (no query strings: privacy.md §7)
# are in config/gunicorn.py, chosen from the machine's cores.
GUNICORN_CONFIG = "python:config.gunicorn"


class Command(BaseCommand):
    help = "启动 Web 服务（gunicorn）和一个后台任务进程"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("YIYANG_PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("YIYANG_HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=None,
                            help="gunicorn 进程数（默认：CPU 核数，见 config/gunicorn.py；或 YIYANG_WORKERS）")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程（另行运行 yiyang worker）")

    def handle(self, *args, port: int, host: str, workers: int | None, no_worker: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        bin_dir = os.path.dirname(sys.executable)
        gunicorn = os.path.join(bin_dir, "gunicorn")
        web = [gunicorn, "config.wsgi:application", "-c", GUNICORN_CONFIG, "--bind", f"{host}:{port}",
               *(["--workers", str(workers)] if workers else [])]
        if no_worker:
            self.stdout.write(f"颐养 Yiyang 正在运行：http://{host}:{port}/  （Ctrl+C 停止）")
            self.stdout.flush()
            os.execv(gunicorn, web)  # noqa: S606 - our own venv's gunicorn, fixed arguments
        yiyang = os.path.join(bin_dir, "yiyang")
        procs = [subprocess.Popen(web), subprocess.Popen([yiyang, "worker"])]  # noqa: S603
        self.stdout.write(f"颐养 Yiyang 正在运行：http://{host}:{port}/  （含后台任务进程；Ctrl+C 停止）")
        self.stdout.flush()

        def stop(signum, frame):
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # When either stops, stop the other: a web server without its worker would let
        # reactions pile up unseen.
        code = 0
        while procs:
            pid, status = os.wait()
            for p in list(procs):
                if p.pid == pid:
                    p.returncode = os.waitstatus_to_exitcode(status)
                    code = code or max(p.returncode, 0)
                    procs.remove(p)
                    stop(None, None)
        sys.exit(code)

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

# The path without its query string (%(U)s, not %(r)s) and no Referer: a URL may carry a
# search someone typed, and the access log must hold no personal data (docs/privacy.md §7).
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


class Command(BaseCommand):
    help = "启动 Web 服务（gunicorn）和一个后台任务进程"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("YIYANG_PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("YIYANG_HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("YIYANG_WORKERS", "2")))
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程（另行运行 yiyang worker）")

    def handle(self, *args, port: int, host: str, workers: int, no_worker: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        bin_dir = os.path.dirname(sys.executable)
        gunicorn = os.path.join(bin_dir, "gunicorn")
        web = [gunicorn, "config.wsgi:application", "--bind", f"{host}:{port}", "--workers", str(workers),
               "--threads", "4", "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
               "--graceful-timeout", "5"]
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

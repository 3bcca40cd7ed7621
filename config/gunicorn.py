"""Gunicorn's settings for ``yiyang serve`` (``gunicorn -c python:config.gunicorn``), chosen
from the machine's cores:

* ``workers`` — one process per core the process may use (``os.sched_getaffinity``): Python runs
  one thread at a time per process, so more processes than cores only queue for the CPU, and
  each costs its memory; ``YIYANG_WORKERS`` overrides.
* ``threads`` — 4 per process (``gthread``): while one request waits on the database or a
  client, the process serves another; past that the CPU, not waiting, is the limit (measured in
  docs/benchmarks.md, "The elder API under load"). ``YIYANG_THREADS`` overrides.

So a 2-core machine serves 2 × 4 = 8 requests at once; more arrive and wait in the listen
backlog, not in Python.
"""

from __future__ import annotations

import os


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return max(1, int(raw)) if raw else default


workers = _int("YIYANG_WORKERS", cores())
threads = _int("YIYANG_THREADS", 4)
worker_class = "gthread"
# A request that takes longer than this is a bug or an attack: the worker is restarted.
timeout = 60
graceful_timeout = 5
keepalive = 5
# Each worker is replaced after this many requests (with jitter, not all at once): a slow leak
# in a library then never grows without bound.
max_requests = 10_000
max_requests_jitter = 1_000
backlog = 2048
# The path without its query string (%(U)s, not %(r)s) and no Referer: a URL may carry a
# search someone typed, and the access log must hold no personal data (docs/privacy.md §7).
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'

"""Yiyang settings: one module, read from the environment (cookiecutter-django habit).

A fresh checkout runs with no environment at all: SQLite under ``var/`` and local keys
that ``yiyang demo`` writes under ``var/``. Production (``YIYANG_ENV=production``) refuses
to start without real secrets.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("YIYANG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENV = os.environ.get("YIYANG_ENV", "development")
PRODUCTION = ENV == "production"
DEBUG = os.environ.get("YIYANG_DEBUG", "0" if PRODUCTION else "1") == "1"
if PRODUCTION and DEBUG:
    # DEBUG shows settings, SQL and stack traces with personal data to whoever causes an error.
    raise ImproperlyConfigured("生产模式不能开启 DEBUG：请去掉 YIYANG_DEBUG=1（DEBUG must be off in production）")


def _local_secret(name: str, nbytes: int) -> str:
    """A key kept in var/ for development and demo; production must pass a real one."""
    import base64
    import secrets

    path = VAR_DIR / name
    if not path.exists():
        path.write_text(base64.b64encode(secrets.token_bytes(nbytes)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


def _secret(env_name: str, file_name: str, nbytes: int) -> str:
    value = os.environ.get(env_name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"生产模式必须设置环境变量 {env_name}（{env_name} must be set in production）")
    return _local_secret(file_name, nbytes)


SECRET_KEY = _secret("YIYANG_SECRET_KEY", "secret_key", 48)
# Field-encryption keys: "id:base64key[,id:base64key...]"; the first encrypts, all decrypt (rotation).
FIELD_KEYS = _secret("YIYANG_FIELD_KEY", "field_key", 32)
# Key of the blind index (HMAC) of searchable encrypted fields: separate from the field keys
# so that rotating those never changes an index. Changing it means re-indexing every row.
BLIND_INDEX_KEY = _secret("YIYANG_BLIND_INDEX_KEY", "blind_index_key", 32)

ALLOWED_HOSTS = [h for h in os.environ.get("YIYANG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("YIYANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "axes",
    "django_tasks",
    "django_tasks_db",  # before yiyang.core, whose admin replaces the backend's
    "yiyang.core",
    "yiyang.regions",
    "yiyang.accounts",
    "yiyang.stations",
    "yiyang.elders",
    "yiyang.assessments",
    "yiyang.surveys",
    "yiyang.entitlements",
    "yiyang.casework",
    "yiyang.visits",
    "yiyang.timebank",
    "yiyang.alarms",
    "yiyang.directory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but security: any non-JSON error under /api/ (unknown path, 405, crash) gets the API's shape.
    "yiyang.core.apierrors.ApiErrorShapeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yiyang.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yiyang.core.middleware.DefaultChineseLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "yiyang.core.middleware.AccessErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # With a read replica: a browser that posted reads from the primary for a few seconds.
    "yiyang.core.replica.ReplicaPinMiddleware",
    # Last: turns a login refused by the throttle into the lock answer (accounts/throttle.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "yiyang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "yiyang.core.context_processors.yiyang",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'yiyang.sqlite3'}"),
        conn_max_age=int(os.environ.get("YIYANG_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout: readers never block the writer, and a second writer waits
    # instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Opening an SQLite file costs little, and a connection kept per gunicorn thread would hold
    # its file handle and page cache past the request for nothing measured (docs/architecture.md §7).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # A kept PostgreSQL connection (one per gunicorn thread) saves a TCP + auth round trip per
    # request; checked before reuse, so a server restart costs one error-free reconnect.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True


def _without_jit(db: Any) -> None:  # dj_database_url.DBConfig, a TypedDict
    """PostgreSQL's JIT compiles a query whose *estimated* cost passes 100,000 — and an estimate
    ten times too high is ordinary (a range of ids): the entitlements recompute of one slice of
    1,000 elders (17 ms) then spent 1.4 s compiling, one slice in ten. Nothing here is an
    analytical query long enough to gain from it (docs/architecture.md §7)."""
    options = db.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()


if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _without_jit(DATABASES["default"])
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("YIYANG_TEST_SQLITE", "")} if os.environ.get("YIYANG_TEST_SQLITE") else {}

# A read replica (PostgreSQL streaming replication of DATABASE_URL): reads that opt in with
# core.replica.stale_reads go there, nothing else (docs/scale-out.md §2). TEST MIRROR: the
# test runner creates no database on the replica (it refuses writes) but points the alias at
# the primary's test database by name, which the replica receives by replaying the WAL.
# A replica of a SQLite file means nothing: the variable is ignored unless the primary is
# PostgreSQL (a command run on a SQLite file inside the PostgreSQL test harness inherits it).
if os.environ.get("DATABASE_REPLICA_URL") and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("YIYANG_DB_CONN_MAX_AGE", "60")))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    # A replica that does not answer is left for a while (core.replica.replica_available): do
    # not let a cut network hold a request for the operating system's minutes.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    _without_jit(DATABASES["replica"])
    # A streaming replica is a copy of the whole server: its database has the primary's name. A
    # different name is a mistake that would route reads to another database.
    if DATABASES["replica"].get("NAME") != DATABASES["default"].get("NAME"):
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL 的数据库名（{DATABASES['replica'].get('NAME')}）应与 DATABASE_URL 的"
            f"（{DATABASES['default'].get('NAME')}）相同：只读副本是主库的完整副本")
    DATABASE_ROUTERS = ["yiyang.core.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background tasks (django.tasks API, django-tasks backport): rows in this database, run by
# ``yiyang worker`` (docs/architecture.md, "Tasks and events").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login throttling (django-axes, accounts/throttle.py): LIMIT failures of one username from
# one address, or IP_LIMIT failures from one address whatever the usernames, within the
# window lock that pair / that address for the window. An administrator unlocks in the admin.
AUTHENTICATION_BACKENDS = [
    "yiyang.accounts.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = int(os.environ.get("YIYANG_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("YIYANG_LOGIN_IP_FAILURE_LIMIT", "30"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("YIYANG_LOGIN_FAILURE_WINDOW", "900"))
AXES_HANDLER = "yiyang.accounts.throttle.LoginThrottleHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_FAILURE_WINDOW_SECONDS)
AXES_LOCKOUT_CALLABLE = "yiyang.accounts.throttle.lockout_response"
AXES_RESET_ON_SUCCESS = False  # accounts.services.login_failures_clear clears only username + address
# Behind a reverse proxy set YIYANG_PROXY_COUNT (how many proxies add X-Forwarded-For).
AXES_IPWARE_PROXY_COUNT = int(os.environ["YIYANG_PROXY_COUNT"]) if os.environ.get("YIYANG_PROXY_COUNT") else None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if os.environ.get("YIYANG_PROXY_COUNT") else ("REMOTE_ADDR",)
)
AXES_VERBOSE = False  # no start-up banner; our own line per lock (logger "yiyang.security") says what matters
API_TOKEN_TTL_HOURS = int(os.environ.get("YIYANG_API_TOKEN_TTL_HOURS", "720"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "yiyang" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The one stylesheet and the vendored htmx live in yiyang/static/ (not inside an app).
STATICFILES_DIRS = [BASE_DIR / "yiyang" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# No personal data in any log (docs/privacy.md §7): every line passes a filter that masks
# ID numbers and mobile numbers, and SQL (whose parameters hold names) is never logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "yiyang.core.logfilters.RedactPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("YIYANG_LOG_LEVEL", "WARNING")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

YIYANG: dict[str, Any] = {
    "SITE_NAME": _("颐养"),
    "PAGE_SIZE": 20,
    # Ability assessment (GB/T 42195—2022): how many assessors sign, how long a result is valid.
    "ASSESSORS_REQUIRED": int(os.environ.get("YIYANG_ASSESSORS_REQUIRED", "2")),
    "ASSESSMENT_VALIDITY_MONTHS": int(os.environ.get("YIYANG_ASSESSMENT_VALIDITY_MONTHS", "12")),
    # Background tasks: attempts before a failed task stays failed, the first retry's wait
    # (doubling each time, at most an hour), and how long a task may run before a worker
    # that vanished is presumed dead and the task is made ready again.
    "TASK_MAX_ATTEMPTS": int(os.environ.get("YIYANG_TASK_MAX_ATTEMPTS", "5")),
    "TASK_RETRY_BASE_SECONDS": int(os.environ.get("YIYANG_TASK_RETRY_BASE_SECONDS", "30")),
    "TASK_LEASE_SECONDS": int(os.environ.get("YIYANG_TASK_LEASE_SECONDS", "3600")),
    # The import page's largest file (MB): about 400,000 rows of CSV. Larger lists go
    # through `yiyang import elders` on the server (docs/import.md).
    "IMPORT_MAX_UPLOAD_MB": int(os.environ.get("YIYANG_IMPORT_MAX_UPLOAD_MB", "50")),
    # Visits (docs/visits.md): how many days back a worker may record a visit without an
    # administrator's note; how far (metres) from the home cell a check-in is flagged; after how
    # many days without any contact an elder is "not seen".
    "VISIT_BACKDATE_DAYS": int(os.environ.get("YIYANG_VISIT_BACKDATE_DAYS", "3")),
    "VISIT_CHECKIN_FAR_M": int(os.environ.get("YIYANG_VISIT_CHECKIN_FAR_M", "500")),
    "NOT_SEEN_DAYS": int(os.environ.get("YIYANG_NOT_SEEN_DAYS", "45")),
    # Notifications: where they go besides the in-app list ("console", "sms", "webhook").
    "NOTIFY_BACKENDS": [b for b in os.environ.get("YIYANG_NOTIFY_BACKENDS", "console").split(",") if b],
    "NOTIFY_WEBHOOK_URL": os.environ.get("YIYANG_NOTIFY_WEBHOOK_URL", ""),
    # The resource directory: after how many days without a provider's confirmation a
    # service's data are shown as possibly out of date.
    "DIRECTORY_STALE_DAYS": int(os.environ.get("YIYANG_DIRECTORY_STALE_DAYS", "90")),
    # A read replica (DATABASE_REPLICA_URL): whether the reads that may be stale go there, and
    # for how many seconds after a browser's post its reads stay on the primary.
    "REPLICA_READS": os.environ.get("YIYANG_REPLICA_READS", "1") == "1",
    "REPLICA_PIN_SECONDS": int(os.environ.get("YIYANG_REPLICA_PIN_SECONDS", "5")),
    # Matching (directory/matching.py; shown on /resources/fairness/): an elder's walking speed,
    # how much longer a walk is than the straight line, the service circle, and the weights.
    "MATCH_WALK_M_PER_MIN": float(os.environ.get("YIYANG_MATCH_WALK_M_PER_MIN", "60")),
    "MATCH_DETOUR": float(os.environ.get("YIYANG_MATCH_DETOUR", "1.3")),
    "MATCH_CIRCLE_MIN": float(os.environ.get("YIYANG_MATCH_CIRCLE_MIN", "15")),
    # 养老服务清单: how many days the family's link works.
    "SERVICE_LIST_SHARE_DAYS": int(os.environ.get("YIYANG_SERVICE_LIST_SHARE_DAYS", "30")),
    "MATCH_WEIGHTS": json.loads(os.environ["YIYANG_MATCH_WEIGHTS"]) if os.environ.get("YIYANG_MATCH_WEIGHTS") else None,
    # Webhooks are signed with this secret (X-Yiyang-Signature); SMS go through an HTTP gateway:
    # its URL, a JSON body template with {phone}, {text} and {key}, and an optional bearer token.
    "NOTIFY_WEBHOOK_SECRET": os.environ.get("YIYANG_NOTIFY_WEBHOOK_SECRET", ""),
    "NOTIFY_TIMEOUT_S": float(os.environ.get("YIYANG_NOTIFY_TIMEOUT_S", "5")),
    "SMS_GATEWAY_URL": os.environ.get("YIYANG_SMS_GATEWAY_URL", ""),
    "SMS_TEMPLATE": os.environ.get("YIYANG_SMS_TEMPLATE", ""),
    "SMS_GATEWAY_TOKEN": os.environ.get("YIYANG_SMS_GATEWAY_TOKEN", ""),
    # Emergency calls (docs/alarms.md): the default wait for an acknowledgement before the next
    # escalation step; the window in which repeated presses merge into the open alarm; how often
    # the escalation job runs; a notification's attempts before it is marked failed.
    "ALARM_ACK_TIMEOUT_S": int(os.environ.get("YIYANG_ALARM_ACK_TIMEOUT_S", "120")),
    "ALARM_MERGE_WINDOW_S": int(os.environ.get("YIYANG_ALARM_MERGE_WINDOW_S", "300")),
    "ALARM_TICK_S": int(os.environ.get("YIYANG_ALARM_TICK_S", "5")),
    "ALARM_DELIVERY_MAX_ATTEMPTS": int(os.environ.get("YIYANG_ALARM_DELIVERY_MAX_ATTEMPTS", "6")),
    # Device health and daily check-ins: the battery level that raises a low-battery alarm; the
    # default check-in deadline where no region sets one (HH:MM, local time).
    "ALARM_LOW_BATTERY_PCT": int(os.environ.get("YIYANG_ALARM_LOW_BATTERY_PCT", "20")),
    "ALARM_CHECKIN_DEADLINE": os.environ.get("YIYANG_ALARM_CHECKIN_DEADLINE", "10:00"),
}

"""One settings module, read from the environment (see docs/operations.md)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("CUSTODYWATCH_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def cache_from_url(url: str) -> dict[str, str]:
    """Django's cache settings from CACHE_URL (scheme://location)."""
    scheme, _, location = url.partition("://")
    backends = {"db": "django.core.cache.backends.db.DatabaseCache",
                "redis": "django.core.cache.backends.redis.RedisCache",
                "rediss": "django.core.cache.backends.redis.RedisCache",
                "locmem": "django.core.cache.backends.locmem.LocMemCache",
                "dummy": "django.core.cache.backends.dummy.DummyCache"}
    if scheme not in backends:
        raise ImproperlyConfigured(
            f"CACHE_URL: scheme {scheme!r} is not one of {', '.join(sorted(backends))}")
    if scheme == "db":
        location = location or "custodywatch_cache"
    elif scheme.startswith("redis"):
        location = url
    return {"BACKEND": backends[scheme], "LOCATION": location}


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file that NAME_FILE points to."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def _secret_key() -> str:
    configured = env_secret("SECRET_KEY")
    if configured:
        return configured
    # The embedded default keeps a random key beside its database, never in the code.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "custodywatch.core",
    "custodywatch.accounts",
    "custodywatch.registry",
    "custodywatch.custody",
    "custodywatch.ledger",
    "custodywatch.video",
    "custodywatch.escrow",
    "custodywatch.complaints",
    "custodywatch.cases",
    "custodywatch.medical",
    "custodywatch.visits",
    "custodywatch.reports",
    "custodywatch.accountability",
    "custodywatch.liveview",
    "custodywatch.demo",
]

MIDDLEWARE = [
    "custodywatch.core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "custodywatch.core.middleware.RefuseNulMiddleware",
    "custodywatch.accounts.middleware.OriginMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "custodywatch.accounts.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "custodywatch.accounts.middleware.TwoFactorMiddleware",
    "custodywatch.accounts.middleware.PublicOnlyMiddleware",
    "custodywatch.accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "custodywatch.urls"
WSGI_APPLICATION = "custodywatch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "custodywatch.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'custodywatch.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        # A persistent connection is checked before each request reuses it, so a database
        # restart costs no failed request once the server is back (bench/faults.py).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the demo loader or a worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock-out on guessing: five failures per user name and address, then an hour's wait.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# The system's start date: no custody or video event is accepted before it (core/plausible.py).
CUSTODYWATCH_RECORDS_START = os.environ.get("CUSTODYWATCH_RECORDS_START", "2020-01-01")
# A camera whose heartbeats stop for this long counts as no_signal (not covered).
CUSTODYWATCH_VIDEO_SILENCE_SECONDS = env_int("CUSTODYWATCH_VIDEO_SILENCE_SECONDS", 120)
# Which cameras make a custody room covered (video/coverage.py): "proven", only cameras whose
# working picture shows the room's printed marker; "declared", the approved camera map alone
# (the roll-out fallback while agents do not yet report markers). Every figure names its rule.
CUSTODYWATCH_COVERAGE_RULE = os.environ.get("CUSTODYWATCH_COVERAGE_RULE", "declared")
# A marker sighting this recent proves a room "now" (agents report after each segment).
CUSTODYWATCH_MARKER_FRESH_SECONDS = env_int("CUSTODYWATCH_MARKER_FRESH_SECONDS", 600)
# Blind custody alerts (custody/alerts.py): a stay blind this long in one piece.
CUSTODYWATCH_BLIND_STAY_MINUTES = env_int("CUSTODYWATCH_BLIND_STAY_MINUTES", 15)
# Remediation tickets (video/tickets.py): a room blind or a camera out of order this long gets
# a ticket, due this many days later; a fix is proven by a working recording this long.
CUSTODYWATCH_TICKET_AFTER_HOURS = env_int("CUSTODYWATCH_TICKET_AFTER_HOURS", 24)
CUSTODYWATCH_TICKET_DUE_DAYS = env_int("CUSTODYWATCH_TICKET_DUE_DAYS", 14)
CUSTODYWATCH_TICKET_PROOF_MINUTES = env_int("CUSTODYWATCH_TICKET_PROOF_MINUTES", 30)
# A complaint terminal not heard for this long raises an alert (complaints/terminals.py).
CUSTODYWATCH_TERMINAL_SILENCE_MINUTES = env_int("CUSTODYWATCH_TERMINAL_SILENCE_MINUTES", 30)
# A site is blacked out when more than this share of its cameras in service is not working.
CUSTODYWATCH_BLACKOUT_SHARE = float(os.environ.get("CUSTODYWATCH_BLACKOUT_SHARE", "0.5"))
# Readers of the same scope share the video overview's figures this long (video/selectors.py).
CUSTODYWATCH_OVERVIEW_CACHE_SECONDS = env_int("CUSTODYWATCH_OVERVIEW_CACHE_SECONDS", 30)
# Footage preservation policy, the same for every facility's agent: keep every segment of the
# cameras of custody-use rooms for this many days, the complaint window
# (complaints/preservation.py). It never depends on a complaint.
PRESERVATION_KEEP_DAYS = env_int("CUSTODYWATCH_PRESERVATION_KEEP_DAYS", 365)
# Live view: no frame from a transparent room's camera for this long during an interrogation
# is a feed gap (alert, timeline); the viewer sees "waiting" instead of a stale picture.
LIVEVIEW_GAP_SECONDS = env_int("CUSTODYWATCH_LIVEVIEW_GAP_SECONDS", 15)
# The address people outside reach the site at (links printed for relatives, QR codes), e.g.
# https://custodywatch.example.kz; empty: the address of the request that made the link.
PUBLIC_BASE_URL = os.environ.get("CUSTODYWATCH_PUBLIC_URL", "").rstrip("/")

# Evidence ledger: the checkpoint signing key lives in a file outside the database
# (docs/ledger.md: key rotation); verifiers may be given the public keys of earlier keys.
LEDGER_SIGNING_KEY_FILE = os.environ.get("LEDGER_SIGNING_KEY_FILE", "")
LEDGER_ORIGIN = os.environ.get("LEDGER_ORIGIN", "custodywatch.local/ledger")
LEDGER_VERIFIER_KEYS_FILE = os.environ.get("LEDGER_VERIFIER_KEYS_FILE", "")

# Footage escrow (docs/operations.md): any S3 endpoint with Object Lock. Empty endpoint: the
# embedded SeaweedFS that `custodywatch demo` and the tests start set these themselves.
ESCROW_S3_ENDPOINT = os.environ.get("CUSTODYWATCH_ESCROW_S3_ENDPOINT", "")
# The address facilities' agents reach the store at, where it differs (presigned PUTs).
ESCROW_S3_UPLOAD_ENDPOINT = os.environ.get("CUSTODYWATCH_ESCROW_S3_UPLOAD_ENDPOINT", "")
ESCROW_S3_BUCKET = os.environ.get("CUSTODYWATCH_ESCROW_S3_BUCKET", "custodywatch-escrow")
ESCROW_S3_REGION = os.environ.get("CUSTODYWATCH_ESCROW_S3_REGION", "us-east-1")
ESCROW_S3_ACCESS_KEY = env_secret("CUSTODYWATCH_ESCROW_S3_ACCESS_KEY")
ESCROW_S3_SECRET_KEY = env_secret("CUSTODYWATCH_ESCROW_S3_SECRET_KEY")
# Kept this long after the person's release (the complaint window); also the lock set at upload.
ESCROW_RETENTION_DAYS = env_int("CUSTODYWATCH_ESCROW_RETENTION_DAYS", 365)
# A complaint, case, injury or facility blackout extends the lock to at least this long from then.
ESCROW_HOLD_DAYS = env_int("CUSTODYWATCH_ESCROW_HOLD_DAYS", 5 * 365)

# Alerts go out by e-mail (custody clocks, overdue recommendations); in-app as well.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "custodywatch@localhost")
# The filebased backend (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend) writes
# each message to a file here.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
# A mail server that does not answer fails the try (it is retried), not the worker.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)

# Background work (django-tasks): e-mail and other tasks are rows in the database, written in
# the transaction of the change that queues them; `custodywatch worker` runs them and the
# periodic jobs (core/worker.py, docs/operations.md).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("CUSTODYWATCH_TASKS_BACKEND",
                                  "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Answers stored for an Idempotency-Key are replayed this long, then purged (housekeeping).
CUSTODYWATCH_IDEMPOTENCY_DAYS = env_int("CUSTODYWATCH_IDEMPOTENCY_DAYS", 30)
# An alert nobody acknowledges for this long goes up to the General Prosecutor's Office.
CUSTODY_ALERT_ESCALATE_MINUTES = env_int("CUSTODY_ALERT_ESCALATE_MINUTES", 30)

# Staff sign in with a second factor; the embedded demo may switch it off.
CUSTODYWATCH_REQUIRE_2FA = env_bool("CUSTODYWATCH_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = "CustodyWatch"
# Never show a TOTP key or its QR code in the admin (accounts/admin.py replaces its page too).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
HTTPS = env_bool("CUSTODYWATCH_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CUSTODYWATCH_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
# Browser preload lists are for public hosts; an intranet deployment opts in explicitly.
SECURE_HSTS_PRELOAD = env_bool("CUSTODYWATCH_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "ru")
LANGUAGES = [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Almaty")
USE_TZ = True
FORMAT_MODULE_PATH = ["custodywatch.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it, even when empty
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Largest registry CSV accepted through the web form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# LOG_FORMAT=json: one JSON object a line (for a log collector), with the request id that
# the answer's X-Request-ID header carries; text otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT: 'text' or 'json', not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "custodywatch.core.request_id.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
                 "rename_fields": {"asctime": "time", "levelname": "level",
                                   "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Shared by every web node and worker: figures one node computes, the others read
# (core.shared_figures). db://TABLE (default; the table is made by a migration),
# redis://HOST:PORT/N, locmem:// (one process only) or dummy://.
CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", "db://custodywatch_cache"))}

# /metrics (Prometheus) answers a scraper that sends this token as a bearer token; unset, the
# endpoint answers 404 (docs/operations.md, "Metrics").
METRICS_TOKEN = env_secret("CUSTODYWATCH_METRICS_TOKEN")

# Optional error reporting to Sentry (pip install sentry-sdk): set SENTRY_DSN.
SENTRY_DSN = env_secret("SENTRY_DSN")
if SENTRY_DSN:
    try:
        import sentry_sdk
    except ImportError as missing:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install "
            "'custodywatch[sentry]'") from missing
    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False,
                    environment=os.environ.get("SENTRY_ENVIRONMENT", "production"))

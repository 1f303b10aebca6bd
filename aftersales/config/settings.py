"""The one settings module. Everything that differs between a laptop and a
production server comes from the environment (see docs/configuration.md)."""

import os
import secrets
import zoneinfo
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from aftersales.config.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PACKAGE_DIR.parent
VAR_DIR = Path(env_str("AFTERSALES_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

AFTERSALES_ENV = env_str("AFTERSALES_ENV", "development", choices=("development", "production"))
PRODUCTION = AFTERSALES_ENV == "production"
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when AFTERSALES_ENV=production.")

# Relaxes rate limits and HTTPS redirects so a benchmark on loopback times the
# pages, not the 429s and redirects. Never set it on a real deployment.
BENCHMARK_RELAXED = env_bool("AFTERSALES_BENCHMARK_RELAXED", False)
if PRODUCTION and BENCHMARK_RELAXED and not env_bool("AFTERSALES_BENCHMARK_ON_LOOPBACK", False):
    raise ImproperlyConfigured(
        "AFTERSALES_BENCHMARK_RELAXED is for benchmarks on loopback only "
        "(set AFTERSALES_BENCHMARK_ON_LOOPBACK=1 to confirm)."
    )


def _secret_key() -> str:
    key = env_str("SECRET_KEY", "")
    if key:
        if len(key) < 50 or len(set(key)) < 5:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters.")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when AFTERSALES_ENV=production.")
    # A local key, kept so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when AFTERSALES_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "axes",
    "simple_history",
    "huey.contrib.djhuey",
    "aftersales.core",
    "aftersales.accounts",
    "aftersales.customers",
    "aftersales.policy",
    "aftersales.notifications",
    "aftersales.proposals",
    "aftersales.portal",
    "aftersales.reports",
]

MIDDLEWARE = [
    "aftersales.core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static assets keep their caching, nothing else is stored.
    "aftersales.core.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "aftersales.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aftersales.config.urls"
WSGI_APPLICATION = "aftersales.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aftersales.core.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite in var/ by default; PostgreSQL via DATABASE_URL.
_default_db = f"sqlite:///{VAR_DIR / 'aftersales.sqlite3'}"
try:
    _db = dj_database_url.parse(
        env_str("DATABASE_URL", _default_db), conn_max_age=60, conn_health_checks=True
    )
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    # Tests run against a real SQLite file too, not an in-memory database.
    # One file per test run, so two runs side by side never share a database.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    _db["OPTIONS"] = {
        # WAL lets readers work beside the one writer; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue on the busy timeout instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20, minimum=1),
    }
elif _db["ENGINE"] not in ("django.db.backends.postgresql",):
    raise ImproperlyConfigured("DATABASE_URL must point at SQLite or PostgreSQL.")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "aftersales.accounts.backends.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:my_work"
LOGOUT_REDIRECT_URL = "login"

# Login throttling and lock-out (django-axes, aftersales.accounts.throttling).
# A user name is locked after AXES_FAILURE_LIMIT failures from any addresses
# together, so moving to another address does not start afresh (issue 7 item 8).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
# The user name alone counts every failure the pair does; the pair stays listed
# so axes' own check (W006, which wants the address in some rule) holds.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
# The address the portal's rate limits use (RATELIMIT_IP_META_KEY, IPv6 as its /64).
AXES_CLIENT_IP_CALLABLE = "aftersales.accounts.throttling.client_address"
# Failures from one address across user names slow it down, never lock it out
# (a whole office may sit behind one address): past the free ones, each further
# attempt waits 2, 4, 8 ... seconds after the latest failure, at most the cap.
LOGIN_ADDRESS_FREE_FAILURES = env_int("LOGIN_ADDRESS_FREE_FAILURES", 10, minimum=1)
LOGIN_ADDRESS_MAX_DELAY_SECONDS = env_int(
    "LOGIN_ADDRESS_MAX_DELAY_SECONDS", 60, minimum=1, maximum=600
)
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = not BENCHMARK_RELAXED

# Internationalisation: Simplified Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone.") from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Uploads live outside any public URL; they are served only by views that check permission.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "uploads")))
MEDIA_URL = None
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Security headers; the HTTPS-only parts switch on in production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not BENCHMARK_RELAXED)
    # A load balancer probes the backend over plain HTTP; a redirect would read as "down".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("SECURE_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if BENCHMARK_RELAXED:
        SILENCED_SYSTEM_CHECKS = ["security.W008"]

# A strict Content-Security-Policy: no inline script or style, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Mail: every message goes through the outbox and real SMTP.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("SMTP_HOST", "127.0.0.1")
EMAIL_PORT = env_int("SMTP_PORT", 1025 if not PRODUCTION else 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("SMTP_STARTTLS", False)
EMAIL_USE_SSL = env_bool("SMTP_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("SMTP_STARTTLS and SMTP_SSL cannot both be on.")
EMAIL_TIMEOUT = env_int("SMTP_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str("MAIL_FROM", "Aftersales <aftersales@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The domain used in Message-IDs of outgoing notices.
MAIL_DOMAIN = env_str(
    "MAIL_DOMAIN", DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].rstrip(">") or "localhost"
)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Background worker: huey on SQLite by default, Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL", "")
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("HUEY_NAME", "aftersales"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env_int("WORKER_THREADS", 2, minimum=1), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "aftersales",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env_int("WORKER_THREADS", 2, minimum=1), "worker_type": "thread"},
    }

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}
RATELIMIT_ENABLE = not BENCHMARK_RELAXED
# Behind a reverse proxy, the header holding the client's address (e.g.
# HTTP_X_REAL_IP): otherwise every visitor shares the proxy's limit.
RATELIMIT_IP_META_KEY = env_str("RATELIMIT_IP_META_KEY", "REMOTE_ADDR")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "aftersales.core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # Handled here, so run_huey does not add a plain-text handler of its own
        # (every worker line would be written twice).
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes": {"level": "WARNING"},
    },
}

SIMPLE_HISTORY_REVERT_DISABLED = True

# Labels shown in the UI for this installation.
COMPANY_NAME = env_str("COMPANY_NAME", "")
# Issue 7: every PDF renders in a process of its own, killed (SIGKILL) after
# this many seconds; the request gets a clear "could not be rendered" answer.
PDF_RENDER_TIMEOUT = env_int("PDF_RENDER_TIMEOUT", 30, minimum=1, maximum=600)
CSRF_FAILURE_VIEW = "aftersales.core.views.csrf_failure"

# --- Outbox (aftersales.notifications) ---------------------------------------
# How patiently email notices are retried. A failed attempt waits
# base * factor^(n-1) seconds, capped (defaults 1, 5, 25, 125 min, then 6 h);
# after OUTBOX_MAX_ATTEMPTS attempts the message is failed and shows as "not told".
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 6, minimum=1, maximum=50)
OUTBOX_BACKOFF_BASE_SECONDS = env_int("OUTBOX_BACKOFF_BASE_SECONDS", 60, minimum=1)
OUTBOX_BACKOFF_FACTOR = env_int("OUTBOX_BACKOFF_FACTOR", 5, minimum=1, maximum=100)
OUTBOX_BACKOFF_MAX_SECONDS = env_int("OUTBOX_BACKOFF_MAX_SECONDS", 6 * 3600, minimum=1)
# A message still "sending" this long after its attempt started counts as
# interrupted (the worker died) and is tried once more, under the same Message-ID.
OUTBOX_STUCK_SECONDS = env_int("OUTBOX_STUCK_SECONDS", max(300, 4 * EMAIL_TIMEOUT), minimum=60)
if OUTBOX_STUCK_SECONDS <= 3 * EMAIL_TIMEOUT:
    # Shorter, and a slow but live send would be started again beside itself.
    raise ImproperlyConfigured(
        f"OUTBOX_STUCK_SECONDS={OUTBOX_STUCK_SECONDS} must be more than three times SMTP_TIMEOUT={EMAIL_TIMEOUT}."
    )
# At most this many messages per run of the every-minute sweep.
OUTBOX_SWEEP_BATCH = env_int("OUTBOX_SWEEP_BATCH", 50, minimum=1)

# --- Proposals (aftersales.proposals, aftersales.portal) ---------------------
# How long a signed portal link in a notice stays valid.
PORTAL_LINK_MAX_AGE_DAYS = env_int("PORTAL_LINK_MAX_AGE_DAYS", 730, minimum=1)
# P4: the mailbox the intake reads. Unset host: no mailbox is read (the
# `aftersales intake-email` pipe still works). INTAKE_IMAP_SECURITY is "tls"
# (IMAPS), "starttls", or "plain", which is only accepted on loopback.
INTAKE_IMAP_HOST = env_str("INTAKE_IMAP_HOST", "")
INTAKE_IMAP_SECURITY = env_str("INTAKE_IMAP_SECURITY", "tls", choices=("tls", "starttls", "plain"))
INTAKE_IMAP_PORT = env_int(
    "INTAKE_IMAP_PORT", 993 if INTAKE_IMAP_SECURITY == "tls" else 143, minimum=1, maximum=65535
)
INTAKE_IMAP_USER = env_str("INTAKE_IMAP_USER", "")
INTAKE_IMAP_PASSWORD = env_str("INTAKE_IMAP_PASSWORD", "")
INTAKE_IMAP_FOLDER = env_str("INTAKE_IMAP_FOLDER", "INBOX")
INTAKE_IMAP_DONE_FOLDER = env_str("INTAKE_IMAP_DONE_FOLDER", "Aftersales/Processed")
INTAKE_IMAP_INTERVAL_MINUTES = env_int("INTAKE_IMAP_INTERVAL_MINUTES", 2, minimum=1, maximum=60)
if (
    INTAKE_IMAP_HOST
    and INTAKE_IMAP_SECURITY == "plain"
    and INTAKE_IMAP_HOST
    not in (
        "127.0.0.1",
        "::1",
        "localhost",
    )
):
    raise ImproperlyConfigured(
        "INTAKE_IMAP_SECURITY=plain sends the mailbox password in clear: only on loopback."
    )

"""zhili settings. Everything comes from the environment; see README (生产部署 / Production)."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from zhili.settings.env import (
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_data_keys,
    read_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent  # the zhili package
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(env_str("ZHILI_VAR_DIR", str(PROJECT_DIR / "var")))

DEBUG = env_bool("ZHILI_DEBUG", False)
# Behind TLS in production. The demo on http://127.0.0.1 sets ZHILI_HTTPS=0.
HTTPS = env_bool("ZHILI_HTTPS", True)

SECRET_KEY = read_secret("SECRET_KEY", required=not DEBUG, dev_default="dev-insecure-" + "x" * 50)
if not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY: must be at least 50 characters long")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS: not set (comma separated host names)")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

_raw_data_key = read_secret("ZHILI_DATA_KEY", required=not DEBUG, dev_default="")
# Personal data is encrypted with these keys (AES-256-GCM); the first is used for new values.
ZHILI_DATA_KEYS: dict[str, bytes] = (
    parse_data_keys("ZHILI_DATA_KEY", _raw_data_key) if _raw_data_key else {"dev": b"\0" * 32}
)
# Blind indexes (search by ID number or mobile) are keyed from this key, not from the current
# one, so that rotating the encryption key does not change them. Pin it before rotating.
ZHILI_INDEX_KEY_ID = env_str("ZHILI_INDEX_KEY_ID", "") or next(iter(ZHILI_DATA_KEYS))
if ZHILI_INDEX_KEY_ID not in ZHILI_DATA_KEYS:
    raise ImproperlyConfigured(
        f"ZHILI_INDEX_KEY_ID: {ZHILI_INDEX_KEY_ID!r} is not one of the key ids in ZHILI_DATA_KEY"
    )

# Election bulletin boards are signed with this Ed25519 key (32 bytes, base64). Unset: a key derived
# from SECRET_KEY (zhili.participation.elections.signing says so in a warning).
_raw_signing_key = read_secret("ZHILI_SIGNING_KEY", required=False)
try:
    ZHILI_SIGNING_KEY = base64.b64decode(_raw_signing_key, validate=True) if _raw_signing_key else b""
except (binascii.Error, ValueError):
    raise ImproperlyConfigured("ZHILI_SIGNING_KEY: not valid base64") from None
if ZHILI_SIGNING_KEY and len(ZHILI_SIGNING_KEY) != 32:
    raise ImproperlyConfigured(f"ZHILI_SIGNING_KEY: must decode to 32 bytes, got {len(ZHILI_SIGNING_KEY)}")

# Residents who moved out more than this many years ago are anonymised by ``zhili privacy sweep``.
ZHILI_RETENTION_YEARS = env_int("ZHILI_RETENTION_YEARS", 3, minimum=1, maximum=100)
# Look-ups of a resident by full ID number or mobile, per staff user per hour (each is audited).
ZHILI_NUMBER_SEARCH_LIMIT = env_int("ZHILI_NUMBER_SEARCH_LIMIT", 60, minimum=1)

INSTALLED_APPS = [
    # axes before accounts: its failed-login handler marks the request as locked out before our
    # audit handler records the attempt.
    "axes",
    # Then our apps: where two catalogues translate the same msgid (e.g. "Filter"), the app listed
    # first wins, and our words are chosen for this product (筛选, not the admin's 过滤器).
    "zhili.core",
    "zhili.accounts",
    "zhili.authz",
    "zhili.audit",
    "zhili.territory",
    "zhili.residents",
    "zhili.cases",
    "zhili.intelligence",
    "zhili.notify",
    "zhili.participation",
    "zhili.participation.surveys",
    "zhili.participation.consultations",
    "zhili.analytics",
    "zhili.analytics.assessment",
    "zhili.emergency",
    "zhili.disclosure",
    "zhili.party",
    "zhili.services",
    "zhili.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "ninja",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes last: it turns repeated failed logins into a lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zhili.urls"
WSGI_APPLICATION = "zhili.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhili.core.context_processors.navigation",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'zhili.sqlite3'}"
_db_url = env_str("DATABASE_URL", _default_db)
try:
    _db = dj_database_url.parse(_db_url, conn_max_age=env_int("ZHILI_DB_CONN_MAX_AGE", 60, minimum=0))
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL: cannot parse ({exc})") from None
if _db["ENGINE"] not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
    raise ImproperlyConfigured("DATABASE_URL: only sqlite:// and postgres:// are supported")
# PostgreSQL: the few plain statements every request sends (zhili.core.prepared) are prepared on
# the server once they have run this many times on a connection. 0 turns preparing off, for a
# connection pooler in transaction mode that does not keep prepared statements.
_prepare_threshold = env_int("ZHILI_DB_PREPARE_THRESHOLD", 5, minimum=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; NORMAL is durable enough with WAL;
        # IMMEDIATE takes the write lock at BEGIN so that two writers queue instead of deadlocking.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
    }
else:
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})["prepare_threshold"] = _prepare_threshold or None
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failures: 5 wrong passwords for one user from one address → 15 minutes.
AXES_FAILURE_LIMIT = env_int("ZHILI_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ZHILI_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and not DEBUG
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("ZHILI_BEHIND_PROXY", HTTPS) else None
)
SECURE_HSTS_SECONDS = 31536000 if HTTPS and not DEBUG else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PROJECT_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("ZHILI_STATIC_ROOT", str(VAR_DIR / "static")))
# Project-wide assets (zhili.css, vendored htmx/Leaflet) live outside any app directory.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("ZHILI_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

_redis_url = env_str("REDIS_URL", "")
if _redis_url:
    if not _redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("REDIS_URL: must start with redis://, rediss:// or unix://")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

_tasks_backend = env_str("ZHILI_TASKS_BACKEND", "database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if _tasks_backend not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"ZHILI_TASKS_BACKEND: one of {', '.join(_TASK_BACKENDS)}, got {_tasks_backend!r}"
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_tasks_backend]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("ZHILI_LOG_LEVEL", "INFO")},
    # Never log request bodies or query strings: they can carry personal data.
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50

# cases and notify: the signed-webhook secret, gateways for SMS and the WeCom group robot (unset:
# messages are printed to the console, demo mode), and how often a case may be returned (退单).
ZHILI_WEBHOOK_SECRET = read_secret("ZHILI_WEBHOOK_SECRET", required=False)
ZHILI_SMS_GATEWAY_URL = env_str("ZHILI_SMS_GATEWAY_URL", "")
ZHILI_SMS_GATEWAY_TOKEN = read_secret("ZHILI_SMS_GATEWAY_TOKEN", required=False)
ZHILI_WECOM_WEBHOOK_URL = read_secret("ZHILI_WECOM_WEBHOOK_URL", required=False)  # the URL holds the key
ZHILI_MAX_RETURNS = env_int("ZHILI_MAX_RETURNS", 2, minimum=0, maximum=10)

# E-mail (staff copies of escalations, zhili.notify): SMTP when EMAIL_HOST is set; unset, e-mails are
# printed to the console with the address masked (demo mode).
EMAIL_HOST = env_str("EMAIL_HOST", "").strip()
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the first byte (usually port 465)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)  # STARTTLS (usually port 587)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS: set EMAIL_USE_TLS or EMAIL_USE_SSL, not both")
EMAIL_PORT = env_int(
    "EMAIL_PORT", 465 if EMAIL_USE_SSL else 587 if EMAIL_USE_TLS else 25, minimum=1, maximum=65535
)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "").strip()
EMAIL_HOST_PASSWORD = read_secret("EMAIL_HOST_PASSWORD", required=False)
EMAIL_TIMEOUT = 10  # seconds: a stuck mail server must not hold the sender (it retries later)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "").strip()
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
if EMAIL_HOST and not DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured("DEFAULT_FROM_EMAIL: must be set when EMAIL_HOST is (the sender's address)")
if DEFAULT_FROM_EMAIL and "@" not in parseaddr(DEFAULT_FROM_EMAIL)[1]:
    raise ImproperlyConfigured(
        f"DEFAULT_FROM_EMAIL: expected an address like zhili@example.org, got {DEFAULT_FROM_EMAIL!r}"
    )
if EMAIL_HOST_USER and not EMAIL_HOST_PASSWORD:
    raise ImproperlyConfigured(
        "EMAIL_HOST_PASSWORD: must be set when EMAIL_HOST_USER is (or EMAIL_HOST_PASSWORD_FILE)"
    )
DEFAULT_FROM_EMAIL = DEFAULT_FROM_EMAIL or "zhili@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Where residents reach the site (https://host[/prefix]): links in text messages, such as an
# emergency alert's confirmation link, need it; unset, messages carry bare paths.
ZHILI_PUBLIC_URL = env_str("ZHILI_PUBLIC_URL", "").strip().rstrip("/")
if ZHILI_PUBLIC_URL:
    _public = urlsplit(ZHILI_PUBLIC_URL)
    if _public.scheme not in ("http", "https") or not _public.netloc or _public.query or _public.fragment:
        raise ImproperlyConfigured(
            f"ZHILI_PUBLIC_URL: expected https://host[/prefix], got {ZHILI_PUBLIC_URL!r}"
        )
# How many cases `zhili demo` plays into the demo street's last six months (tests use fewer).
ZHILI_DEMO_CASES = env_int("ZHILI_DEMO_CASES", 2000, minimum=0, maximum=100_000)

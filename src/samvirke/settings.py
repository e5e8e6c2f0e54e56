"""Settings from environment variables, with safe development defaults.

`SAMVIRKE_ENV=production` turns on every production safeguard and fails loudly on a missing or
weak value instead of falling back to a development default.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_str(name: str, default: str) -> str:
    """Return an environment variable, or the default when it is unset or empty."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    """Parse a boolean environment variable; reject anything that is not clearly yes or no."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    """Parse an integer environment variable, failing fast on a non-number."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    """Parse a comma-separated environment variable into a list of non-empty items."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


ENVIRONMENT = env_str("SAMVIRKE_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured("SAMVIRKE_ENV must be development, test or production")
PRODUCTION = ENVIRONMENT == "production"

DEV_SECRET_KEY = "insecure-development-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = env_str("SAMVIRKE_SECRET_KEY", "" if PRODUCTION else DEV_SECRET_KEY)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == DEV_SECRET_KEY):
    raise ImproperlyConfigured("SAMVIRKE_SECRET_KEY must be set to 50 or more random characters")

DEBUG = env_bool("SAMVIRKE_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("SAMVIRKE_DEBUG cannot be on in production")

ALLOWED_HOSTS = env_list("SAMVIRKE_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("SAMVIRKE_ALLOWED_HOSTS must list the host names Samvirke serves")
CSRF_TRUSTED_ORIGINS = env_list("SAMVIRKE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "samvirke.core",
    "samvirke.audit",
    "samvirke.accounts",
    "samvirke.tenancy",
    "samvirke.frameworks",
    "samvirke.baseline",
    "samvirke.benchmarking",
    "samvirke.reports",
    "samvirke.api",
    "samvirke.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "samvirke.core.uploads.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "samvirke.tenancy.middleware.ActiveOrganisationMiddleware",
    "samvirke.accounts.middleware.RequireMfaMiddleware",
]

ROOT_URLCONF = "samvirke.urls"
WSGI_APPLICATION = "samvirke.wsgi.application"

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
                "samvirke.tenancy.context_processors.active_organisation",
            ],
        },
    },
]

DEFAULT_SQLITE_PATH = PROJECT_DIR / "var" / "samvirke.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        conn_max_age=env_int("SAMVIRKE_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer commits; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One database cache for every gunicorn worker: login rate limits must count across workers.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "samvirke_cache",
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
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
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail (or username) login, no open sign-up: people join by invitation.
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_ADAPTER = "samvirke.accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "samvirke.accounts.forms.InvitationSignupForm"}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_RATE_LIMITS = {
    # A load test from one address may raise this; failed logins stay limited regardless.
    "login": env_str("SAMVIRKE_LOGIN_RATE", "30/m/ip"),
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "signup": "20/m/ip",
}
# Behind nginx set 1: allauth's rate limits and our audit trail then read the client's address
# from the proxy's X-Forwarded-For instead of seeing every request come from the proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("SAMVIRKE_TRUSTED_PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Samvirke"
SAMVIRKE_REQUIRE_MFA = env_bool("SAMVIRKE_REQUIRE_MFA", default=PRODUCTION)

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("nb", _("Norwegian Bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("SAMVIRKE_STATIC_ROOT", str(PROJECT_DIR / "var" / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("SAMVIRKE_MEDIA_ROOT", str(PROJECT_DIR / "var" / "media")))
# Tests serve static files through the live server; scanning them per test client is slow.
WHITENOISE_USE_FINDERS = ENVIRONMENT == "development"

EMAIL_BACKEND = env_str(
    "SAMVIRKE_EMAIL_BACKEND",
    {
        "production": "django.core.mail.backends.smtp.EmailBackend",
        "test": "django.core.mail.backends.locmem.EmailBackend",
    }.get(ENVIRONMENT, "django.core.mail.backends.console.EmailBackend"),
)
EMAIL_HOST = env_str("SAMVIRKE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("SAMVIRKE_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("SAMVIRKE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("SAMVIRKE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("SAMVIRKE_EMAIL_TLS", default=False)
EMAIL_TIMEOUT = env_int("SAMVIRKE_EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("SAMVIRKE_FROM_EMAIL", "samvirke@localhost")
#: The address people reach Samvirke at, for links in e-mails (reminders); no trailing slash.
SITE_URL = env_str("SAMVIRKE_SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")

# Background work (reminders, deadline closing): django-tasks on its database backend, run by
# `samvirke worker`. Both work on SQLite and PostgreSQL.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Cookies and transport security: strict in production, workable over plain HTTP on 127.0.0.1.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SAMVIRKE_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SAMVIRKE_SSL_REDIRECT", default=PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = env_int("SAMVIRKE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Request bodies: refuse oversized input before it reaches a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("SAMVIRKE_MAX_BODY_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# Whole requests, uploads included; file forms check their own smaller limits (5 MB for imports).
SAMVIRKE_MAX_REQUEST_BYTES = env_int("SAMVIRKE_MAX_REQUEST_BYTES", 21 * 1024 * 1024)
# Evidence files of answers; kept below the request limit so its own message is shown.
SAMVIRKE_EVIDENCE_MAX_BYTES = env_int("SAMVIRKE_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "samvirke.core.uploads.LimitedTemporaryFileUploadHandler",
]

NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 500
SAMVIRKE_API_TOKEN_DAYS = env_int("SAMVIRKE_API_TOKEN_DAYS", 90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SAMVIRKE_LOG_LEVEL", "WARNING")},
}

if ENVIRONMENT == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

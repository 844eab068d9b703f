"""Django settings for Limpia, read from environment variables (see docs/configuration.md)."""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from limpia.conf import (
    ConfigurationError,
    database_config,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_path,
    env_proxy_ssl_header,
    env_str,
    redis_url,
    replica_config,
    require_package,
    s3_storage,
    secret_key,
    waitress_trusted_proxy,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("LIMPIA_DATA_DIR", "./var")
DEBUG = env_bool("LIMPIA_DEBUG", False)
SECRET_KEY = secret_key(DATA_DIR, DEBUG, shared_database=bool(env_str("DATABASE_URL")))
ALLOWED_HOSTS = env_list(
    "LIMPIA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"], allow_empty=False
)
CSRF_TRUSTED_ORIGINS = env_list("LIMPIA_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "bootstrap",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "limpia.core",
    "limpia.access",
    "limpia.accounts",
    "limpia.plans",
    "limpia.registry",
    "limpia.agreements",
    "limpia.exchange",
    "limpia.knowledge",
    "limpia.network",
    "limpia.cooperation",
    "limpia.reports.apps.ReportsConfig",
    "limpia.api",
    "limpia.web",
]

MIDDLEWARE = [
    "limpia.core.memory.ReleaseAfterLargeResponseMiddleware",  # outermost: sees the final answer
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "limpia.web.middleware.ChosenLanguageMiddleware",
    "limpia.web.limits.RequestLimitsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "limpia.accounts.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "limpia.core.audit.SourceMiddleware",
    "axes.middleware.AxesMiddleware",  # django-axes answers lockouts before any view
    "limpia.api.cache.PublicReadCacheMiddleware",  # anonymous API reads at the data revision
]

ROOT_URLCONF = "limpia.urls"
WSGI_APPLICATION = "limpia.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_config(env_str("DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before the others
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:workspace"
LOGOUT_REDIRECT_URL = "web:home"

# Accounts and sign-in (docs/configuration.md). django-axes locks out a username from one address
# after LIMPIA_LOGIN_FAILURE_LIMIT failed logins (web, back office, API token) for the cool-off;
# a successful login clears the count.
AXES_FAILURE_LIMIT = env_int("LIMPIA_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LIMPIA_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the cool-off is what the message says
AXES_LOCKOUT_CALLABLE = "limpia.accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp", "code"]
AXES_VERBOSE = False  # no banner on every command; failures and lockouts are still logged
# Two-factor sign-in (django-otp, TOTP): optional for administrators unless this requires it.
ADMIN_REQUIRE_2FA = env_bool("LIMPIA_ADMIN_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = "Limpia"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the back office never shows an authenticator's secret

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English")), ("pt", _("Portuguese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("LIMPIA_TIME_ZONE", "America/Santiago")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str(
            "LIMPIA_STATICFILES_STORAGE",
            "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

# Security (docs/configuration.md, "Security"). LIMPIA_SECURE_COOKIES=true says the site is
# served over HTTPS, and turns on what only makes sense there; unset, `limpia demo` keeps
# working over plain HTTP on 127.0.0.1.
SERVED_OVER_HTTPS = env_bool("LIMPIA_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SERVED_OVER_HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # Django's default, stated: no session on cross-site posts
CSRF_COOKIE_HTTPONLY = True  # the pages send the token from their forms, never from the cookie
SESSION_COOKIE_AGE = env_int("LIMPIA_SESSION_SECONDS", 8 * 60 * 60)  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # government offices share computers
SECURE_SSL_REDIRECT = env_bool("LIMPIA_SSL_REDIRECT", SERVED_OVER_HTTPS)
# waitress speaks plain HTTP, so HTTPS means a TLS-terminating proxy in front: its header says
# whether the visitor came over HTTPS (without it, the redirect above would loop).
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header(
    "LIMPIA_PROXY_SSL_HEADER", "X-Forwarded-Proto" if SERVED_OVER_HTTPS else ""
)
# waitress drops the X-Forwarded-* headers from every peer but this proxy, so that a visitor
# cannot claim HTTPS or another address; from it, X-Forwarded-For becomes REMOTE_ADDR (the
# address django-axes counts failed logins by). `limpia serve` passes these to waitress.
WAITRESS_TRUSTED_PROXY = waitress_trusted_proxy()
SECURE_HSTS_SECONDS = env_int("LIMPIA_HSTS_SECONDS", 365 * 24 * 60 * 60 if SERVED_OVER_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LIMPIA_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("LIMPIA_HSTS_PRELOAD", False)
# Preloading binds the whole registrable domain (often a ministry's or the government's) for
# years: its owner decides, so `check --deploy` does not nag each installation about it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Everything is served from this site: no CDN, no inline script or style (the progress bars
# use classes from limpia.css); the SVG charts and uploaded files send stricter policies.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Input limits: larger or more crowded requests are refused with a message that says which
# limit (limpia.web.limits). Uploaded files have their own limits (20 MB, checked by content).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("LIMPIA_MAX_REQUEST_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("LIMPIA_MAX_REQUEST_FIELDS", 1000)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("LIMPIA_MAX_REQUEST_FILES", 10)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an anonymous write is answered 401 with WWW-Authenticate.
        "limpia.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["limpia.api.permissions.RulesPermission"],
    "DEFAULT_PAGINATION_CLASS": "limpia.api.pagination.Pagination",
    # `?search=` where a view names its search_fields (case-insensitive, every word must match)
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    "EXCEPTION_HANDLER": "limpia.api.errors.exception_handler",
    # OPTIONS and the HTML pages describe the bodies the views read, to who may send them.
    "DEFAULT_METADATA_CLASS": "limpia.api.metadata.Metadata",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "limpia.api.metadata.BrowsableAPIRenderer",
    ],
    "COERCE_DECIMAL_TO_STRING": False,
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Limpia API",
    "DESCRIPTION": "Plans, indicators, targets and measurements of cleaner production policy.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge image from validator.swagger.io: nothing leaves the site (and the CSP blocks it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # drf-spectacular's default hook, then the error answers every operation can give.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "limpia.api.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "limpia.plans.models.PlanStatus",
        "MeasurementStatusEnum": "limpia.plans.models.MeasurementStatus",
        "AgreementStageEnum": "limpia.agreements.models.Stage",
        "ApiTokenStatusEnum": "limpia.accounts.models.TokenStatus",
        # the names these had before the network's own scope and state came to share them
        "ScopeEnum": "limpia.agreements.models.Scope",
        "StateEnum": "limpia.api.agreement_serializers.CONSULTATION_STATES",
        "CooperationKindEnum": "limpia.cooperation.models.Kind",
        "ProgrammeKindEnum": "limpia.cooperation.models.ProgrammeKind",
        "NeedStatusEnum": "limpia.cooperation.models.NeedStatus",
    },
}

# Background jobs (imports): "database" keeps them in the database for `limpia worker` (which
# `limpia serve` and `limpia demo` start beside the web server); "immediate" runs them inside the
# request that queues them (the test suite, or an installation that wants no worker); "rq" keeps
# them in Redis (LIMPIA_REDIS_URL) for `limpia worker` processes on any machine (the scale extra).
# A running import job silent for this long has lost its worker (docs/configuration.md).
JOB_STALL_SECONDS = env_int("LIMPIA_JOB_STALL_SECONDS", 120)
TASKS_BACKEND = env_choice("LIMPIA_TASKS_BACKEND", "database", ("database", "immediate", "rq"))
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "rq": "django_tasks_rq.RQBackend",
        }[TASKS_BACKEND]
    }
}

# Redis (docs/operations.md, "Scaling past one machine"): unset, nothing uses it. Set, the cache
# is Redis (shared by every app server) and sessions are cached there, kept in the database too.
REDIS_URL = redis_url("LIMPIA_REDIS_URL")
if TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ConfigurationError(
            "LIMPIA_TASKS_BACKEND=rq needs LIMPIA_REDIS_URL (the Redis the jobs wait in), "
            "which is unset"
        )
    require_package("django_tasks_rq", needed_by="LIMPIA_TASKS_BACKEND=rq")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 6 * 60 * 60}}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "limpia",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Uploaded files on S3-compatible object storage (django-storages, the scale extra) when
# LIMPIA_S3_BUCKET is set; unset, they stay in MEDIA_ROOT, inside the data directory.
if S3_STORAGE := s3_storage():
    STORAGES["default"] = S3_STORAGE

# A read replica of the PostgreSQL database (core/replica.py): anonymous GET and HEAD requests
# read from it outside any transaction and until their first write; everything else uses
# "default". The test suite leaves it out (settings_test.py).
if REPLICA_URL := env_str("LIMPIA_REPLICA_DATABASE_URL"):
    DATABASES["replica"] = replica_config(REPLICA_URL, DATABASES["default"], DATA_DIR)
    DATABASE_ROUTERS = ["limpia.core.replica.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "limpia.core.replica.PublicReadMiddleware",
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "LIMPIA_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        ),
    },
}

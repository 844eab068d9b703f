"""Django settings for Limpia, read from environment variables (see docs/configuration.md)."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from limpia.conf import (
    database_config,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_path,
    env_str,
    secret_key,
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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "bootstrap",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "limpia.core",
    "limpia.access",
    "limpia.plans",
    "limpia.registry",
    "limpia.agreements",
    "limpia.exchange",
    "limpia.knowledge",
    "limpia.reports.apps.ReportsConfig",
    "limpia.api",
    "limpia.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "limpia.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("LIMPIA_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("LIMPIA_MAX_REQUEST_BYTES", 5 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an anonymous write is answered 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["limpia.api.permissions.RulesPermission"],
    "DEFAULT_PAGINATION_CLASS": "limpia.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "limpia.api.errors.exception_handler",
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
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "limpia.plans.models.PlanStatus",
        "MeasurementStatusEnum": "limpia.plans.models.MeasurementStatus",
        "AgreementStageEnum": "limpia.agreements.models.Stage",
    },
}

# Background jobs (imports): "database" keeps them in the database for `limpia worker` (which
# `limpia serve` and `limpia demo` start beside the web server); "immediate" runs them inside the
# request that queues them (the test suite, or an installation that wants no worker).
TASKS_BACKEND = env_choice("LIMPIA_TASKS_BACKEND", "database", ("database", "immediate"))
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND]
    }
}

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

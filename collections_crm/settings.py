"""Settings for the collections CRM: one module, driven by the environment.

Development defaults are safe for a laptop (SQLite and an embedded Celery broker
under ``var/``); production is switched on by ``DEBUG=0`` and then refuses to
start without a real ``SECRET_KEY``. Every variable is listed in README.md
(tests/foundation/test_environment_documented.py keeps the two in step).
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from collections_crm.lib.env import env_bool, env_int, env_list, env_str

# openpyxl parses with lxml when lxml is installed (pyHanko brings it); the import engine's
# guards against hostile workbooks are written and tested for the standard library's parser.
os.environ.update(OPENPYXL_LXML="False")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DEBUG off) needs a long random secret: "
            "export SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_urlsafe(64))')\". "
            "For local development set DEBUG=1 instead (make run and make test do)."
        )
    # Development only: a fixed key so sessions survive restarts of `make run`.
    SECRET_KEY = "dev-only-insecure-key-never-used-when-debug-is-off-3f9a1c"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "template_partials",
    "collections_crm.axes_config.SignInAttemptsConfig",  # django-axes, its name translated
    "csp",
    "collections_crm",
    "collections_crm.users",
    "debtors",
    "calls",
    "promises",
    "scoring",
    "conversations",
    "documents",
    "selfservice",
    "supervision",
    "desk",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session is looked up: a forged cookie with a NUL would fail the query.
    "collections_crm.middleware.UnstorableCookieMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "collections_crm.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the user and language are known (its 400 page is in their language), before any view.
    "collections_crm.middleware.UnstorableInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "collections_crm.urls"
WSGI_APPLICATION = "collections_crm.wsgi.application"

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
                "collections_crm.context_processors.navigation",
            ],
            # `unlocalize` everywhere: ids and page numbers in links and form values must never
            # carry the thousand separator ("2 996") that USE_THOUSAND_SEPARATOR adds to numbers.
            "builtins": ["django.templatetags.l10n"],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("DATABASE_JIT", default=False):
    # PostgreSQL's JIT compiles any query its planner thinks is costly, which here means the
    # jobs' batch queries: a quarter of a second of compiling for a query that runs in less.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write to the same file: WAL lets readers run beside a writer,
    # IMMEDIATE transactions and a busy timeout make writers queue instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that a Celery worker or a browser test can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and sign-in ---------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed sign-ins: five wrong passwords for one user name from one address
# lock that pair out for a quarter of an hour (django-axes).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# --- Internationalisation and time ------------------------------------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # storage; people see their own zone and the debtor's
DEFAULT_USER_TIME_ZONE = env_str("DEFAULT_USER_TIME_ZONE", "America/Lima")
USE_THOUSAND_SEPARATOR = True
# One clock style per language, the debtor's times like the reader's (collections_crm/formats).
FORMAT_MODULE_PATH = ["collections_crm.formats"]

# --- Static files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploaded files (call recordings) go to local disk under MEDIA_ROOT unless an S3-compatible
# bucket is configured; either way pages serve them only through a view that checks access.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    # django-storages reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment
    # (or the instance role); the endpoint makes MinIO, Ceph, R2… work the same way.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
            "default_acl": None,
            "querystring_auth": True,  # links expire: a recording is personal data
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 300),
            "file_overwrite": False,
        },
    }
CALL_RECORDING_MAX_BYTES = env_int("CALL_RECORDING_MAX_MB", 50) * 1024 * 1024

# Dashboards count a payment or a promise made on the day it happened in this zone.
DASHBOARD_TIME_ZONE = env_str("DASHBOARD_TIME_ZONE", DEFAULT_USER_TIME_ZONE)

# --- E-mail (console by default: password-reset mails appear in the terminal) ------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cobranza@localhost")

# --- Messages to debtors (reminders, agreement summaries) ----------------------------------
# "file" writes var/outbox/<channel>.jsonl, "console" prints, "http" posts to a gateway,
# "twilio" (SMS, WhatsApp) and "whatsapp_cloud" (Meta) are the real providers; a dotted path
# names your own promises.messaging.Provider subclass.
SMS_PROVIDER = env_str("SMS_PROVIDER", "file")
WHATSAPP_PROVIDER = env_str("WHATSAPP_PROVIDER", "file")
MESSAGING_HTTP_URL = env_str("MESSAGING_HTTP_URL", "")
MESSAGING_HTTP_TOKEN = env_str("MESSAGING_HTTP_TOKEN", "")
MESSAGING_HTTP_TIMEOUT = env_int("MESSAGING_HTTP_TIMEOUT", 10)
if "http" in (SMS_PROVIDER, WHATSAPP_PROVIDER) and not MESSAGING_HTTP_URL:
    raise ImproperlyConfigured("SMS_PROVIDER or WHATSAPP_PROVIDER is 'http' but MESSAGING_HTTP_URL is not set.")
# The address providers reach us at (https://crm.example.com): Twilio signs the URL it calls,
# and our status callbacks are built from it. Webhooks: /hooks/messages/<provider>/.
MESSAGING_WEBHOOK_BASE_URL = env_str("MESSAGING_WEBHOOK_BASE_URL", "")

# Letters are signed (PAdES) with this PKCS#12 file's certificate; empty: a self-signed one
# the install makes once under VAR_DIR (integrity, not identity).
DOCUMENT_SIGNING_P12 = env_str("DOCUMENT_SIGNING_P12", "")
DOCUMENT_SIGNING_P12_PASSWORD = env_str("DOCUMENT_SIGNING_P12_PASSWORD", "")

# --- The debtor's self-service page and payment links --------------------------------
# Links sent to debtors start with this address (https://pagos.example.com); empty: the desk
# user's own address. Payments: "stripe" (Checkout Sessions), "file" (development: a local
# page pays at a click; never with DEBUG off) or "" (no online payment).
SELF_SERVICE_BASE_URL = env_str("SELF_SERVICE_BASE_URL", "")
PAYMENT_PROVIDER = env_str("PAYMENT_PROVIDER", "file" if DEBUG else "")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_API_KEY = env_str("STRIPE_API_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
if PAYMENT_PROVIDER not in ("", "file", "stripe") or (PAYMENT_PROVIDER == "file" and not DEBUG):
    raise ImproperlyConfigured("PAYMENT_PROVIDER is 'stripe' or empty in production ('file' only with DEBUG=1).")
if PAYMENT_PROVIDER == "stripe" and not (STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured("PAYMENT_PROVIDER is 'stripe': set STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET.")
TWILIO_API_URL = env_str("TWILIO_API_URL", "https://api.twilio.com")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
# A number (+1…) or a Messaging Service (MG…); WhatsApp's is the business number.
TWILIO_SMS_FROM = env_str("TWILIO_SMS_FROM", "")
TWILIO_WHATSAPP_FROM = env_str("TWILIO_WHATSAPP_FROM", "")
WHATSAPP_CLOUD_API_URL = env_str("WHATSAPP_CLOUD_API_URL", "https://graph.facebook.com/v21.0")
WHATSAPP_CLOUD_TOKEN = env_str("WHATSAPP_CLOUD_TOKEN", "")
WHATSAPP_CLOUD_PHONE_NUMBER_ID = env_str("WHATSAPP_CLOUD_PHONE_NUMBER_ID", "")
WHATSAPP_CLOUD_APP_SECRET = env_str("WHATSAPP_CLOUD_APP_SECRET", "")
WHATSAPP_CLOUD_VERIFY_TOKEN = env_str("WHATSAPP_CLOUD_VERIFY_TOKEN", "")

_PROVIDER_SETTINGS = {
    "twilio": ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"),
    "whatsapp_cloud": ("WHATSAPP_CLOUD_TOKEN", "WHATSAPP_CLOUD_PHONE_NUMBER_ID", "WHATSAPP_CLOUD_APP_SECRET"),
}
for _channel, _provider in (("SMS", SMS_PROVIDER), ("WHATSAPP", WHATSAPP_PROVIDER)):
    _needed = _PROVIDER_SETTINGS.get(_provider, ())
    if _provider == "twilio":
        _needed += (f"TWILIO_{_channel}_FROM",)
    if _missing := [name for name in _needed if not globals()[name]]:
        raise ImproperlyConfigured(f"{_channel}_PROVIDER is '{_provider}' but {', '.join(_missing)} not set.")
if SMS_PROVIDER == "whatsapp_cloud":
    raise ImproperlyConfigured("SMS_PROVIDER cannot be 'whatsapp_cloud': the WhatsApp Cloud API sends WhatsApp only.")

# Click-to-call (calls.dialers): tel (the phone's own link), vicidial or asterisk; Asterisk's
# channel holds the collector's {extension}, its context dials out after ASTERISK_DIAL_PREFIX.
DIALER = env_str("DIALER", "tel")
DIALER_WEBHOOK_TOKEN = env_str("DIALER_WEBHOOK_TOKEN", "")  # /hooks/dialer/…: dispositions, recordings
VICIDIAL_URL, VICIDIAL_SOURCE = env_str("VICIDIAL_URL", ""), env_str("VICIDIAL_SOURCE", "crm")
VICIDIAL_API_USER, VICIDIAL_API_PASS = env_str("VICIDIAL_API_USER", ""), env_str("VICIDIAL_API_PASS", "")
ASTERISK_AMI_HOST, ASTERISK_AMI_PORT = env_str("ASTERISK_AMI_HOST", "127.0.0.1"), env_int("ASTERISK_AMI_PORT", 5038)
ASTERISK_AMI_USERNAME, ASTERISK_AMI_SECRET = env_str("ASTERISK_AMI_USERNAME", ""), env_str("ASTERISK_AMI_SECRET", "")
ASTERISK_CHANNEL = env_str("ASTERISK_CHANNEL", "PJSIP/{extension}")
ASTERISK_CONTEXT = env_str("ASTERISK_CONTEXT", "from-internal")
ASTERISK_DIAL_PREFIX, ASTERISK_CALLER_NAME = env_str("ASTERISK_DIAL_PREFIX", ""), env_str("ASTERISK_CALLER_NAME", "CRM")
_dialer_needs = {"tel": (), "vicidial": (VICIDIAL_URL, VICIDIAL_API_USER, VICIDIAL_API_PASS)}
_dialer_needs["asterisk"] = (ASTERISK_AMI_USERNAME, ASTERISK_AMI_SECRET, "{extension}" in ASTERISK_CHANNEL)
if DIALER not in _dialer_needs or not all(_dialer_needs[DIALER]):
    raise ImproperlyConfigured("DIALER must be tel, or vicidial or asterisk with their settings (see the README).")

# --- Security -----------------------------------------------------------------------
# Messages live in the session (the database), never in a cookie: the cookie storage only
# signs them, so a new API token shown once in the admin would travel readable in it.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)  # one working day
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # Behind a TLS-terminating proxy, set SECURE_SSL_REDIRECT=0 and let the proxy
    # redirect; the forwarded header still tells Django the request was HTTPS.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if not SECURE_SSL_REDIRECT:
        # The proxy in front redirects to HTTPS; Django's own check cannot see it.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]

# Content-Security-Policy (django-csp): scripts, styles, fonts and everything else from this
# site only; no inline script, event handler or style attribute anywhere (page data travels
# in json_script blocks, behaviour in static/js). The API's Redoc page relaxes styles for
# itself (collections_crm/api/docs.py). Recordings on S3 play from the bucket's signed links.
_MEDIA_SOURCES = [SELF]
if AWS_STORAGE_BUCKET_NAME:
    _endpoint = urlsplit(env_str("AWS_S3_ENDPOINT_URL", "") or "https://s3.amazonaws.com")
    _MEDIA_SOURCES.append(f"{_endpoint.scheme}://*.{_endpoint.netloc}")
    _MEDIA_SOURCES.append(f"{_endpoint.scheme}://{_endpoint.netloc}")
    if not env_str("AWS_S3_ENDPOINT_URL", ""):
        _MEDIA_SOURCES.append("https://*.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": _MEDIA_SOURCES,
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # A dialer or a payment feed sends a per-user token; the browser sends its session (with CSRF).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "collections_crm.api.authentication.ApiTokenAuthentication",
        "collections_crm.api.authentication.BrowserSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["collections_crm.api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "collections_crm.api.throttling.ApiUserThrottle",
    ],
    "DEFAULT_PAGINATION_CLASS": "collections_crm.api.pagination.ApiPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "collections_crm.api.filters.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "collections_crm.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "collections_crm.api.exceptions.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}
# Requests a user may send, e.g. "1200/min", "50/second"; "off" for no limit.
API_THROTTLE_USER = env_str("API_THROTTLE_USER", "1200/min")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The throttles' counters: shared by every web process through Redis when there is one.
    "api_throttle": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("REDIS_URL"),
            "KEY_PREFIX": "api-throttle",
        }
        if env_str("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-throttle"}
    ),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Collections CRM API",
    "DESCRIPTION": (
        "For dialers, payment feeds and integrations. The same rules and scope as the web pages: "
        "a collector reaches the debtors assigned to them, a supervisor those of their teams, an "
        "admin all; anything else answers 404. Amounts are strings with two decimals beside their "
        "currency; times are ISO 8601 with their UTC offset."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CallOutcomeEnum": "calls.models.CallOutcome",
        "LoggableOutcomeEnum": "calls.api.LOGGABLE_OUTCOMES",
        "PhoneStatusEnum": "debtors.models.Phone.Status",
        "PromiseStatusEnum": "promises.models.PromiseStatus",
        "FollowUpStatusEnum": "calls.models.FollowUp.Status",
        "PhoneKindEnum": "debtors.models.Phone.Kind",
        "ImportKindEnum": "debtors.models.ImportKind",
        "ImportStatusEnum": "debtors.models.ImportJob.Status",
        "ChannelEnum": "calls.models.call.Channel",
        "ConsentChannelEnum": "debtors.models.history.CONSENT_CHANNELS",
        "ChangeSourceEnum": "debtors.models.ChangeSource",
    },
    # The pages' scripts are files, never inline (Content-Security-Policy): see api/docs.py.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Ids in paths are bounded (collections_crm.api.converters): longer ones answer 404.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999}},
}

# --- Celery ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    # No server needed: kombu's SQLAlchemy transport on a SQLite file. (Its filesystem
    # transport can read half-written messages and stop consuming: kombu issue 1551.)
    (VAR_DIR / "celery").mkdir(exist_ok=True)
    CELERY_BROKER_URL = f"sqla+sqlite:///{VAR_DIR / 'celery' / 'broker.sqlite3'}"
    CELERY_RESULT_BACKEND = f"db+sqlite:///{VAR_DIR / 'celery' / 'results.sqlite3'}"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
# A task is acknowledged only once it has finished; a worker killed mid-task leaves the
# message on the queue for another worker. Every task is written to be safe to rerun.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Installs sharing one Redis keep apart by giving each its own queue name.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celery" / "beat-schedule"))
# The periodic jobs and their periods (each settable from the environment).
from collections_crm.beat import CELERY_BEAT_SCHEDULE  # noqa: E402, F401 (a setting)

# --- Logging ---------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

"""RunnerWay settings: one module, driven by the environment (every variable is in `.env.example`).

Two ways to run, told apart by EMBEDDED, never by DEBUG:
- The embedded mode (`make run`; the default on SQLite): one machine, SQLite file, local-memory cache, email
  printed to the terminal, a django-q2 ORM broker, plain HTTP on 127.0.0.1, and a random signing key made on
  first use and kept in var/secret_key. DEBUG stays off: errors are plain pages, never Django's debug pages.
- Production (EMBEDDED off, the default on MariaDB): SECRET_KEY, ALLOWED_HOSTS and HTTPS come from the
  environment; behaviour switches through variables (DATABASE_URL, REDIS_URL, EMAIL_URL, ...).
DEBUG is a developer's switch on top of either (debug pages, no HTTPS defaults); `.env.example` leaves it off.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # runtime files of the embedded mode (SQLite, road networks, uploads, secret key)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _or_default(value: str, cast, default):
    """A variable read as text: empty (as `.env.example` ships most of them) means the default."""
    return default if value == "" else env.parse_value(value, cast)


DEBUG = env.bool("DEBUG", default=False)

# --- Database (first: the embedded mode's default follows from it) ----------------------------------------------
DATABASES = {"default": env.db_url_config(env("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
_SQLITE = _db["ENGINE"] == "django.db.backends.sqlite3"

# A SQLite database is one machine, so it is the embedded mode unless EMBEDDED says otherwise.
EMBEDDED = _or_default(env("EMBEDDED", default=""), bool, _SQLITE)
# Served over HTTPS (the production security switches below default on) unless embedded or debugging.
_HTTPS = not (EMBEDDED or DEBUG)

# The signing key of sessions and JWTs. In the embedded mode (and for DEBUG) without SECRET_KEY: a random key made
# once per checkout in var/secret_key (never committed, readable by the owner only), shared by runserver, qcluster
# and every manage.py command of the checkout. There is no built-in key: a token signed with any known key fails.
SECRET_KEY_FILE = VAR_DIR / "secret_key"


def _checkout_secret_key(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a private file, then linked into place: when runserver and qcluster start together, the
    # first link wins, the other process reads the winner's key, and nobody ever reads a half-written file.
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(64) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (EMBEDDED or DEBUG):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set outside the embedded mode (see .env.example; EMBEDDED=true uses var/secret_key).")
    SECRET_KEY = _checkout_secret_key(SECRET_KEY_FILE)
    # A key that is whitespace only or truncated (a failed write) must not sign anything.
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(f"{SECRET_KEY_FILE} holds no usable key: delete it to make a new one.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "runnerway.admin_site.RunnerWayAdminConfig",  # django.contrib.admin with our site (runnerway/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.kakao",
    "axes",
    "runnerway",
    "accounts",
    "routes",
    "workouts",
    "goals",
    "community",
    "push",
    "data_export",
    "operations",  # last: the top layer, which imports every app above (README, "Layout")
]

MIDDLEWARE = [
    "runnerway.middleware.ApiTrailingSlashMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware: each request (API and admin) speaks its Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "runnerway.middleware.ApiUtcMiddleware",  # the API's datetimes stay UTC (`Z`) while the admin shows Seoul
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "runnerway.replicas.PrimaryPinMiddleware",
    "axes.middleware.AxesMiddleware",  # turns an admin lockout into its 429 page
    "runnerway.middleware.ReleaseDrfCyclesMiddleware",
]

ROOT_URLCONF = "runnerway.urls"
WSGI_APPLICATION = "runnerway.wsgi.application"
# Functions (dotted paths) a WSGI worker runs as it boots, after the app registry is loaded (runnerway/wsgi.py):
# the route planner's recognisability rasters and each shape's own figure are built then, not inside the first
# route request's planning budget (CPU). Named here rather than imported, so the platform imports no app.
WARM_UP = ["routes.services.warm_planner"]
ASGI_APPLICATION = "runnerway.asgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database connections ----------------------------------------------------------------------------
if _SQLITE:
    VAR_DIR.mkdir(exist_ok=True)
    # The API and the qcluster write to one file: WAL lets readers run beside a writer, IMMEDIATE
    # transactions take the write lock up front (no "database is locked" mid-transaction), and the
    # timeout lets a writer wait its turn instead of failing.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file (not :memory:) so that a real qcluster process started by a test sees the test database.
    _db.setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test_db.sqlite3")
elif _db["ENGINE"] in ("django.db.backends.mysql",):
    # utf8mb4 for Korean text and emoji; strict mode so MariaDB refuses bad data instead of truncating it.
    _db.setdefault("OPTIONS", {}).update(
        {
            "charset": "utf8mb4",
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES', innodb_strict_mode=1",
            "isolation_level": "read committed",
        }
    )
    # The server default may be latin1: create the test database utf8mb4 explicitly.
    _db.setdefault("TEST", {}).update({"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"})
_db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
_db["CONN_HEALTH_CHECKS"] = True
# A read replica of the primary (MariaDB replication). Only the heavy reads that views mark (feed, stats) go
# there (runnerway/replicas.py); a user who just wrote reads from the primary for REPLICA_PIN_SECONDS, and reads
# fall back to the primary while the replica cannot be reached.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    _replica = env.db_url_config(DATABASE_REPLICA_URL)
    _replica["OPTIONS"] = {**_db.get("OPTIONS", {}), **_replica.get("OPTIONS", {})}
    if _replica["ENGINE"] == "django.db.backends.mysql":
        # A replica that is down must cost a request little before it falls back to the primary.
        _replica["OPTIONS"].setdefault("connect_timeout", 2)
    _replica.update(CONN_MAX_AGE=_db["CONN_MAX_AGE"], CONN_HEALTH_CHECKS=True, TEST={"MIRROR": "default"})
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["runnerway.replicas.PrimaryReplicaRouter"]
# Seconds after a user's write during which that user's reads stay on the primary (> the replica's lag).
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=5)
# Seconds a process reads only from the primary after the replica failed to connect.
REPLICA_RETRY_SECONDS = env.int("REPLICA_RETRY_SECONDS", default=10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: throttles and OTP rate counters must be shared by every process in production -------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Django's Redis backend, reusing one client per pool (runnerway/cache.py: ~0.15 ms less per cache call)
    CACHES = {"default": {"BACKEND": "runnerway.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "runnerway"}}
# Rows read through the cache (runnerway.cache.CacheAside), seconds; 0 = off. On by default only with Redis: a
# per-process local-memory cache would never hear the invalidations of other processes (the job worker).
# Empty (as in .env.example) means the default.
TOKEN_USER_CACHE_TIMEOUT = int(env("TOKEN_USER_CACHE_TIMEOUT", default="") or (300 if REDIS_URL else 0))
WORKOUT_DETAIL_CACHE_TIMEOUT = int(env("WORKOUT_DETAIL_CACHE_TIMEOUT", default="") or (300 if REDIS_URL else 0))

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out admin login before any password check
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.NotOnlyWhitespaceValidator"},
]
# Admin login (django-axes; the API's logins have their own throttles): after ADMIN_LOGIN_FAILURE_LIMIT wrong
# passwords from one address, or for one staff email from anywhere, the admin login answers 429 for the cool-off.
# Attempts are rows (shown in the admin under "Axes"); `manage.py axes_reset` lifts every lock.
AXES_ONLY_ADMIN_SITE = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # attempts listed in the admin; right in every cache mode
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# The admin form's field and authenticate()'s argument (axes would look for USERNAME_FIELD, email, and find nothing).
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.tasks.client_ip"  # the address the API throttles see (NUM_PROXIES)
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no start-up banner on every manage.py command and worker
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
SOCIALACCOUNT_PROVIDERS = {"kakao": {"APP": {"client_id": env("KAKAO_APP_ID", default=""), "secret": ""}}}

# Kakao: the server verifies the SDK token itself (allauth cannot verify a token sent by an app).
KAKAO_APP_ID = env("KAKAO_APP_ID", default="")
KAKAO_API_URL = env("KAKAO_API_URL", default="https://kapi.kakao.com").rstrip("/")
KAKAO_REST_API_KEY = env("KAKAO_REST_API_KEY", default="")  # Kakao Local (geocoding of route starts)
KAKAO_LOCAL_API_URL = env("KAKAO_LOCAL_API_URL", default="https://dapi.kakao.com").rstrip("/")
OUTBOUND_HTTP_TIMEOUT_S = env.float("OUTBOUND_HTTP_TIMEOUT_S", default=5.0)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=14),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- Email ------------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F821 - set by the line above
    # consolemail:// prints each mail readably (its text, the login code in a box) rather than raw MIME.
    EMAIL_BACKEND = "runnerway.mail.ConsoleEmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="RunnerWay <no-reply@runnerway.app>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # seconds; a hung SMTP server must not hold a worker

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["runnerway.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "runnerway.api.negotiation.ApiContentNegotiation",
    # JSON bodies only; the two uploads (avatar, workout import) declare multipart themselves. Anything else sent
    # to a JSON endpoint is a 415 `unsupported_media_type`, and the schema offers clients JSON alone.
    "DEFAULT_PARSER_CLASSES": ["runnerway.api.parsers.JSONParser"],  # with a nesting limit
    # No `?format=` override: a file endpoint answers its file whatever the query, and the schema has no
    # parameter that does nothing. Clients choose with Accept.
    "URL_FORMAT_OVERRIDE": None,
    "EXCEPTION_HANDLER": "runnerway.api.exceptions.envelope_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "runnerway.api.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "runnerway.api.throttling.UserRateThrottle",  # fixed window: one Redis round trip a request
    ],
    # Korean carriers put many phones behind one address (carrier-grade NAT): the strict limits are per email or
    # account and per device (X-Device-Id; a client without one counts as its address), the per-address ones are
    # ceilings that only stop floods (accounts/throttles.py). The defaults let 50 runners behind one address sign
    # up and log in within a minute.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="120/min"),
        "user": env("THROTTLE_USER", default="600/min"),
        # per client address (flood ceilings)
        "login": env("THROTTLE_LOGIN", default="120/min"),  # password and Kakao logins
        "signup_address": env("THROTTLE_SIGNUP_ADDRESS", default="60/min"),
        "otp_request_address": env("THROTTLE_OTP_REQUEST_ADDRESS", default="300/hour"),
        "otp_verify": env("THROTTLE_OTP_VERIFY", default="120/min"),
        # per device
        "signup_device": env("THROTTLE_SIGNUP_DEVICE", default="10/hour"),
        "login_device": env("THROTTLE_LOGIN_DEVICE", default="30/min"),
        "otp_request_device": env("THROTTLE_OTP_REQUEST_DEVICE", default="10/hour"),
        # per email: guessing one account's password (or code) from many addresses and devices
        "login_email": env("THROTTLE_LOGIN_EMAIL", default="10/min"),
        "otp_request_email": env("THROTTLE_OTP_REQUEST_EMAIL", default="1/min"),
        "otp_verify_email_address": env("THROTTLE_OTP_VERIFY_EMAIL_ADDRESS", default="10/min"),
        "route_plan": env("THROTTLE_ROUTE_PLAN", default="20/min"),  # per user
        # per client address (several runners may share one)
        "route_plan_address": env("THROTTLE_ROUTE_PLAN_ADDRESS", default="60/min"),
        # GPX/FIT imports per user: each queues a job of up to IMPORT_TIME_BUDGET_S; a runner bringing in
        # their history uploads a few dozen files, not hundreds an hour.
        "workout_import": env("THROTTLE_WORKOUT_IMPORT", default="30/hour"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Wrong emailed codes allowed within an hour (accounts.services.otp_verify): per email from one client address (so a
# stranger cannot lock the owner out from elsewhere), and per email from all addresses (the bound on a spread-out
# guesser: 20 an hour is a 1-in-50,000 chance of hitting a 6-digit code).
OTP_MAX_FAILURES_PER_ADDRESS = env.int("OTP_MAX_FAILURES_PER_ADDRESS", default=5)
OTP_MAX_FAILURES_PER_EMAIL = env.int("OTP_MAX_FAILURES_PER_EMAIL", default=20)

SPECTACULAR_SETTINGS = {
    "TITLE": "RunnerWay API",
    "DESCRIPTION": (
        "REST API for the RunnerWay mobile apps: GPS-art running routes, live GPS workouts, goals and "
        "community. Every response is wrapped in the success envelope `{success, data, message}` or the "
        "error envelope `{success: false, error: {code, message, fields}}`."
    ),
    "VERSION": "1.0.0",
    # The product's terms (runnerway.app is the product domain, as in DEFAULT_FROM_EMAIL).
    "LICENSE": {"name": "Proprietary: for the RunnerWay apps and their partners", "url": "https://runnerway.app/terms"},
    # The schema served at /api/schema names the server it came from (runnerway.api.schema); this one is for
    # `manage.py spectacular` files.
    "SERVERS": [{"url": "http://127.0.0.1:8000", "description": "`make run` on this machine"}],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "runnerway.api.schema.wrap_in_envelope_hook",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RouteStatusEnum": "routes.models.Route.Status",
        "ActivityTypeEnum": "routes.models.Route.ActivityType",  # running|walking, shared with workouts
        "HealthStateEnum": ["ok", "down"],  # health: overall status and database
        "NotificationTypeEnum": "community.models.Notification.Type",
        "NotificationTargetTypeEnum": "community.serializers.NOTIFICATION_TARGET_TYPES",
        "TargetTypeEnum": "goals.models.Goal.TargetType",  # goals; a notification's target_type differs
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The docs pages fetch nothing from outside (runnerway.api.docs): no online validator, system fonts rather
    # than Google Fonts.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_UI_SETTINGS": {
        "theme": {"typography": {
            "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans KR', sans-serif",
            "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans KR', sans-serif"},
            "code": {"fontFamily": "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"},
        }},
    },
}

# --- Background jobs (django-q2, ORM broker) ----------------------------------------------------------
# The ORM broker acknowledges a task only after it ran, so a killed worker's task is delivered again.
# A task that raises is NOT acknowledged (`ack_failures` off): the broker hands it out again after `retry`
# seconds, up to `max_attempts` runs; then it is acknowledged and stays visible as a failure in the admin.
# `retry` must exceed `timeout`, or a slow task would be handed to a second worker while still running.
Q_CLUSTER = {
    "name": "runnerway",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=120),
    "retry": env.int("Q_RETRY", default=180),
    "max_attempts": 5,
    "ack_failures": False,
    "save_limit": 1000,
    "catch_up": False,
    "poll": 0.5,
    "label": "Background jobs",
}

# --- Push notifications: Firebase Cloud Messaging HTTP v1 (push/fcm.py) -------------------------------------
# Without a project id (the embedded mode) pushes are printed by the job worker instead.
FCM_PROJECT_ID = env("FCM_PROJECT_ID", default="")
FCM_CREDENTIALS_FILE = env("FCM_CREDENTIALS_FILE", default="")
FCM_ENDPOINT = env("FCM_ENDPOINT", default="https://fcm.googleapis.com")
FCM_TIMEOUT = env.float("FCM_TIMEOUT", default=10.0)

# --- Data exports: seconds a signed download link (and the zip behind it) lives --------------------------------
DATA_EXPORT_LINK_MAX_AGE_S = env.int("DATA_EXPORT_LINK_MAX_AGE_S", default=24 * 3600)
# Seconds one run of the export job writes before it hands the rest to its next run (well under Q_TIMEOUT).
DATA_EXPORT_TASK_BUDGET_S = env.float("DATA_EXPORT_TASK_BUDGET_S", default=45.0)

# --- i18n, static, media ------------------------------------------------------------------------------
# Korean first: a client that asks for neither language (or none) gets Korean; `Accept-Language: en` English.
# Each app's catalogue is in <app>/locale/ko (found through INSTALLED_APPS, so no LOCALE_PATHS); English is the
# source text. The compiled .mo files are committed (runnerway/tests/test_translations.py keeps them in step).
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
# Stored in UTC (USE_TZ); shown in Seoul time in the admin and used for "today" on the server. The API answers
# in UTC whatever this says (runnerway.middleware.ApiUtcMiddleware, API.md: `2026-05-01T06:30:00Z`).
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / env("MEDIA_ROOT", default=str(VAR_DIR / "media"))  # relative: to the checkout
# Production serves `collectstatic`'s hashed files; the embedded mode (and DEBUG) serve the apps' static folders
# as they are through whitenoise's finders, so `make run` needs no collectstatic and shows the admin and docs.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if EMBEDDED or DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = EMBEDDED or DEBUG
if WHITENOISE_USE_FINDERS:
    import warnings

    # STATIC_ROOT is collectstatic's output, which serving from the finders does not need.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
# --- Admin maps (Leaflet, vendored under runnerway/static/vendor/): the only outside request the admin makes is for
# map tiles. OpenStreetMap's tile server suits staff use (its usage policy: light traffic, with attribution);
# point ADMIN_MAP_TILE_URL at your own or a commercial tile service for heavier use.
ADMIN_MAP_TILE_URL = env("ADMIN_MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
ADMIN_MAP_TILE_ATTRIBUTION = env(
    "ADMIN_MAP_TILE_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors')
# Upload caps: the avatar limit is 5 MB; a GPX/FIT import may be larger, so the request cap is 20 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# GPX/FIT imports run as jobs (workouts/imports.py). An import holds at most IMPORT_MAX_POINTS fixes (100 000:
# 27 hours at 1 Hz, an ultra plus its warm-up; more is refused as `too_many_points`) and stops after
# IMPORT_TIME_BUDGET_S (`import_timeout`), which must stay below Q_TIMEOUT so the budget, not the queue, ends
# a slow import. The uploaded file waits in IMPORT_UPLOAD_DIR (not under MEDIA_ROOT: never served) until its
# job finished; every web and qcluster host must see the same directory.
IMPORT_MAX_POINTS = env.int("IMPORT_MAX_POINTS", default=100_000)
IMPORT_TIME_BUDGET_S = env.float("IMPORT_TIME_BUDGET_S", default=60.0)
IMPORT_UPLOAD_DIR = BASE_DIR / env("IMPORT_UPLOAD_DIR", default="var/imports")  # relative to the checkout

# Road networks built by `import_osm` (one file per network, memory-mapped by each process).
ROAD_NETWORK_DIR = BASE_DIR / env("ROAD_NETWORK_DIR", default=str(VAR_DIR / "networks"))
# Route planning runs inside the request: its search stops after this much CPU time (process_time) and
# returns the best options found, so no request costs more than ~1 s of CPU (DESIGN.md target: p50 <= 1.0 s,
# p95 <= 2.5 s on 2 cores). CPU, not wall time: a busy machine delays the answer but does not cut the search.
ROUTE_PLAN_TIME_BUDGET_S = env.float("ROUTE_PLAN_TIME_BUDGET_S", default=1.0)
# Placing a figure by hand (`POST /routes/{id}/options`, the live drag) routes one placement: it must answer
# in a fraction of a second, so its CPU budget is far below planning's.
ROUTE_PLACE_TIME_BUDGET_S = env.float("ROUTE_PLACE_TIME_BUDGET_S", default=0.5)
# Wall-clock cap on either (seconds): a process starved of CPU still answers with what it found by then.
ROUTE_PLAN_WALL_LIMIT_S = env.float("ROUTE_PLAN_WALL_LIMIT_S", default=8.0)

# --- Security (production values come from the environment; `check --deploy` must pass) ----------------
# Empty means the default: on when served over HTTPS (not embedded, not DEBUG), off on the embedded mode's plain
# http://127.0.0.1, where a secure-only cookie would never come back and the admin could not log in.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _or_default(env("SECURE_SSL_REDIRECT", default=""), bool, _HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
SESSION_COOKIE_SECURE = _or_default(env("SESSION_COOKIE_SECURE", default=""), bool, _HTTPS)
CSRF_COOKIE_SECURE = _or_default(env("CSRF_COOKIE_SECURE", default=""), bool, _HTTPS)
SECURE_HSTS_SECONDS = _or_default(env("SECURE_HSTS_SECONDS", default=""), int, 31536000 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _or_default(env("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=""), bool, _HTTPS)
SECURE_HSTS_PRELOAD = _or_default(env("SECURE_HSTS_PRELOAD", default=""), bool, _HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Logging: one line per event on stderr; secrets and OTP codes are never logged ---------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
# The job worker's own lines (a cluster started, each task processed): in the embedded mode they would bury the
# printed mail in the terminal, so only warnings and failures show there.
Q_LOG_LEVEL = env("Q_LOG_LEVEL", default="") or ("WARNING" if EMBEDDED else LOG_LEVEL)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "django-q": {"level": Q_LOG_LEVEL}},
}

# --- Retention of the hourly cleanup job (operations/maintenance.py) and the analytics day ----------------
ACTIVITY_LOG_RETENTION_DAYS = env.int("ACTIVITY_LOG_RETENTION_DAYS", default=365)
READ_NOTIFICATION_RETENTION_DAYS = env.int("READ_NOTIFICATION_RETENTION_DAYS", default=90)
ROUTE_OPTION_RETENTION_DAYS = env.int("ROUTE_OPTION_RETENTION_DAYS", default=30)
ANALYTICS_TIME_ZONE = env("ANALYTICS_TIME_ZONE", default="Asia/Seoul")

# Port of the embedded mode's API (`make run`, `manage.py serve_embedded`; always on 127.0.0.1).
PORT = env.int("PORT", default=8000)

# `make loadtest` only: adds GET /api/v1/_loadtest/bare (a bare JsonResponse, the baseline of the load report).
LOADTEST_BARE_VIEW = env.bool("LOADTEST_BARE_VIEW", default=False)

"""Settings for every environment; production differs only by environment variables."""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.deploy import DEV_SECRET, check_required
from config.env import env_bool, env_int, env_list, env_str
from config.mail import email_settings
from config.security import content_security_policy

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEV_SECRET if DEBUG else "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "csp",
    "infra",
    "geo",
    "locations",
    "proposals",
    "surveys",
    "api",
    "audit",
    "accounts",
    # The job queue in PostgreSQL; before `outbox`, whose admin refines the queue's.
    "procrastinate.contrib.django",
    "outbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files with hashed names and a year of caching, served by the app itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.security.SecurityHeadersMiddleware",
    # JSON 411/413 before anything reads an API body; JSON 503 while the database is away.
    "api.middleware.ApiGuardMiddleware",
    # CORS for public reads, and their preflight answered before any view (api/cors.py).
    "api.cors.PublicReadCorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# The project's own PostGIS cluster (made by `make db`) unless DATABASE_URL names another.
_PORT_FILE = BASE_DIR / "var" / "pgport"  # written by scripts/db.sh when it picks the port
_LOCAL_PORT = env_int("MMK_PGPORT", int(_PORT_FILE.read_text()) if _PORT_FILE.exists() else 54329)
_LOCAL_DB = f"postgis://mitmachkarte@127.0.0.1:{_LOCAL_PORT}/mitmachkarte"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _LOCAL_DB),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        # A kept connection is checked before a request reuses it: after a database restart
        # each worker reconnects instead of failing its first request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.contrib.gis.db.backends.postgis":
    raise ImproperlyConfigured("DATABASE_URL must name a PostGIS database (postgis://…).")
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "") or None}
# PostgreSQL compiles a query with JIT when its *estimated* cost is high, and the correlated
# vote/comment subqueries inflate that estimate: measured on 100k-1M proposals, JIT spent
# 30-220 ms compiling export, OGC and tile queries that ran 0.1-1 s. Off for our sessions,
# unless DATABASE_URL passes its own `options`.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Phases and voting windows are judged in the city's own time zone.
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic writes hashed copies (and gzip ones) and a manifest; WhiteNoise serves them
    # with "Cache-Control: max-age=315360000, immutable", since a changed file gets a new name.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "proposals:home"
# Links in e-mails need the site's address; requests are not at hand when a service sends them.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
# The platform's name as people read it (e-mails greet with it, never with the host name).
PLATFORM_NAME = env_str("PLATFORM_NAME", "Mitmachkarte")

SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# GDAL < 3.9 (Debian 12 ships 3.6) makes Django 5.2 warn on every command; the GDAL features
# we use are all present in 3.6, so the warning carries no information here.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    # Writes of views with a `throttle_scope` count against RATE_LIMITS (infra/ratelimit.py).
    "DEFAULT_THROTTLE_CLASSES": ["infra.ratelimit.WriteThrottle"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Mitmachkarte API",
    "DESCRIPTION": (
        "Citizen participation on the city map: projects, sites, proposals, comments, votes."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Self-hosted Swagger UI / ReDoc: no request from a browser to a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Statuses every view can answer and bounds of path parameters (api/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.openapi.complete_responses",
    ],
}

# The map's base layer is a setting: a city may run its own tile server.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
MAP_TILE_MAX_ZOOM = env_int("MAP_TILE_MAX_ZOOM", 19)
# Above this many pins a project map draws vector tiles (/api/v1/tiles/) instead of markers.
MAP_VECTOR_TILE_THRESHOLD = env_int("MAP_VECTOR_TILE_THRESHOLD", 5000)
# Pages kept per app server process for visitors who are not signed in (infra/pagecache.py), in
# MB; 0 renders every page anew. A small project's page is about 20 kB.
PAGE_CACHE_BYTES = env_int("PAGE_CACHE_MB", 16) * 1024 * 1024
# Up to this zoom, a vector tile holding more than MAP_TILE_CLUSTER_ABOVE proposals carries
# clusters (a count per cell of its grid) instead of pins: a browser draws a hundred clusters
# where it choked on a hundred thousand pins. Deeper zooms always show the pins themselves.
MAP_TILE_CLUSTER_MAX_ZOOM = env_int("MAP_TILE_CLUSTER_MAX_ZOOM", 16)
MAP_TILE_CLUSTER_ABOVE = env_int("MAP_TILE_CLUSTER_ABOVE", 200)
if "{z}" not in MAP_TILE_URL or not urlsplit(MAP_TILE_URL).scheme.startswith("http"):
    raise ImproperlyConfigured("MAP_TILE_URL must be an http(s) URL template containing {z}.")

# Imported sites and districts must lie within the city boundary plus this margin (metres):
# a wrong CRS puts a site in New York, and that is refused per feature.
IMPORT_CITY_MARGIN_M = env_int("IMPORT_CITY_MARGIN_M", 1000)
if IMPORT_CITY_MARGIN_M < 0:
    raise ImproperlyConfigured("IMPORT_CITY_MARGIN_M must be 0 or more (metres).")

# Security headers (config/security.py): no origin but ours, except the tile server for images.
CONTENT_SECURITY_POLICY = content_security_policy(MAP_TILE_URL)
PERMISSIONS_POLICY = "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"

# Accounts (django-allauth): sign-up with a confirmed e-mail address, login by e-mail or username.
# Django's and allauth's backends, loading the signed-in user without compiling an ORM query on
# every request (accounts/backends.py). Sessions store the backend's path: sessions made under the
# old paths ("django.contrib.auth.backends.ModelBackend", ...) are anonymous, so a deployment of
# this change signs everybody out once.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
# Django's database sessions, loaded by one prepared statement (accounts/sessions.py). Not signed
# cookies and not a per-process cache: a logout must end the session on every worker at once.
SESSION_ENGINE = "accounts.sessions"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_USER_DISPLAY = "accounts.selectors.display_name"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{PLATFORM_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_LOGOUT_REDIRECT_URL = "proposals:home"
ACCOUNT_SESSION_REMEMBER = None  # the login form asks
# allauth's own limits (per client IP, or per e-mail address as "key"), kept in CACHES.
ACCOUNT_RATE_LIMITS = {
    "signup": env_str("RATE_LIMIT_SIGNUP", "20/m/ip,100/h/ip"),
    "login": env_str("RATE_LIMIT_LOGIN", "30/m/ip"),
    "login_failed": env_str("RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "reset_password": env_str("RATE_LIMIT_PASSWORD_RESET", "20/m/ip,5/m/key"),
}
# Behind a reverse proxy the client's address is the n-th from the right in X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Our limits on writes, per signed-in person, counted in the database (infra/ratelimit.py):
# "count/period", period in s, m, h or d (e.g. "60/m", "10/5m"); empty means no limit.
RATE_LIMITS = {
    "pins": env_str("RATE_LIMIT_PINS", "10/m"),
    "comments": env_str("RATE_LIMIT_COMMENTS", "10/m"),
    "votes": env_str("RATE_LIMIT_VOTES", "60/m"),
    "reports": env_str("RATE_LIMIT_REPORTS", "10/m"),
    "surveys": env_str("RATE_LIMIT_SURVEYS", "10/m"),
}

# allauth's counters (and anything else cached) must be shared by all app server processes: the
# database. Room enough that culling never drops live counters.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "mmk_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

# E-mail: the console in development, SMTP in production (EMAIL_URL or EMAIL_HOST & co.), or
# files in a folder (EMAIL_BACKEND_FILE_PATH, for browser tests). See config/mail.py.
_EMAIL = email_settings(debug=DEBUG)
EMAIL_BACKEND = _EMAIL.backend
if _EMAIL.file_path:
    EMAIL_FILE_PATH = _EMAIL.file_path
EMAIL_HOST = _EMAIL.host
EMAIL_PORT = _EMAIL.port
EMAIL_HOST_USER = _EMAIL.user
EMAIL_HOST_PASSWORD = _EMAIL.password
EMAIL_USE_TLS = _EMAIL.use_tls
EMAIL_USE_SSL = _EMAIL.use_ssl
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Mitmachkarte <mitmachkarte@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler", "level": env_str("DJANGO_LOG_LEVEL", "INFO")}
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # The queue announces its task registration on every command; its worker's lines stay.
    "loggers": {
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},  # the alerts' daily digest job
    },
}

# --- Production: required settings, HTTPS, the job queue, read replicas (config/deploy.py) ---
# Without DJANGO_DEBUG the secret key, the host names and the public address must be given.
check_required(debug=DEBUG, secret_key=SECRET_KEY, allowed_hosts=ALLOWED_HOSTS, site_url=SITE_URL)
# HTTPS: HSTS (seconds; 0 = off), the redirect from http, and the header by which a TLS proxy
# says the request came in over HTTPS ("X-Forwarded-Proto: https" with DJANGO_BEHIND_PROXY).
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# A load balancer's probes reach the app over plain HTTP: they must not be redirected.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
if env_bool("DJANGO_BEHIND_PROXY", default=ALLAUTH_TRUSTED_PROXY_COUNT > 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Links in e-mails are built from SITE_URL; allauth's from the request (https behind a proxy).
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(SITE_URL).scheme or ACCOUNT_DEFAULT_HTTP_PROTOCOL

# Mail leaves the request: the backend queues a job (outbox/), the worker that `make serve`
# starts delivers it with EMAIL_DELIVERY_BACKEND. In development (DJANGO_DEBUG) mail goes
# straight to the console unless EMAIL_QUEUE=true.
EMAIL_DELIVERY_BACKEND = EMAIL_BACKEND
if env_bool("EMAIL_QUEUE", default=not DEBUG):
    EMAIL_BACKEND = "outbox.backends.QueuedEmailBackend"
# A stalled mail server holds one worker thread this long, never a request.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
EMAIL_QUEUE_RETRIES = env_int("EMAIL_QUEUE_RETRIES", 10)
EMAIL_QUEUE_RETRY_BASE = env_int("EMAIL_QUEUE_RETRY_BASE", 2)  # waits of base**n seconds
PROCRASTINATE_DATABASE_ALIAS = "default"
PROCRASTINATE_READONLY_MODELS = True

# Read replicas (config/replicas.py): DATABASE_REPLICA_URLS, comma-separated postgis:// URLs of
# streaming replicas. Read-only requests read from one of them; writes and a person's requests
# for REPLICA_PIN_SECONDS after their own write use the primary; a replica that does not answer
# (within 2 s) is skipped for REPLICA_RETRY_SECONDS.
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 15)
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 10)
for _n, _url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    _replica = dj_database_url.parse(_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"])
    if _replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS must name PostGIS databases.")
    _replica["OPTIONS"] = {**DATABASES["default"]["OPTIONS"], "connect_timeout": 2}
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_n}"] = _replica
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["config.replicas.ReplicaRouter"]
    MIDDLEWARE.insert(0, "config.replicas.ReplicaMiddleware")

# CORS for the public read-only resources (api/cors.py): which origins' web pages may read the
# OGC API, the tiles, the public REST reads and the catalogue. `*` (the default) lets any page
# read them; a list (https://gis.example.org,https://karte.example.org) only those. Writes and
# anything needing a session or token never get CORS, whatever this says.
CORS_ALLOWED_ORIGINS = tuple(env_list("CORS_ALLOWED_ORIGINS", ["*"]))
for _origin in CORS_ALLOWED_ORIGINS:
    _parts = urlsplit(_origin)
    if _origin != "*" and (
        _parts.scheme not in ("http", "https") or not _parts.netloc or _parts.path
    ):
        raise ImproperlyConfigured(
            f"CORS_ALLOWED_ORIGINS: {_origin!r} is not an origin (scheme://host[:port]) or *."
        )

# The catalogue of the public data sets (DCAT-AP.de, /api/catalog/): who publishes them, whom to
# ask, under which licence (a URI of the DCAT-AP.de licence vocabulary), and the contributor id
# GovData assigns to the city (until then, one made from SITE_URL).
CATALOG_PUBLISHER = env_str("CATALOG_PUBLISHER", "Stadtverwaltung")
CATALOG_CONTACT_EMAIL = env_str("CATALOG_CONTACT_EMAIL", "opendata@localhost")
CATALOG_LICENSE = env_str("CATALOG_LICENSE", "http://dcat-ap.de/def/licenses/dl-by-de/2.0")
CATALOG_ATTRIBUTION = env_str("CATALOG_ATTRIBUTION", CATALOG_PUBLISHER)
CATALOG_CONTRIBUTOR_ID = env_str("CATALOG_CONTRIBUTOR_ID", f"{SITE_URL.rstrip('/')}/#publisher")
for _name, _uri in (
    ("CATALOG_LICENSE", CATALOG_LICENSE),
    ("CATALOG_CONTRIBUTOR_ID", CATALOG_CONTRIBUTOR_ID),
):
    if urlsplit(_uri).scheme not in ("http", "https"):
        raise ImproperlyConfigured(f"{_name} must be an http(s) URI, not {_uri!r}.")

# Follows, alerts, implementation progress, feeds and embeds (proposals/alerts).
INSTALLED_APPS += ["proposals.alerts"]
RATE_LIMITS["follows"] = env_str("RATE_LIMIT_FOLLOWS", "30/m")
# When the queue's worker sends the daily digests (cron syntax, server time zone).
ALERT_DIGEST_CRON = env_str("ALERT_DIGEST_CRON", "0 7 * * *")
# When the worker deletes picture files no row refers to any more (proposals/tasks.py).
MEDIA_PRUNE_CRON = env_str("MEDIA_PRUNE_CRON", "30 3 * * *")
# Origins that may show a project's embed page in an <iframe> (CSP frame-ancestors on that page
# only; every other page stays 'none'), e.g. "https://www.kaiserslautern.de". Empty: nobody.
EMBED_FRAME_ANCESTORS = env_list("EMBED_FRAME_ANCESTORS", [])
for _origin in EMBED_FRAME_ANCESTORS:
    if not _origin.startswith(("https://", "http://")) or _origin.count("/") != 2:
        raise ImproperlyConfigured(
            f"EMBED_FRAME_ANCESTORS takes origins such as https://www.example.org, not {_origin!r}."
        )

# Photos with proposals and project images (infra/images.py checks and re-encodes them).
# Uploaded files live under MEDIA_ROOT and are served by a view that asks who may see them
# (proposals/photo_views.py), never straight from a public URL. With MEDIA_ACCEL_REDIRECT (a
# path prefix, e.g. /_protected_media/) the view answers with X-Accel-Redirect and nginx sends
# the file from its `internal` location (deploy/nginx.conf); empty: the app sends it itself.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
MEDIA_ACCEL_REDIRECT = env_str("MEDIA_ACCEL_REDIRECT", "")
if MEDIA_ACCEL_REDIRECT and not (
    MEDIA_ACCEL_REDIRECT.startswith("/") and MEDIA_ACCEL_REDIRECT.endswith("/")
):
    raise ImproperlyConfigured("MEDIA_ACCEL_REDIRECT must be a path like /_protected_media/.")
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 10_000_000)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000)  # a 48 MP phone stays below 2x
IMAGE_MIN_EDGE = env_int("IMAGE_MIN_EDGE", 64)
IMAGE_MAX_EDGE = env_int("IMAGE_MAX_EDGE", 1600)
IMAGE_THUMBNAIL_EDGE = env_int("IMAGE_THUMBNAIL_EDGE", 480)
PHOTOS_PER_PROPOSAL = env_int("PHOTOS_PER_PROPOSAL", 3)
if not 0 < IMAGE_MIN_EDGE <= IMAGE_THUMBNAIL_EDGE <= IMAGE_MAX_EDGE:
    raise ImproperlyConfigured(
        "Need 0 < IMAGE_MIN_EDGE <= IMAGE_THUMBNAIL_EDGE <= IMAGE_MAX_EDGE (pixels)."
    )
if IMAGE_MAX_BYTES <= 0 or IMAGE_MAX_PIXELS <= 0 or PHOTOS_PER_PROPOSAL <= 0:
    raise ImproperlyConfigured(
        "IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS, PHOTOS_PER_PROPOSAL must be > 0."
    )

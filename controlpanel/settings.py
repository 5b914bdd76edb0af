"""Settings for the OpenClaw control panel.

One file, read top to bottom. Everything the panel owns is configured through ``CP_*`` environment
variables; the helpers below fail loudly on malformed values instead of guessing.

Two deployment shapes are chosen by the environment alone:

* embedded default: SQLite under ``var/`` and the in-memory channel layer (no other server);
* scale-out: ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (channels-redis), several ASGI workers.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

from controlpanel.identity.group_roles import RuleError, parse_rules
from controlpanel.identity.proxies import ProxyAddressError, parse_networks

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default)
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be 'True' or 'False', not {value!r}")
    return value == "True"


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def envsecret(name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (Docker/systemd credentials)."""
    if path := os.environ.get(f"{name}_FILE"):
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
    return os.environ.get(name)


def database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL: only postgresql:// is supported, not {parsed.scheme!r}")
    return {
        # Django's backend with a pool that recovers at once after a server restart (see its docstring).
        "ENGINE": "controlpanel.dbpool",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 0,  # connections come from the pool (persistent ones are per thread)
        "OPTIONS": {
            "pool": {
                "min_size": envint("CP_DB_POOL_MIN", "2"),
                "max_size": envint("CP_DB_POOL_MAX", "20"),
                "timeout": 10,
            }
        },
    }


DEBUG = envbool("CP_DEBUG", "False")
VAR_DIR = Path(envstr("CP_VAR_DIR", str(BASE_DIR / "var")))


def secret_key() -> str:
    """``CP_SECRET_KEY``, or the file ``CP_SECRET_KEY_FILE`` names, or ``var/secret_key`` (which `make run`
    creates once, mode 600), so that every ``manage.py`` command works after `make run` as written."""
    if key := envsecret("CP_SECRET_KEY"):
        return key
    default = VAR_DIR / "secret_key"
    if default.is_file() and (key := default.read_text().strip()):
        return key
    if DEBUG:
        return "insecure-development-key-" + "x" * 40
    raise ImproperlyConfigured(
        f"No secret key: run `make run` once (it creates {default}), "
        "or set CP_SECRET_KEY or CP_SECRET_KEY_FILE."
    )


SECRET_KEY = secret_key()

ALLOWED_HOSTS = [h.strip() for h in envstr("CP_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
if "*" in ALLOWED_HOSTS:
    # With "*" any Host header is the panel's own, so any site reached through DNS rebinding would
    # pass the WebSocket origin check (live/origin.py; cross-site WebSocket hijacking).
    raise ImproperlyConfigured(
        "CP_ALLOWED_HOSTS must list host names; '*' disables the WebSocket origin check"
    )

INSTALLED_APPS = [
    "daphne",  # first: gives `runserver` an ASGI server
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "csp",  # django-csp: the Content-Security-Policy header (Django 5.2 has none built in)
    "axes",  # django-axes: login throttling
    "django_otp",  # second factor (docs/security.md): TOTP devices and static recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",  # passkeys (WebAuthn) as django-otp devices
    # Before django_tasks_db: the panel's `db_worker` (heartbeats, recovery, retries, the schedule)
    # replaces the plain one of the same name.
    "controlpanel",
    "django_tasks",  # Django's tasks API (backport of django.tasks)
    "django_tasks_db",  # its database backend: the task rows live in DATABASES["default"]
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): a second factor in this session
    # A user header accepted only from CP_TRUSTED_PROXIES (controlpanel/authn/proxy.py).
    "controlpanel.authn.proxy.TrustedProxyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during authentication into a response.
    "axes.middleware.AxesMiddleware",
    # Innermost and sync-only, so the chain above runs in one thread hop (see its docstring).
    "controlpanel.middleware.SyncMiddlewareChain",
]

ROOT_URLCONF = "controlpanel.urls"
ASGI_APPLICATION = "controlpanel.asgi.application"
WSGI_APPLICATION = "controlpanel.wsgi.application"

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
                "controlpanel.context_processors.panel",
            ],
        },
    },
]

if database_url := envsecret("DATABASE_URL"):
    DATABASES = {"default": database_from_url(database_url)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "controlpanel.sqlite3",
            # Approvals claim rows with conditional UPDATEs; wait for the write lock instead of failing.
            # WAL: the web server, the task worker and the gateway worker read while one writes; with
            # synchronous=NORMAL a commit does not wait for fsync (a power cut may lose the last
            # commits, never consistency). A commit went from ~35 ms to well under 1 ms here
            # (bench/notify_latency.py).
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

# Live alerts fan out to many sockets per worker. The pub/sub layer publishes a group message once
# and each worker copies it to its own sockets; the list-based core layer pushes one copy per socket
# through Redis and drops messages beyond 100 queued per worker (bench/alerts_latency.py).
# CP_CHANNEL_LAYER=core selects the core layer. Either way the database is the record; sockets resync.
CHANNEL_BACKENDS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}
if redis_url := envsecret("REDIS_URL"):
    channel_layer = envstr("CP_CHANNEL_LAYER", "pubsub")
    if channel_layer not in CHANNEL_BACKENDS:
        raise ImproperlyConfigured(f"CP_CHANNEL_LAYER must be 'pubsub' or 'core', not {channel_layer!r}")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": CHANNEL_BACKENDS[channel_layer],
            # A Redis that stops answering must not hold a request for the OS connect timeout
            # (minutes): fail fast, the database is the record (tests/alerts/test_faults.py).
            "CONFIG": {"hosts": [{"address": redis_url, "socket_connect_timeout": 2}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The ingest rate limit counts per token across workers: Redis when there is one, else per process.
if redis_url:
    CACHES = {
        "default": {
            "BACKEND": "controlpanel.cache.SharedPoolRedisCache",
            "LOCATION": redis_url,
            # Fail fast when Redis hangs; the ingest rate limiter then counts per process.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gateway-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed file names: browsers may cache static files forever.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# A config larger than this is refused with a clear message rather than parsed.
CP_MAX_CONFIG_BYTES = envint("CP_MAX_CONFIG_BYTES", str(512 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = CP_MAX_CONFIG_BYTES + 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = CP_MAX_CONFIG_BYTES + 64 * 1024

# Audits run in a child process killed after this many seconds (state "timed out").
CP_AUDIT_TIMEOUT_SECONDS = envint("CP_AUDIT_TIMEOUT_SECONDS", "60")
# A command prefix for the audit child (shell words), e.g. "nice -n 10" or "prlimit --as=2000000000".
CP_AUDIT_EXEC_PREFIX = envstr("CP_AUDIT_EXEC_PREFIX")

# Background work (controlpanel/background/, docs/architecture.md "Background work"): Django's tasks
# API with the database backend, so a task row commits or rolls back with the caller's transaction.
# Workers: `manage.py db_worker` (each one also enqueues the periodic tasks, at most once per period).
TASKS = {
    "default": {
        "BACKEND": "controlpanel.background.backend.DatabaseBackend",
        # "gateways": tasks needing a live gateway connection, run by the gateway worker holding it.
        "QUEUES": ["default", "gateways"],
    }
}
# Each worker writes a heartbeat this often; a task whose worker has been silent for
# CP_TASK_WORKER_LOST_SECONDS is run again (or given up once its attempts are spent).
CP_TASK_HEARTBEAT_SECONDS = envint("CP_TASK_HEARTBEAT_SECONDS", "5")
CP_TASK_WORKER_LOST_SECONDS = envint("CP_TASK_WORKER_LOST_SECONDS", "30")
if not 0 < CP_TASK_HEARTBEAT_SECONDS < CP_TASK_WORKER_LOST_SECONDS:
    raise ImproperlyConfigured("CP_TASK_HEARTBEAT_SECONDS must be > 0 and < CP_TASK_WORKER_LOST_SECONDS")

# Gateway workers share the linked gateways by leases (services/gateway_leases.py): each renews its
# leases every RENEW seconds for LEASE seconds. A dead worker's gateways are taken over about LEASE
# seconds after its last renewal; a worker whose renewals fail drops its connections before then.
CP_GATEWAY_LEASE_SECONDS = envint("CP_GATEWAY_LEASE_SECONDS", "9")
CP_GATEWAY_LEASE_RENEW_SECONDS = envint("CP_GATEWAY_LEASE_RENEW_SECONDS", "2")
if not 0 < 3 * CP_GATEWAY_LEASE_RENEW_SECONDS <= CP_GATEWAY_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "CP_GATEWAY_LEASE_RENEW_SECONDS must be positive and at most a third of CP_GATEWAY_LEASE_SECONDS"
    )

# Runtime event ingest (POST /api/v1/gateways/<code>/events): body size, events per body, requests
# per token per minute. The body limit stays under DATA_UPLOAD_MAX_MEMORY_SIZE so Django reads it.
CP_MAX_INGEST_BYTES = envint("CP_MAX_INGEST_BYTES", str(512 * 1024))
CP_MAX_INGEST_EVENTS = envint("CP_MAX_INGEST_EVENTS", "10000")
CP_INGEST_RATE_PER_MINUTE = envint("CP_INGEST_RATE_PER_MINUTE", "600")
DATA_UPLOAD_MAX_MEMORY_SIZE = max(DATA_UPLOAD_MAX_MEMORY_SIZE, CP_MAX_INGEST_BYTES + 1024)

# ASGI workers freeze the survivors of each full garbage collection (controlpanel/gcpolicy.py).
CP_GC_FREEZE_SURVIVORS = envbool("CP_GC_FREEZE_SURVIVORS", "True")

# --- security baseline (docs/security.md) --------------------------------------------------------

# Behind HTTPS (any deployment that is not the loopback `make run`): secure cookies with __Host-
# names, HSTS, redirect to HTTPS. `CP_HTTPS=True manage.py check --deploy --fail-level WARNING` is clean.
CP_HTTPS = envbool("CP_HTTPS", "False")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("CP_SESSION_SECONDS", str(12 * 3600))
if CP_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = envbool("CP_SSL_REDIRECT", "True")
    SECURE_HSTS_SECONDS = envint("CP_HSTS_SECONDS", str(365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("CP_HSTS_PRELOAD", "True")
    if proxy_header := envstr("CP_SECURE_PROXY_SSL_HEADER"):  # e.g. HTTP_X_FORWARDED_PROTO behind a proxy
        SECURE_PROXY_SSL_HEADER = (proxy_header, "https")
    CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Strict CSP: no inline script or style anywhere (templates load static files only; htmx runs with
# allowEval/allowScriptTags off, see base.html). connect-src 'self' covers the same-origin WebSocket.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling: 5 failures lock that username *from that address* for 15 minutes, so nobody can
# lock the owner out from elsewhere; a successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "controlpanel.authn.oidc.PanelOIDCBackend",  # inert unless CP_OIDC_ISSUER is set
    "controlpanel.authn.proxy.TrustedProxyBackend",  # only called by TrustedProxyMiddleware
    "django_otp_webauthn.backends.WebAuthnBackend",  # signing in with a passkey
]
AXES_FAILURE_LIMIT = envint("CP_LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("CP_LOGIN_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler redacts token/password/secret/authorization/cookie values (controlpanel/lib/logredact.py).
    "filters": {"redact_secrets": {"()": "controlpanel.lib.logredact.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": envstr("CP_LOG_LEVEL", "INFO")},
}

# Gateway credentials at rest (controlpanel/fieldcrypto.py): CP_FIELD_KEYS is a comma-separated list
# of Fernet keys; the first encrypts, all decrypt (rotate: put the new key first, run
# `manage.py rotate_field_key`, then drop the old one). Without it, a key file under var/ is
# generated once (mode 600): fine for `make run` and tests, not for a shared deployment.
CP_FIELD_KEYS = [k.strip() for k in (envsecret("CP_FIELD_KEYS") or "").split(",") if k.strip()]
CP_FIELD_KEY_FILE = Path(envstr("CP_FIELD_KEY_FILE", str(VAR_DIR / "field_key")))

# --- identity: single sign-on, trusted proxy, second factor, invitations (docs/operations.md) ------

# OpenID Connect (mozilla-django-oidc, authorization-code flow with PKCE): the endpoints come from the
# issuer's discovery document. Users are matched by (issuer, sub), else by a verified e-mail address.
CP_OIDC_ISSUER = envstr("CP_OIDC_ISSUER").rstrip("/")
CP_OIDC_LABEL = envstr("CP_OIDC_LABEL", "Sign in with single sign-on")
CP_OIDC_GROUPS_CLAIM = envstr("CP_OIDC_GROUPS_CLAIM", "groups")
CP_OIDC_CREATE_USERS = envbool("CP_OIDC_CREATE_USERS", "True")
OIDC_RP_CLIENT_ID = envstr("CP_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = envsecret("CP_OIDC_CLIENT_SECRET") or ""
if CP_OIDC_ISSUER and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured("CP_OIDC_ISSUER is set: set CP_OIDC_CLIENT_ID and CP_OIDC_CLIENT_SECRET too")
OIDC_RP_SCOPES = envstr("CP_OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = envstr("CP_OIDC_SIGN_ALGO", "RS256")
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's logout
OIDC_TIMEOUT = 10
OIDC_OP_LOGOUT_URL_METHOD = "controlpanel.authn.oidc.provider_logout_url"


def with_form_action(policy: dict, url: str) -> dict:
    """``policy`` allowing ``url``'s origin as a form target: logging out (a form) redirects to the
    provider's end-session page, and CSP's form-action also covers a form's redirects."""
    origin = f"{urlparse(url).scheme}://{urlparse(url).netloc}"
    directives = {**policy["DIRECTIVES"], "form-action": [*policy["DIRECTIVES"]["form-action"], origin]}
    return {**policy, "DIRECTIVES": directives}


if CP_OIDC_ISSUER:
    CONTENT_SECURITY_POLICY = with_form_action(CONTENT_SECURITY_POLICY, CP_OIDC_ISSUER)

# IdP (and proxy) groups -> roles per gateway, re-evaluated at each sign-in: GROUP=ROLE@tag:T|name:N|*
try:
    CP_IDP_GROUP_ROLES = parse_rules(envstr("CP_IDP_GROUP_ROLES"))
except RuleError as exc:
    raise ImproperlyConfigured(str(exc)) from exc

# Trusted proxy (oauth2-proxy, Tailscale Serve, Cloudflare Access): the user header is believed only
# from these peer addresses; from anywhere else it is ignored and logged.
CP_PROXY_USER_HEADER = envstr("CP_PROXY_USER_HEADER")  # e.g. X-Forwarded-Email, Tailscale-User-Login
CP_PROXY_GROUPS_HEADER = envstr("CP_PROXY_GROUPS_HEADER")  # e.g. X-Forwarded-Groups (comma-separated)
CP_PROXY_CREATE_USERS = envbool("CP_PROXY_CREATE_USERS", "True")
try:
    CP_TRUSTED_PROXIES = parse_networks(envstr("CP_TRUSTED_PROXIES"))
except ProxyAddressError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
if CP_PROXY_USER_HEADER and not CP_TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "CP_PROXY_USER_HEADER is set: list the proxy's addresses in CP_TRUSTED_PROXIES"
    )

# Owners need a second factor (TOTP or a recovery code in this session) for owner-only actions.
CP_REQUIRE_OWNER_2FA = envbool("CP_REQUIRE_OWNER_2FA", "False")
OTP_TOTP_ISSUER = envstr("CP_OTP_ISSUER", "OpenClaw panel")

# Passkeys (django-otp-webauthn) need the panel's public origin: its host name is the WebAuthn relying
# party (not an IP address: use http://localhost:8000 for `make run`). Unset: passkeys are off.
CP_WEBAUTHN_ORIGIN = envstr("CP_WEBAUTHN_ORIGIN").rstrip("/")
OTP_WEBAUTHN_RP_ID = urlparse(CP_WEBAUTHN_ORIGIN).hostname or ""
OTP_WEBAUTHN_RP_NAME = "OpenClaw panel"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [CP_WEBAUTHN_ORIGIN] if CP_WEBAUTHN_ORIGIN else []
if not CP_WEBAUTHN_ORIGIN:  # off on purpose: the library's "not configured" checks do not apply
    SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E010", "otp_webauthn.E030"]

# Invitations: days a link stays valid; e-mail only when a mail server is configured.
CP_INVITATION_DAYS = envint("CP_INVITATION_DAYS", "7")
EMAIL_HOST = envstr("CP_EMAIL_HOST")
EMAIL_PORT = envint("CP_EMAIL_PORT", "587")
EMAIL_HOST_USER = envstr("CP_EMAIL_USER")
EMAIL_HOST_PASSWORD = envsecret("CP_EMAIL_PASSWORD") or ""
EMAIL_USE_TLS = envbool("CP_EMAIL_TLS", "True")
DEFAULT_FROM_EMAIL = envstr("CP_EMAIL_FROM", "openclaw-panel@localhost")
CP_EMAIL_ENABLED = bool(EMAIL_HOST)

# --- notifications (docs/notifications.md) -------------------------------------------------------

# The panel's own address, for the links in notifications ("open the request"): a link locates a
# page, the page still asks for login and checks the role.
CP_PUBLIC_URL = envstr("CP_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Webhook and Apprise receivers may reach public addresses only; list the private networks (CIDRs)
# they may also reach, e.g. "10.0.0.0/8,192.168.1.20/32" for a LAN ntfy. Loopback, link-local (cloud
# metadata) and the rest of the private ranges stay refused unless listed. See docs/security.md.
CP_NOTIFY_ALLOWED_NETWORKS = [n.strip() for n in envstr("CP_NOTIFY_ALLOWED_NETWORKS").split(",") if n.strip()]
CP_NOTIFY_TIMEOUT_SECONDS = envint("CP_NOTIFY_TIMEOUT_SECONDS", "10")
# Email receivers and personal email use Django's mail backend and the SMTP settings above (CP_EMAIL_*).
EMAIL_TIMEOUT = envint("CP_EMAIL_TIMEOUT_SECONDS", "10")
# Web Push: the contact the push services may write to about this panel's traffic (VAPID "sub").
CP_VAPID_CONTACT = envstr("CP_VAPID_CONTACT", "mailto:admin@localhost")

"""Test settings: the real settings with a fixed key, fast hashing and the in-memory layer."""

import os

os.environ.setdefault("CP_DEBUG", "False")
os.environ.setdefault("CP_SECRET_KEY", "test-secret-key-not-for-production-" + "k" * 30)
os.environ.setdefault("CP_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

from controlpanel.settings import *  # noqa: F403
from controlpanel.settings import DATABASES

# For speed: tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not :memory:, so that the concurrency tests' threads share one database.
    import tempfile

    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"cp-test-{os.getpid()}.sqlite3")
    }

# The test process imports controlpanel.asgi: keep its collector as Python's (servers started by the
# tests use the real settings and the policy).
CP_GC_FREEZE_SURVIVORS = False

MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405

# Tests do not run collectstatic: plain storage, files served from static/ by the live server.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Receivers in the tests are servers on loopback (in production loopback is refused unless listed).
CP_NOTIFY_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
CP_PUBLIC_URL = "http://testserver"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

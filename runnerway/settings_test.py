"""Settings for the test suite: the real settings with a throwaway key and a fast password hasher."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret-0123456789abcdef-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Production's behaviour on either database (the SQLite default would be the embedded mode, whose whitenoise
# finders rescan every static file for each test client). Tests of the embedded mode start their own processes.
os.environ.setdefault("EMBEDDED", "false")

from runnerway.settings import *  # noqa: F403
from runnerway.settings import Q_CLUSTER

# Argon2 is deliberately slow; tests hash hundreds of passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run in-process unless a test starts a real qcluster (those tests override this).
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
# The manifest storage needs `collectstatic`; tests render pages from the app folders instead.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# One test database file per pytest process, so parallel runs (xdist adds its own suffix) never share one.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"]["NAME"] = str(VAR_DIR / f"test_db_{os.getpid()}.sqlite3")  # noqa: F405
# The row caches (runnerway.cache.CacheAside) on, as in production with Redis: every test then also checks that
# what it wrote is what the next read shows (a missed invalidation fails it). Tests of the off switch set 0.
TOKEN_USER_CACHE_TIMEOUT = 300
WORKOUT_DETAIL_CACHE_TIMEOUT = 300

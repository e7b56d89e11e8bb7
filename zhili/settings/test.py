"""Test settings: the same as production except what a test run needs to be fast and hermetic."""

from __future__ import annotations

import os

os.environ.setdefault("ZHILI_DEBUG", "0")
os.environ.setdefault("ZHILI_HTTPS", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "t" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# A fixed 32-byte test key (base64 of bytes 0..31), never used outside tests.
os.environ.setdefault("ZHILI_DATA_KEY", "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
os.environ.setdefault("ZHILI_TASKS_BACKEND", "immediate")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")

from zhili.settings.base import *  # noqa: F403
from zhili.settings.base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; prod uses argon2
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
WHITENOISE_AUTOREFRESH = True  # tests never run collectstatic: serve from the finders
WHITENOISE_USE_FINDERS = True

# Parallel test runs (several developers or xdist workers on one PostgreSQL) need distinct names.
if os.environ.get("ZHILI_TEST_DB_NAME") and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["ZHILI_TEST_DB_NAME"]}

# Flushing the test database between transactional tests empties the append-only audit log through
# the triggers' maintenance hatch (zhili/audit/management/commands/flush.py). Never set elsewhere.
ZHILI_AUDIT_TEST_FLUSH = True

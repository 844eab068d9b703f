"""Settings for the test suite: a throwaway data directory, plain static files, fast hashing."""

import os
import tempfile

os.environ.setdefault("LIMPIA_SECRET_KEY", "test-only-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("LIMPIA_DATA_DIR", tempfile.mkdtemp(prefix="limpia-test-"))
os.environ.setdefault("LIMPIA_TASKS_BACKEND", "immediate")
os.environ.setdefault(
    "LIMPIA_STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
)
# Each test runs inside one transaction on "default", which a replica's own connection would not
# see: the suite has no replica, and core/tests/test_replica.py adds one sharing default's.
os.environ.pop("LIMPIA_REPLICA_DATABASE_URL", None)

from limpia.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  whitenoise warns when it is missing

"""The Redis this machine runs (127.0.0.1:6379) for the scale-out tests: a database number of
their own per purpose and per test database (CI runs the SQLite and PostgreSQL suites side by
side), flushed before and after. Unreachable, the tests skip, unless LIMPIA_REQUIRE_REDIS=1
(.ci/run sets it), when they fail. LIMPIA_TEST_REDIS names another server."""

import os

import pytest
from django.db import connection

HOST = os.environ.get("LIMPIA_TEST_REDIS", "redis://127.0.0.1:6379")
NUMBERS = {"jobs": 10, "cache": 12}  # + 1 on PostgreSQL


def unavailable(reason: str):
    """Skip, or fail when LIMPIA_REQUIRE_REDIS=1 says Redis must be there (CI)."""
    if os.environ.get("LIMPIA_REQUIRE_REDIS") == "1":
        pytest.fail(f"LIMPIA_REQUIRE_REDIS=1, but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set LIMPIA_REQUIRE_REDIS=1 to fail instead)")


def redis_url(purpose: str) -> str:
    """A flushed Redis database for `purpose`, or a skip (a failure under LIMPIA_REQUIRE_REDIS)."""
    try:
        import redis
    except ImportError:
        unavailable("the redis package is not installed (pip install -e '.[test]')")
    number = NUMBERS[purpose] + (connection.vendor == "postgresql")
    url = f"{HOST}/{number}"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
    except (redis.exceptions.RedisError, OSError) as exc:
        unavailable(f"Redis at {url} (LIMPIA_TEST_REDIS) is unreachable: {exc}")
    client.flushdb()
    client.close()
    return url


def flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()

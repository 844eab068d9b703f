"""Cache and sessions on Redis (LIMPIA_REDIS_URL): the cache is Django's RedisCache, and a
signed-in visitor's session is read from Redis (cached_db), falling back to the database."""

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches

from limpia.core.tests.redis import flush, redis_url


@pytest.fixture
def redis_cache(settings):
    url = redis_url("cache")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "limpia",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield url
    caches["default"].close()
    flush(url)


def redis_keys(url):
    import redis

    client = redis.Redis.from_url(url)
    try:
        return sorted(key.decode() for key in client.keys("*"))
    finally:
        client.close()


def test_the_cache_is_redis(redis_cache):
    caches["default"].set("saludo", "hola", 60)
    assert caches["default"].get("saludo") == "hola"
    assert redis_keys(redis_cache) == ["limpia:1:saludo"]


def test_a_session_is_read_from_redis_and_kept_in_the_database(ana, client, redis_cache):
    signed_in = client.post(
        "/accounts/login/", {"username": "ana", "password": "contraseña-segura-1"}
    )
    assert signed_in.status_code == 302
    key = client.session.session_key
    assert any(
        k.endswith(f"django.contrib.sessions.cached_db{key}") for k in redis_keys(redis_cache)
    )
    assert Session.objects.filter(session_key=key).exists()  # cached_db: in the database too

    Session.objects.all().delete()  # served from Redis alone
    assert client.get("/workspace/").status_code == 200

    flush(redis_cache)  # neither in Redis nor in the database any more: signed out
    assert client.get("/workspace/").status_code == 302

"""Limpia's settings with the benchmark's floor views added (bench.urls); nothing else changes,
so the reads measured are the product's."""

from limpia.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405  django.test.Client's host

"""What the scale-out variables switch (settings.py), read by a fresh `limpia` process: nothing
when none is set (waitress, SQLite, the database queue, local files), and each engine when set."""

import json
import os
import subprocess
import sys

import pytest

SHOW = (
    "from django.conf import settings as s;"
    "import json;"
    "print(json.dumps({'tasks': s.TASKS['default']['BACKEND'],"
    " 'cache': s.CACHES['default']['BACKEND'], 'sessions': s.SESSION_ENGINE,"
    " 'storage': s.STORAGES['default']['BACKEND'], 'databases': sorted(s.DATABASES),"
    " 'routers': s.DATABASE_ROUTERS, 'rq': 'django_rq' in s.INSTALLED_APPS,"
    " 'public_reads': 'limpia.core.replica.PublicReadMiddleware' in s.MIDDLEWARE}))"
)


def settings_with(tmp_path, **variables):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMPIA_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(LIMPIA_DATA_DIR=str(tmp_path), LIMPIA_SECRET_KEY="s" * 40, **variables)
    done = subprocess.run(
        [sys.executable, "-m", "limpia.cli", "shell", "--no-imports", "-c", SHOW],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout.strip(), done.stderr


def test_nothing_configured_keeps_the_embedded_defaults(tmp_path):
    code, out, err = settings_with(tmp_path)
    assert code == 0, err
    assert json.loads(out) == {
        "tasks": "django_tasks_db.DatabaseBackend",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "sessions": "django.contrib.sessions.backends.db",
        "storage": "django.core.files.storage.FileSystemStorage",
        "databases": ["default"],
        "routers": [],
        "rq": False,
        "public_reads": False,
    }


def test_redis_s3_and_a_replica_switch_their_engines(tmp_path):
    code, out, err = settings_with(
        tmp_path,
        LIMPIA_TASKS_BACKEND="rq",
        LIMPIA_REDIS_URL="redis://127.0.0.1:6379/9",
        LIMPIA_S3_BUCKET="limpia-files",
        LIMPIA_REPLICA_DATABASE_URL="postgres://reader@replica.example:5432/limpia",
        DATABASE_URL="postgres://writer@primary.example:5432/limpia",
    )
    assert code == 0, err
    assert json.loads(out) == {
        "tasks": "django_tasks_rq.RQBackend",
        "cache": "django.core.cache.backends.redis.RedisCache",
        "sessions": "django.contrib.sessions.backends.cached_db",
        "storage": "storages.backends.s3.S3Storage",
        "databases": ["default", "replica"],
        "routers": ["limpia.core.replica.ReplicaRouter"],
        "rq": True,
        "public_reads": True,
    }


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"LIMPIA_TASKS_BACKEND": "rq"},
            "LIMPIA_TASKS_BACKEND=rq needs LIMPIA_REDIS_URL (the Redis the jobs wait in), "
            "which is unset",
        ),
        (
            {"LIMPIA_REDIS_URL": "127.0.0.1:6379"},
            "LIMPIA_REDIS_URL must be a URL such as redis://127.0.0.1:6379/0, not '127.0.0.1:6379'",
        ),
        (
            {"LIMPIA_S3_REGION": "eu-west-1"},
            "LIMPIA_S3_REGION='eu-west-1' has no meaning without LIMPIA_S3_BUCKET",
        ),
        (
            {"LIMPIA_S3_BUCKET": "Archivos_Limpia"},
            "LIMPIA_S3_BUCKET must be a bucket name (3 to 63 lowercase letters, digits, dots "
            "and hyphens), not 'Archivos_Limpia'",
        ),
        (
            {"LIMPIA_S3_BUCKET": "limpia-files", "LIMPIA_S3_ENDPOINT_URL": "minio:9000"},
            "LIMPIA_S3_ENDPOINT_URL must be a URL such as https://s3.example.gob, not 'minio:9000'",
        ),
        (
            {"LIMPIA_REPLICA_DATABASE_URL": "postgres://reader:secreto@replica.example/limpia"},
            "LIMPIA_REPLICA_DATABASE_URL=postgres://reader:***@replica.example/limpia needs "
            "DATABASE_URL to be the PostgreSQL database it replicates, not SQLite",
        ),
        (
            {
                "DATABASE_URL": "postgres://writer@primary.example/limpia",
                "LIMPIA_REPLICA_DATABASE_URL": "mysql://reader@replica.example/limpia",
            },
            "LIMPIA_REPLICA_DATABASE_URL has an unsupported scheme 'mysql'",
        ),
    ],
    ids=[
        "rq-without-redis",
        "redis-not-a-url",
        "s3-region-without-bucket",
        "s3-bucket-not-a-name",
        "s3-endpoint-not-a-url",
        "replica-of-sqlite",
        "replica-not-postgres",
    ],
)
def test_it_refuses_what_it_cannot_use_naming_the_variable(tmp_path, variables, message):
    code, _, err = settings_with(tmp_path, **variables)
    assert code == 2, err
    assert f"limpia: configuration error: {message}" in err
    assert "secreto" not in err  # a password in a URL is never printed


def test_a_missing_package_names_the_setting_and_the_extra(monkeypatch):
    import importlib.util

    from limpia import conf

    monkeypatch.setenv("LIMPIA_S3_BUCKET", "limpia-files")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "storages" else real(name)
    )
    with pytest.raises(conf.ConfigurationError) as refused:
        conf.s3_storage()
    assert str(refused.value) == (
        "LIMPIA_S3_BUCKET=limpia-files needs the storages package, which is not installed: "
        "pip install 'limpia[scale]'"
    )

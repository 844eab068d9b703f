"""Configuration readers fail loudly, naming the variable."""

import pytest

from limpia.conf import (
    ConfigurationError,
    database_config,
    env_bool,
    env_int,
    env_list,
    secret_key,
)


def test_it_reads_booleans_and_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("LIMPIA_DEBUG", "yes")
    assert env_bool("LIMPIA_DEBUG") is True
    monkeypatch.setenv("LIMPIA_DEBUG", "0")
    assert env_bool("LIMPIA_DEBUG", True) is False
    monkeypatch.setenv("LIMPIA_DEBUG", "maybe")
    with pytest.raises(ConfigurationError, match="LIMPIA_DEBUG"):
        env_bool("LIMPIA_DEBUG")


def test_it_names_the_variable_of_a_bad_integer(monkeypatch):
    monkeypatch.setenv("LIMPIA_MAX_REQUEST_BYTES", "5MB")
    with pytest.raises(ConfigurationError, match="LIMPIA_MAX_REQUEST_BYTES"):
        env_int("LIMPIA_MAX_REQUEST_BYTES", 1)


def test_it_splits_host_lists(monkeypatch):
    monkeypatch.setenv("LIMPIA_ALLOWED_HOSTS", " limpia.gob.pa, ,www.limpia.gob.pa ")
    assert env_list("LIMPIA_ALLOWED_HOSTS", []) == ["limpia.gob.pa", "www.limpia.gob.pa"]


def test_it_uses_sqlite_in_wal_mode_by_default(tmp_path):
    config = database_config(None, tmp_path)
    assert config["NAME"] == tmp_path / "limpia.sqlite3"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_it_reads_a_postgresql_url(tmp_path):
    config = database_config("postgres://limpia:secreto@db:5432/limpia", tmp_path)
    assert (config["ENGINE"], config["HOST"], config["NAME"]) == (
        "django.db.backends.postgresql",
        "db",
        "limpia",
    )


def test_it_refuses_an_unknown_database_scheme(tmp_path):
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        database_config("mongodb://db/limpia", tmp_path)


def test_it_keeps_a_generated_secret_key_across_restarts(tmp_path, monkeypatch):
    monkeypatch.delenv("LIMPIA_SECRET_KEY", raising=False)
    first = secret_key(tmp_path, debug=False)
    assert secret_key(tmp_path, debug=False) == first
    assert len(first) >= 50


def test_it_refuses_a_short_secret_key_in_production(tmp_path, monkeypatch):
    monkeypatch.setenv("LIMPIA_SECRET_KEY", "corta")
    with pytest.raises(ConfigurationError, match="LIMPIA_SECRET_KEY"):
        secret_key(tmp_path, debug=False)


def test_it_refuses_an_empty_host_list(monkeypatch):
    monkeypatch.setenv("LIMPIA_ALLOWED_HOSTS", " , ")
    with pytest.raises(ConfigurationError, match="LIMPIA_ALLOWED_HOSTS"):
        env_list("LIMPIA_ALLOWED_HOSTS", ["x"], allow_empty=False)


def test_it_refuses_an_unknown_log_level(monkeypatch):
    from limpia.conf import env_choice

    monkeypatch.setenv("LIMPIA_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigurationError, match="LIMPIA_LOG_LEVEL"):
        env_choice("LIMPIA_LOG_LEVEL", "INFO", ("INFO", "DEBUG"))


def test_it_refuses_databases_other_than_postgresql_and_sqlite(tmp_path):
    with pytest.raises(ConfigurationError, match="postgres"):
        database_config("mysql://root@db/limpia", tmp_path)


def test_it_requires_a_shared_secret_key_with_a_shared_database(tmp_path, monkeypatch):
    monkeypatch.delenv("LIMPIA_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="LIMPIA_SECRET_KEY"):
        secret_key(tmp_path, debug=False, shared_database=True)

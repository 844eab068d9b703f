"""Typed readers for configuration from environment variables.

Each reader fails loudly, naming the variable, when a value cannot be understood, so a
misconfigured server stops at start instead of running with a silent default.
"""

import ipaddress
import os
import re
from pathlib import Path


class ConfigurationError(RuntimeError):
    pass


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be one of true/false/1/0/yes/no, not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str, default: list[str], *, allow_empty: bool = True) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items and not allow_empty:
        raise ConfigurationError(f"{name} is set but empty; list at least one value")
    return items


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (os.environ.get(name) or default).strip()
    for choice in choices:  # case-insensitive; answers the choice as spelled in `choices`
        if value.lower() == choice.lower():
            return choice
    raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default).expanduser().resolve()


def env_proxy_ssl_header(name: str, default: str) -> tuple[str, str] | None:
    """Django's SECURE_PROXY_SSL_HEADER from a header name (e.g. X-Forwarded-Proto) that the
    TLS-terminating proxy sets to "https"; empty means no proxy header is trusted."""
    value = env_str(name, default) or ""
    if not value:
        return None
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", value):
        raise ConfigurationError(
            f"{name} must be a header name such as X-Forwarded-Proto, not {value!r}"
        )
    return ("HTTP_" + value.upper().replace("-", "_"), "https")


# The headers waitress can take from a trusted proxy (it drops them from anyone else). Forwarded
# (RFC 7239) and the X-Forwarded-* family exclude each other.
PROXY_HEADERS = (
    "x-forwarded-proto",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-by",
    "forwarded",
)


def waitress_trusted_proxy() -> dict[str, object]:
    """waitress's options for the proxy in front of `limpia serve`: LIMPIA_TRUSTED_PROXY (its
    IP address), LIMPIA_TRUSTED_PROXY_HEADERS, LIMPIA_TRUSTED_PROXY_COUNT; none when unset."""
    address = env_str("LIMPIA_TRUSTED_PROXY") or ""
    if not address:
        for name in ("LIMPIA_TRUSTED_PROXY_HEADERS", "LIMPIA_TRUSTED_PROXY_COUNT"):
            if env_str(name):
                raise ConfigurationError(f"{name} has no meaning without LIMPIA_TRUSTED_PROXY")
        return {}
    try:  # waitress compares it with the peer's address as the socket gives it
        address = str(ipaddress.ip_address(address.removeprefix("[").removesuffix("]")))
    except ValueError:
        raise ConfigurationError(
            f"LIMPIA_TRUSTED_PROXY must be the IP address of the proxy in front, such as "
            f"127.0.0.1, not {address!r}"
        ) from None
    headers = env_list(
        "LIMPIA_TRUSTED_PROXY_HEADERS", ["x-forwarded-proto", "x-forwarded-for"], allow_empty=False
    )
    headers = {header.lower() for header in headers}
    if unknown := sorted(headers - set(PROXY_HEADERS)):
        raise ConfigurationError(
            f"LIMPIA_TRUSTED_PROXY_HEADERS must list some of {', '.join(PROXY_HEADERS)}, "
            f"not {', '.join(unknown)}"
        )
    if "forwarded" in headers and len(headers) > 1:
        raise ConfigurationError(
            "LIMPIA_TRUSTED_PROXY_HEADERS cannot trust both Forwarded and X-Forwarded-*"
        )
    return {
        "trusted_proxy": address,
        "trusted_proxy_headers": headers,
        "trusted_proxy_count": env_int("LIMPIA_TRUSTED_PROXY_COUNT", 1, minimum=1),
    }


SUPPORTED_ENGINES = ("django.db.backends.postgresql", "django.db.backends.sqlite3")
# Django's SQLite backend with a decimal reader that never fails on a stored row (core/sqlite).
SQLITE_ENGINE = "limpia.core.sqlite"


def database_config(url: str | None, data_dir: Path, *, name: str = "DATABASE_URL") -> dict:
    """Return Django's DATABASES['default'] for DATABASE_URL, or the embedded SQLite file."""
    if not url:
        return {
            "ENGINE": SQLITE_ENGINE,
            "NAME": data_dir / "limpia.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    import dj_database_url

    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # the library raises several kinds for a malformed URL
        raise ConfigurationError(f"{name} could not be parsed ({masked(url)!r}): {exc}") from None
    if config.get("ENGINE") not in SUPPORTED_ENGINES:
        scheme = url.split(":", 1)[0]
        raise ConfigurationError(
            f"{name} has an unsupported scheme {scheme!r}: use postgres:// (or leave it "
            "unset for the embedded SQLite database)"
        )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = SQLITE_ENGINE
    return config


def replica_config(url: str, default: dict, data_dir: Path) -> dict:
    """DATABASES['replica'] for LIMPIA_REPLICA_DATABASE_URL: a PostgreSQL replica of the
    PostgreSQL database DATABASE_URL names (SQLite has no replicas)."""
    name = "LIMPIA_REPLICA_DATABASE_URL"
    config = database_config(url, data_dir, name=name)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ConfigurationError(f"{name} must be a postgres:// URL, not {masked(url)!r}")
    if default["ENGINE"] != "django.db.backends.postgresql":
        raise ConfigurationError(
            f"{name}={masked(url)} needs DATABASE_URL to be the PostgreSQL database it "
            "replicates, not SQLite"
        )
    config["TEST"] = {"MIRROR": "default"}  # Django's test runner makes no test database on it
    return config


def secret_key(data_dir: Path, debug: bool, *, shared_database: bool = False) -> str:
    """LIMPIA_SECRET_KEY, else a key generated once and kept in the data directory.

    Several servers behind a load balancer must share LIMPIA_SECRET_KEY; the file fallback
    is for a single installation (a laptop, the demo).
    """
    value = env_str("LIMPIA_SECRET_KEY")
    if value:
        if len(value) < 32 and not debug:
            raise ConfigurationError("LIMPIA_SECRET_KEY must be at least 32 characters long")
        return value
    if shared_database and not debug:
        raise ConfigurationError(
            "LIMPIA_SECRET_KEY must be set when DATABASE_URL is: servers sharing a database "
            "must share one key (a key generated per server would break sessions and "
            "certificate signatures)"
        )
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    from django.core.management.utils import get_random_secret_key

    data_dir.mkdir(parents=True, exist_ok=True)
    key = get_random_secret_key()
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def masked(url: str) -> str:
    """A URL as an error message may show it: the password, if any, as ***."""
    return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", url)


def require_package(module: str, *, needed_by: str) -> None:
    """Stop with a message naming the setting and the extra when a package is not installed."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigurationError(
            f"{needed_by} needs the {module} package, which is not installed: "
            "pip install 'limpia[scale]'"
        )


def redis_url(name: str) -> str | None:
    """A redis:// (or rediss://, unix://) URL, or None when unset."""
    value = env_str(name) or ""
    if not value:
        return None
    if not re.match(r"(rediss?|unix)://[^\s]+$", value):
        raise ConfigurationError(
            f"{name} must be a URL such as redis://127.0.0.1:6379/0, not {masked(value)!r}"
        )
    require_package("redis", needed_by=f"{name}={masked(value)}")
    return value


S3_OPTIONAL = ("LIMPIA_S3_ENDPOINT_URL", "LIMPIA_S3_REGION", "LIMPIA_S3_PREFIX")
# S3's rule for bucket names (3 to 63 lowercase letters, digits, dots and hyphens).
S3_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def s3_storage() -> dict | None:
    """STORAGES['default'] for django-storages' S3 backend from LIMPIA_S3_BUCKET,
    LIMPIA_S3_ENDPOINT_URL (MinIO, Ceph, another provider), LIMPIA_S3_REGION and
    LIMPIA_S3_PREFIX; credentials come the usual boto3 ways (AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY, a profile or an instance role). None when LIMPIA_S3_BUCKET is unset."""
    bucket = env_str("LIMPIA_S3_BUCKET") or ""
    if not bucket:
        for name in S3_OPTIONAL:
            if value := env_str(name):
                raise ConfigurationError(
                    f"{name}={value!r} has no meaning without LIMPIA_S3_BUCKET"
                )
        return None
    if not S3_BUCKET_NAME.fullmatch(bucket):
        raise ConfigurationError(
            "LIMPIA_S3_BUCKET must be a bucket name (3 to 63 lowercase letters, digits, dots "
            f"and hyphens), not {bucket!r}"
        )
    endpoint = env_str("LIMPIA_S3_ENDPOINT_URL") or ""
    if endpoint and not re.match(r"https?://[^\s/]+", endpoint):
        raise ConfigurationError(
            f"LIMPIA_S3_ENDPOINT_URL must be a URL such as https://s3.example.gob, not {endpoint!r}"
        )
    for module in ("storages", "boto3"):
        require_package(module, needed_by=f"LIMPIA_S3_BUCKET={bucket}")
    options = {
        "bucket_name": bucket,
        "location": (env_str("LIMPIA_S3_PREFIX") or "").strip("/"),
        "default_acl": None,  # the bucket's own policy: private
        "querystring_auth": True,  # should a link to a file ever be made, it is signed
        "file_overwrite": False,  # two documents of one title get two names, as on disk
    }
    if endpoint:
        options["endpoint_url"] = endpoint
    if region := env_str("LIMPIA_S3_REGION"):
        options["region_name"] = region
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}

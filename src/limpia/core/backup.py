"""Backups: the database's rows and the data directory's files in one ZIP archive.

`backup_write(path)` writes (see docs/configuration.md, "Backup and restore"):

    database/<app>.<model>.jsonl   the rows of one model, by primary key, in Django's JSON Lines
                                   serialization (the same on SQLite and PostgreSQL)
    files/media/...                uploads (MEDIA_ROOT: the knowledge centre's documents)
    files/bulletins/...            the bulletins archive (`limpia bulletin`)
    manifest.json                  format, versions, migrations, rows per model, and every
                                   member with its size and SHA-256
    manifest.sig                   written last: the manifest's HMAC-SHA256 under a key derived
                                   from the installation's SECRET_KEY (salt SIGNATURE_SALT), so
                                   an archive re-packed with a recomputed manifest is refused

Primary keys are kept, so references hold; content types and permissions, which every
installation makes for itself when it migrates (with ids of its own), are referred to by their
natural keys and are not archived. `restore.backup_restore` reads it back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

import limpia

FORMAT = "limpia-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNATURE_SALT = "limpia.backup.manifest"
DATABASE_DIR = "database/"
FILES_DIR = "files/"

# Rows that are not archived. Content types and permissions: `limpia migrate` makes them in
# every installation. Sessions: people log in again. django-tasks' queue: a queued import
# would run against its upload in DATA_DIR/imports/, which is not archived, and finished
# results are the worker's bookkeeping (`limpia prune_db_task_results` trims them); what people
# see of an import is its ImportJob, which is archived with its history.
LEFT_OUT = frozenset(
    {
        "contenttypes.contenttype",
        "auth.permission",
        "sessions.session",
        "django_tasks_database.dbtaskresult",
    }
)
# Entries of the data directory that are left out: the SQLite database (its rows are archived
# instead; and its -wal and -shm files), the installation's own secret key, the collected static
# files (`limpia setup` collects them again) and import jobs' uploads and progress (kept a week).
NOT_ARCHIVED = ("limpia.sqlite3", "secret_key", "static", "imports", "jobs")

BATCH = 2000


class BackupError(Exception):
    """A backup or restore that cannot be made, with a message for the operator."""


@dataclass
class Summary:
    rows: dict[str, int]  # model label ("plans.measurement") → rows
    files: int = 0
    file_bytes: int = 0
    notes: list[str] = field(default_factory=list)
    origin: str = ""  # of a restored archive: which Limpia made it, on which database, when

    def lines(self) -> list[str]:
        shown = [f"  {label}: {count:,} rows" for label, count in self.rows.items() if count]
        total = sum(self.rows.values())
        models_with_rows = sum(1 for count in self.rows.values() if count)
        return [
            *shown,
            f"{total:,} rows of {models_with_rows} models; "
            f"{self.files:,} files ({_size(self.file_bytes)}).",
            *self.notes,
        ]


def _size(count: int) -> str:
    """In English whatever the language of the installation (filesizeformat would follow it)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


# ---------------------------------------------------------------- what is archived


def archived_models() -> list[type[models.Model]]:
    """The models whose rows are archived, in INSTALLED_APPS order. Rows of automatic
    many-to-many tables travel with the model that declares the field."""
    return [
        model
        for model in apps.get_models()
        if model._meta.label_lower not in LEFT_OUT and model._meta.managed and not model._meta.proxy
    ]


def tables_of(model: type[models.Model]) -> list[str]:
    """The model's table and those of its automatic many-to-many fields."""
    through = [
        f.remote_field.through._meta.db_table
        for f in model._meta.local_many_to_many
        if f.remote_field.through._meta.auto_created
    ]
    return [model._meta.db_table, *through]


def member_name(label: str) -> str:
    return f"{DATABASE_DIR}{label}.jsonl"


def file_areas() -> dict[str, Path]:
    """The directories whose files are archived, by their name in the archive."""
    from limpia.reports.bulletin import archive_dir

    return {"media": Path(settings.MEDIA_ROOT), "bulletins": archive_dir()}


def is_temporary(path: Path) -> bool:
    """A file being written elsewhere (".2026-S2.pdf.x1y2.tmp", see bulletin._write_atomically)."""
    return path.name.startswith(".") and path.name.endswith(".tmp")


def _area_files(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not is_temporary(path):
            yield path.relative_to(root).as_posix(), path


def _unknown_entries(areas: dict[str, Path]) -> list[str]:
    """Entries of the data directory that are neither archived nor known to be left out, so
    that files a newer feature keeps there are noticed rather than silently missed."""
    data_dir = Path(settings.DATA_DIR)
    if not data_dir.is_dir():
        return []
    known = {data_dir / name for name in NOT_ARCHIVED} | set(areas.values())
    unknown = []
    for entry in sorted(data_dir.iterdir()):
        name = entry.name
        if name.startswith(".") or name.startswith("limpia.sqlite3") or entry in known:
            continue
        unknown.append(str(entry))
    return unknown


# ---------------------------------------------------------------- serialization


class _Encoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts datetimes and times to milliseconds; a backup keeps them whole."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


class _RowSerializer(jsonl.Serializer):
    """Django's JSON Lines, one write per row. Only content types and permissions are referred
    to by natural key (from `natural_keys`, read once); every other reference is the primary
    key, kept by the restore, so loading needs no lookup per row. Many-to-many lists are
    sorted, so that the same rows always give the same bytes."""

    def __init__(self, natural_keys: dict[type[models.Model], dict]):
        super().__init__()
        self.natural_keys = natural_keys
        self.rows = 0

    def handle_fk_field(self, obj, field):
        keys = self.natural_keys.get(field.remote_field.model)
        if keys is None:
            super().handle_fk_field(obj, field)
            return
        value = getattr(obj, field.attname)
        self._current[field.name] = None if value is None else keys[value]

    def handle_m2m_field(self, obj, field):
        if not field.remote_field.through._meta.auto_created:
            return  # a through model of its own is archived as a model
        related = sorted(getattr(obj, field.name).all(), key=lambda item: item.pk)
        keys = self.natural_keys.get(field.remote_field.model)
        self._current[field.name] = [
            keys[item.pk] if keys else self._value_from_field(item, item._meta.pk)
            for item in related
        ]

    def end_object(self, obj):
        self.stream.write(json.dumps(self.get_dump_object(obj), **self.json_kwargs) + "\n")
        self._current = None
        self.rows += 1


def _natural_keys() -> dict[type[models.Model], dict]:
    return {
        ContentType: {ct.pk: list(ct.natural_key()) for ct in ContentType.objects.all()},
        Permission: {
            p.pk: list(p.natural_key()) for p in Permission.objects.select_related("content_type")
        },
    }


def _rows(model: type[models.Model]):
    prefetched = [
        models.Prefetch(f.name, queryset=f.remote_field.model._base_manager.only("pk"))
        for f in model._meta.local_many_to_many
        if f.remote_field.through._meta.auto_created
    ]
    queryset = model._base_manager.order_by("pk").prefetch_related(*prefetched)
    return queryset.iterator(chunk_size=BATCH)


@contextmanager
def _snapshot() -> Iterator[None]:
    """One read transaction for every table, so that rows written meanwhile (a live site) are
    either all in the archive or not at all. Inside a transaction already, that one."""
    if connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        # The installation begins transactions IMMEDIATE (a write lock); a reader needs none,
        # and in WAL mode writers go on while the archive is written.
        mode, connection.transaction_mode = connection.transaction_mode, "DEFERRED"
        try:
            with transaction.atomic():
                yield
        finally:
            connection.transaction_mode = mode
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def unapplied_migrations() -> list[tuple[str, str]]:
    """Migrations of this code that the database lacks (`limpia migrate` would apply them)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [(migration.app_label, migration.name) for migration, _backwards in plan]


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


# ---------------------------------------------------------------- writing


def signature_of(manifest: bytes, *, key: str | None = None) -> str:
    """The content of manifest.sig: one JSON object naming how it was made."""
    from limpia.core.signing import sign_bytes

    signed = {
        "algorithm": "HMAC-SHA256",
        "salt": SIGNATURE_SALT,
        "signature": sign_bytes(SIGNATURE_SALT, manifest, key=key),
    }
    return json.dumps(signed, indent=1) + "\n"


class _Member:
    """A member being written: its bytes go to the archive and through SHA-256."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, text: str | bytes) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        self.digest.update(data)
        self.size += len(data)
        self.handle.write(data)


@contextmanager
def _member(archive, name: str, listed: list[dict]) -> Iterator[_Member]:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as handle:
        member = _Member(handle)
        yield member
    listed.append({"name": name, "size": member.size, "sha256": member.digest.hexdigest()})


def backup_write(path: Path) -> Summary:
    """Write the archive to `path` (a new file: an existing one is not replaced). It is written
    beside it under a temporary name and renamed when complete, so a failed backup leaves no
    archive that looks whole."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists: choose another name or remove it first.")
    if not path.parent.is_dir():
        raise BackupError(f"The directory {path.parent} does not exist.")
    if unapplied := unapplied_migrations():
        raise BackupError(
            f"The database lacks migration {'.'.join(unapplied[0])} of this Limpia: run "
            "`limpia migrate` first (or back up with the Limpia that last migrated it)."
        )
    partial = path.with_name(f".{path.name}.partial")
    areas = file_areas()
    for name, root in areas.items():
        if path.resolve().is_relative_to(root.resolve()):
            raise BackupError(
                f"{path} is inside the {name} directory ({root}) that the archive copies: the "
                "archive would copy itself. Write it elsewhere."
            )
    listed: list[dict] = []
    rows: dict[str, int] = {}
    summary = Summary(rows)
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            with _snapshot():
                migrations = applied_migrations()
                natural_keys = _natural_keys()
                for model in archived_models():
                    label = model._meta.label_lower
                    with _member(archive, member_name(label), listed) as member:
                        serializer = _RowSerializer(natural_keys)
                        serializer.serialize(_rows(model), stream=member, cls=_Encoder)
                    rows[label] = serializer.rows
            for area, root in areas.items():
                for relative, source in _area_files(root):
                    name = f"{FILES_DIR}{area}/{relative}"
                    with _member(archive, name, listed) as member, source.open("rb") as file:
                        while chunk := file.read(1 << 20):
                            member.write(chunk)
                    summary.files += 1
                    summary.file_bytes += member.size
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "limpia_version": limpia.__version__,
                "created_at": timezone.now().isoformat(),
                "database_vendor": connection.vendor,
                "migrations": migrations,
                "rows": rows,
                "members": listed,
            }
            manifest_bytes = json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")
            archive.writestr(MANIFEST, manifest_bytes)
            archive.writestr(SIGNATURE, signature_of(manifest_bytes))
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    summary.notes = [
        f"Not in the archive (unknown to the backup, copy it yourself if it matters): {entry}"
        for entry in _unknown_entries(areas)
    ]
    return summary

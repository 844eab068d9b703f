"""Restoring a backup (backup.py) into an empty installation: all of it, or nothing.

Everything is checked before anything is written, the quick checks first: the manifest's
signature (made with this installation's SECRET_KEY, or one of its SECRET_KEY_FALLBACKS); its
format version; that the archive holds exactly the members its manifest lists, each at a place
this Limpia knows; the migrations (the archive's must be those applied here: rows fit the
tables of the version that wrote them); that the tables are empty and no file would be
overwritten; then every member's size and SHA-256, the files being unpacked meanwhile into a
staging directory inside the data directory.

Then, in one transaction: the rows are inserted as `loaddata` saves them (raw: no signals, so
no history rows are made now and auto_now fields keep their archived values) but many to an
INSERT, the foreign keys are checked (Django makes them DEFERRABLE INITIALLY DEFERRED on both
vendors, so the order of the rows does not matter until then), PostgreSQL's sequences are
moved past the restored ids and SQLite's search index is rebuilt. Only after the commit are
the files moved into place.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import zipfile
import zlib
from contextlib import nullcontext
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.migrations.loader import MigrationLoader

import limpia
from limpia.core.backup import (
    BATCH,
    DATABASE_DIR,
    FILES_DIR,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SIGNATURE,
    SIGNATURE_SALT,
    BackupError,
    Summary,
    archived_models,
    file_areas,
    member_name,
    tables_of,
    unapplied_migrations,
)


def backup_restore(path: Path) -> Summary:
    """Restore the archive at `path` into this installation, which must be empty."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"{path} is not a ZIP archive ({exc}).") from None
    with archive:
        manifest = _manifest(archive, path)
        destinations = _destinations(archive, manifest)
        restored_models = _models(manifest)
        _check_migrations(manifest)
        _check_empty()
        _check_files_absent(destinations)
        data_dir = Path(settings.DATA_DIR)
        data_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
        try:
            for member in manifest["members"]:
                is_file = destinations[member["name"]] is not None
                _verify(archive, member, _staged(staging, member["name"]) if is_file else None)
            with transaction.atomic():
                rows = _load(archive, manifest, restored_models)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    # The command runs outside any transaction: leaving the block committed the rows.
    summary = Summary(rows, origin=_origin(manifest))
    _move_files_in(destinations, staging, summary)
    shutil.rmtree(staging)
    return summary


def _move_files_in(destinations: dict[str, Path | None], staging: Path, summary: Summary) -> None:
    try:
        for name, destination in destinations.items():
            if destination is not None:
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(_staged(staging, name), destination)
                summary.files += 1
                summary.file_bytes += destination.stat().st_size
    except OSError as exc:
        raise BackupError(
            f"The rows are restored, but a file could not be moved into place ({exc}). The "
            f"files not yet in place are in {staging}: move media/ into MEDIA_ROOT and "
            "bulletins/ into DATA_DIR/bulletins by hand."
        ) from None


def _origin(manifest: dict) -> str:
    return (
        f"made by Limpia {manifest.get('limpia_version', '?')} on "
        f"{manifest.get('database_vendor', '?')} at {manifest.get('created_at', '?')}"
    )


# ---------------------------------------------------------------- checking the archive


def _manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    try:
        content = archive.read(MANIFEST)
    except KeyError:
        raise BackupError(f"{path} is not a Limpia backup: it has no {MANIFEST}.") from None
    except (zipfile.BadZipFile, zlib.error) as exc:
        raise BackupError(f"The archive is damaged: {MANIFEST} cannot be read ({exc}).") from None
    _check_signature(archive, path, content)
    try:
        manifest = json.loads(content)
    except ValueError as exc:
        raise BackupError(f"The archive is damaged: {MANIFEST} cannot be read ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Limpia backup: its {MANIFEST} is not {FORMAT!r}.")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(
            f"The archive is in backup format {version!r}, which this Limpia "
            f"({limpia.__version__}) does not know: it reads format {FORMAT_VERSION}. Restore it "
            f"with the Limpia that made it ({manifest.get('limpia_version', '?')})."
        )
    migrations, rows, members = (manifest.get(k) for k in ("migrations", "rows", "members"))
    well_formed = (
        isinstance(migrations, dict)
        and all(isinstance(names, list) for names in migrations.values())
        and isinstance(rows, dict)
        and isinstance(members, list)
        and all(
            isinstance(m, dict)
            and isinstance(m.get("name"), str)
            and isinstance(m.get("size"), int)
            and isinstance(m.get("sha256"), str)
            for m in members
        )
    )
    if not well_formed:
        raise BackupError(f"The archive is damaged: its {MANIFEST} is incomplete.")
    return manifest


def _check_signature(archive: zipfile.ZipFile, path: Path, manifest: bytes) -> None:
    """The manifest must carry the signature this installation's key makes: the checksums it
    lists are then those `limpia backup` computed, and every member is checked against them."""
    from limpia.core.signing import verify_bytes

    try:
        signed = json.loads(archive.read(SIGNATURE))
    except KeyError:
        raise BackupError(
            f"{path} is not signed: it has no {SIGNATURE}. Limpia restores only archives "
            "written by `limpia backup`, which signs them with the installation's secret key."
        ) from None
    except (ValueError, zipfile.BadZipFile, zlib.error) as exc:
        raise BackupError(f"The archive is damaged: {SIGNATURE} cannot be read ({exc}).") from None
    signature = signed.get("signature") if isinstance(signed, dict) else None
    if not verify_bytes(SIGNATURE_SALT, manifest, signature):
        raise BackupError(
            f"The signature in {SIGNATURE} does not verify with this installation's secret "
            f"key: either the archive was altered after `limpia backup` wrote it, or it was "
            "written by an installation with another key. Restore it with that installation's "
            "key (LIMPIA_SECRET_KEY, or its DATA_DIR/secret_key file; see docs/configuration.md, "
            '"Backup and restore"). Nothing was written.'
        )


def _destinations(archive: zipfile.ZipFile, manifest: dict) -> dict[str, Path | None]:
    """Member name → where its file goes (None for the database's members), having checked
    that the archive holds exactly the members the manifest lists."""
    present = [name for name in archive.namelist() if name not in (MANIFEST, SIGNATURE)]
    listed = [member["name"] for member in manifest["members"]]
    if unlisted := sorted(set(present) - set(listed)):
        raise BackupError(f"The archive was altered: {unlisted[0]} is not in its {MANIFEST}.")
    if missing := [name for name in listed if name not in present]:
        raise BackupError(f"The archive is damaged: {missing[0]} is missing from it.")
    if len(set(present)) != len(present) or len(set(listed)) != len(listed):
        raise BackupError("The archive is damaged: it holds a member twice.")
    expected = {member_name(label) for label in manifest["rows"]}
    areas = file_areas()
    destinations: dict[str, Path | None] = {}
    for name in listed:
        if name.startswith(DATABASE_DIR) and name in expected:
            destinations[name] = None
            continue
        parts = PurePosixPath(name).parts
        if (
            len(parts) < 3
            or f"{parts[0]}/" != FILES_DIR
            or parts[1] not in areas
            or any(part in ("", ".", "..") or "\\" in part for part in parts)
        ):
            raise BackupError(f"The archive holds {name}, which this Limpia cannot place.")
        destinations[name] = areas[parts[1]].joinpath(*parts[2:])
    if missing := sorted(expected - set(listed)):
        raise BackupError(f"The archive is damaged: {missing[0]} is missing from it.")
    return destinations


def _models(manifest: dict) -> list[type[models.Model]]:
    known = {model._meta.label_lower: model for model in archived_models()}
    for label in manifest["rows"]:
        if label not in known:
            raise BackupError(f"The archive holds rows of {label}, which this Limpia lacks.")
    return [known[label] for label in manifest["rows"]]


def _named(migrations: list[tuple[str, str]]) -> str:
    first = ".".join(migrations[0])
    return first if len(migrations) == 1 else f"{first} (and {len(migrations) - 1} more)"


def _check_migrations(manifest: dict) -> None:
    archived = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)
    made_by = f"Limpia {manifest.get('limpia_version', '?')}"
    if newer := sorted(archived - known):
        raise BackupError(
            f"The archive was made by a newer Limpia ({made_by}): its database has migration "
            f"{_named(newer)}, which this Limpia ({limpia.__version__}) does not have. "
            "Upgrade Limpia, then restore."
        )
    if unapplied := unapplied_migrations():
        raise BackupError(
            f"This database lacks migration {'.'.join(unapplied[0])}: run `limpia migrate` first."
        )
    if older := sorted(set(loader.applied_migrations) - archived):
        raise BackupError(
            f"The archive was made by an older Limpia ({made_by}): its database lacks migration "
            f"{_named(older)}, so its rows fit older tables. Restore it with {made_by}, then "
            "upgrade as usual."
        )


def _staged(staging: Path, name: str) -> Path:
    """Where a file waits until the rows are committed ("files/media/x.pdf" → "media/x.pdf")."""
    return staging / name.removeprefix(FILES_DIR)


def _verify(archive: zipfile.ZipFile, member: dict, copy_to: Path | None) -> None:
    """Read the member through SHA-256 (copying it to `copy_to`, if given)."""
    name = member["name"]
    digest, size = hashlib.sha256(), 0
    if copy_to is not None:
        copy_to.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            archive.open(name) as source,
            copy_to.open("wb") if copy_to is not None else nullcontext() as copy,
        ):
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                if copy is not None:
                    copy.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BackupError(f"The archive is damaged: {name} cannot be read ({exc}).") from None
    if size != member["size"] or digest.hexdigest() != member["sha256"]:
        raise BackupError(
            f"The archive is damaged or was altered: {name} does not match its SHA-256 "
            f"checksum in {MANIFEST}."
        )


# ---------------------------------------------------------------- checking the installation


def _check_files_absent(destinations: dict[str, Path | None]) -> None:
    existing = [str(path) for path in destinations.values() if path is not None and path.exists()]
    if existing:
        shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if existing[5:] else "")
        raise BackupError(
            f"The data directory already holds files of the archive: {shown}. Restore into an "
            "installation whose data directory holds none of them."
        )


def _check_empty() -> None:
    quote = connection.ops.quote_name
    holding = []
    with connection.cursor() as cursor:
        for model in archived_models():
            for table in tables_of(model):
                cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
                count = cursor.fetchone()[0]
                if count:
                    holding.append(f"{table} ({count:,} {'row' if count == 1 else 'rows'})")
    if holding:
        raise BackupError(
            f"The database is not empty; rows are already in {', '.join(holding)}. A backup "
            "is restored into an installation made with `limpia migrate` alone (not `limpia "
            "setup` or `limpia demo`, which load reference data and plans)."
        )


# ---------------------------------------------------------------- loading the rows


def _load(archive: zipfile.ZipFile, manifest: dict, restored: list) -> dict[str, int]:
    rows = {}
    for model in restored:
        label = model._meta.label_lower
        name = member_name(label)
        try:
            rows[label] = _load_model(archive, name, model)
        except (DeserializationError, DatabaseError) as exc:
            raise BackupError(f"{name} cannot be loaded: {exc}") from None
        if rows[label] != manifest["rows"][label]:
            raise BackupError(
                f"The archive is damaged: {name} holds {rows[label]:,} rows, its {MANIFEST} "
                f"says {manifest['rows'][label]:,}."
            )
    try:
        connection.check_constraints(table_names=[t for m in restored for t in tables_of(m)])
    except IntegrityError as exc:
        raise BackupError(f"The archive's rows do not hold together: {exc}") from None
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), restored):
            cursor.execute(statement)
    from limpia.knowledge.search import rebuild_index  # SQLite's index is not a model's table

    rebuild_index()
    return rows


def _load_model(archive: zipfile.ZipFile, name: str, model: type[models.Model]) -> int:
    fields = [f for f in model._meta.local_concrete_fields if not f.generated]
    count, batch, links = 0, [], {}
    with archive.open(name) as raw:
        lines = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        for item in serializers.deserialize("jsonl", lines, using=connection.alias):
            if type(item.object) is not model:
                raise BackupError(f"{name} holds a row of {item.object._meta.label_lower}.")
            batch.append(item.object)
            for field_name, related in item.m2m_data.items():
                links.setdefault(field_name, []).extend((item.object.pk, pk) for pk in related)
            count += 1
            if len(batch) >= BATCH:
                _insert(model, fields, batch)
                _link(model, links)
                batch, links = [], {}
    _insert(model, fields, batch)
    _link(model, links)
    return count


def _insert(model: type[models.Model], fields: list, objects: list) -> None:
    if not objects:
        return
    size = max(1, min(BATCH, connection.ops.bulk_batch_size(fields, objects)))
    for start in range(0, len(objects), size):
        # raw=True as Model.save_base(raw=True) (loaddata): values exactly as archived.
        model._base_manager._insert(
            objects[start : start + size], fields=fields, using=connection.alias, raw=True
        )


def _link(model: type[models.Model], links: dict[str, list[tuple]]) -> None:
    """Rows of the automatic many-to-many tables, from (object pk, related pk) pairs."""
    for field_name, pairs in links.items():
        field = model._meta.get_field(field_name)
        through = field.remote_field.through
        source = through._meta.get_field(field.m2m_field_name())
        target = through._meta.get_field(field.m2m_reverse_field_name())
        rows = [through(**{source.attname: a, target.attname: b}) for a, b in pairs]
        _insert(through, [source, target], rows)

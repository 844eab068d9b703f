"""`limpia backup` and `limpia restore`: every row and file comes back, on either database, and
an archive that does not fit is refused before anything is written.

The round trip runs in the test's own transaction: after the backup, the tables are emptied and
the content types and permissions made afresh (with other ids), as `limpia migrate` leaves a new
installation, and on PostgreSQL the sequences start over, so that the restore has to move them.
The cross-vendor test restores into a real new installation of the other vendor (SQLite ↔
PostgreSQL) in a subprocess; from SQLite it needs a PostgreSQL server, by default
postgres://postgres@127.0.0.1:5432/postgres (LIMPIA_TEST_POSTGRES_URL), and skips without one.
"""

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, connections
from django.utils import timezone

import limpia
from limpia.agreements.models import Agreement, Impact
from limpia.agreements.sample import sample_agreements_load
from limpia.core.backup import archived_models, signature_of, tables_of
from limpia.core.models import Sector
from limpia.knowledge import search
from limpia.knowledge import services as knowledge_services
from limpia.knowledge.models import Document
from limpia.plans import services as plan_services
from limpia.plans.models import Indicator, Measurement, Plan
from limpia.registry.models import Expert

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BULLETIN = {"2025-S2.pdf": b"%PDF-1.7 bulletin\n%%EOF\n", "2025-S2.json": b'{"period": "2025-S2"}'}


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = settings.DATA_DIR / "media"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@pytest.fixture
def small_installation(data_dir, plan, ana, rita, rosa):
    """Rows in most apps, history rows, references by natural key, and files."""
    measurement = plan_services.measurement_create(
        acting_user=rita,
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=Decimal("12.345678"),
        disaggregation={"region": "CL-RM", "sexo": "mujeres"},
        submit=True,
    )
    plan_services.measurement_approve(acting_user=rosa, measurement=measurement)
    expert = Expert.objects.create(
        auditor_id="AUD-0001",
        kind="auditor",
        name="Auditora Ñuñoa",
        country_id="CL",
        registered_from=dt.date(2024, 3, 1),
    )
    expert.specialities.set(Sector.objects.filter(code__in=["10", "1071"]))
    document = knowledge_services.document_save(
        acting_user=ana,
        document=Document(
            kind="study",
            title="Eficiencia hídrica en viñas",
            abstract="Riego por goteo y reutilización del agua tratada.",
            tags=["agua", "riego"],
        ),
        upload=SimpleUploadedFile("estudio.pdf", PDF),
        sectors=list(Sector.objects.filter(code="01")),
    )
    bulletins = data_dir / "bulletins"
    bulletins.mkdir()
    for name, content in BULLETIN.items():
        (bulletins / name).write_bytes(content)
    editors = Group.objects.create(name="editores")
    editors.permissions.set(Permission.objects.filter(codename__in=["change_plan", "view_plan"]))
    ana.groups.add(editors)
    LogEntry.objects.create(
        user=ana,
        content_type=ContentType.objects.get_for_model(Plan),
        object_id=str(plan.pk),
        object_repr=str(plan),
        action_flag=CHANGE,
        change_message="[]",
    )
    Session.objects.create(
        session_key="s" * 32, session_data="{}", expire_date=timezone.now() + dt.timedelta(1)
    )
    return {"measurement": measurement, "document": document}


@pytest.fixture
def installation(small_installation):
    """And the sample agreements: some thousands of rows, with decimals, dates and history."""
    sample_agreements_load()
    return small_installation


def _counts() -> dict[str, int]:
    return {model._meta.label_lower: model._base_manager.count() for model in archived_models()}


def _backup(path) -> str:
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    return out.getvalue()


def _restore(path) -> str:
    out = io.StringIO()
    call_command("restore", str(path), stdout=out)
    return out.getvalue()


def _rows(archive_path) -> dict[str, list[dict]]:
    """The archived rows of every model, parsed (key order aside: PostgreSQL's jsonb sorts)."""
    with zipfile.ZipFile(archive_path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        return {
            label: [
                json.loads(line)
                for line in archive.read(f"database/{label}.jsonl").split(b"\n")
                if line
            ]
            for label in manifest["rows"]
        }


def _manifest(archive_path) -> dict:
    with zipfile.ZipFile(archive_path) as archive:
        return json.loads(archive.read("manifest.json"))


def _files(archive_path) -> dict[str, dict]:
    """The archived files: name → name, size and SHA-256."""
    members = _manifest(archive_path)["members"]
    return {m["name"]: m for m in members if m["name"].startswith("files/")}


@pytest.fixture
def empty_installation(data_dir):
    """Makes the database and data directory what `limpia migrate` leaves: the tables empty,
    content types and permissions made afresh with other ids and, on PostgreSQL, the sequences
    starting over. setval() outlives the test's rollback, so the sequences are put back after
    it, from a connection of their own."""
    saved = []

    def empty():
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in archived_models():
                for table in tables_of(model):
                    cursor.execute(f"DELETE FROM {quote(table)}")
            for table in ("django_session", "auth_permission", "django_content_type"):
                cursor.execute(f"DELETE FROM {quote(table)}")
            if connection.vendor == "sqlite":
                cursor.execute(f"DELETE FROM {search.FTS_TABLE}")
            else:
                for model in archived_models():
                    table, column = model._meta.db_table, model._meta.pk.column
                    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
                    sequence = cursor.fetchone()[0]
                    if sequence:
                        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                        saved.append((sequence, *cursor.fetchone()))
                        cursor.execute("SELECT setval(%s, 1, false)", [sequence])
        ContentType.objects.clear_cache()
        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
        shutil.rmtree(data_dir / "media")
        shutil.rmtree(data_dir / "bulletins")

    yield empty
    ContentType.objects.clear_cache()  # its ids are the rolled-back ones
    if saved:
        other = connections.create_connection(connection.alias)
        try:
            with other.cursor() as cursor:
                for sequence, last_value, is_called in saved:
                    cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])
        finally:
            other.close()


def test_it_restores_every_row_and_file_into_an_empty_installation(
    installation, empty_installation, data_dir, tmp_path, ana
):
    archive = tmp_path / "backup.zip"
    before = _counts()
    measurement = Measurement.objects.get(pk=installation["measurement"].pk)
    history = list(measurement.history.order_by("history_id").values())
    impact = Impact.objects.order_by("pk").first()
    plan_content_type = ContentType.objects.get_for_model(Plan).pk

    said = _backup(archive)

    assert f"Backed up into {archive}:" in said
    assert "  plans.measurement: 1 rows" in said
    manifest = _manifest(archive)
    assert manifest["rows"] == before
    assert "sessions.session" not in manifest["rows"]
    assert "contenttypes.contenttype" not in manifest["rows"]
    assert manifest["migrations"]["plans"][0] == "0001_initial"
    assert manifest["database_vendor"] == connection.vendor
    assert set(_files(archive)) == {
        f"files/media/{installation['document'].file.name}",
        "files/bulletins/2025-S2.pdf",
        "files/bulletins/2025-S2.json",
    }

    empty_installation()
    assert ContentType.objects.get_for_model(Plan).pk != plan_content_type
    said = _restore(archive)

    assert f"Restored {archive} (made by Limpia" in said
    assert "  agreements.agreement: 8 rows" in said
    assert "; 3 files (" in said
    assert _counts() == before
    restored = Measurement.objects.get(pk=measurement.pk)
    assert restored.value == Decimal("12.345678")
    assert restored.date == dt.date(2022, 7, 2)
    assert restored.disaggregation == {"region": "CL-RM", "sexo": "mujeres"}
    assert (restored.created_at, restored.reviewed_at) == (
        measurement.created_at,
        measurement.reviewed_at,
    )  # auto_now_add kept, microseconds too
    assert (restored.status, restored.reviewed_by.username) == ("approved", "rosa")
    assert list(restored.history.order_by("history_id").values()) == history
    assert Impact.objects.order_by("pk").first().value == impact.value
    plan = Plan.objects.get()
    assert plan.level_names == ["objetivo", "línea", "acción"]
    assert plan.period_start == dt.date(2020, 1, 1)
    document = Document.objects.get()
    assert document.tags == ["agua", "riego"]
    assert list(document.sectors.values_list("code", flat=True)) == ["01"]
    assert document.file.read() == PDF
    assert [hit.document for hit in search.search("riego", include_drafts=True)] == [document]
    expert = Expert.objects.get(auditor_id="AUD-0001")
    assert sorted(expert.specialities.values_list("code", flat=True)) == ["10", "1071"]
    for name, content in BULLETIN.items():
        assert (data_dir / "bulletins" / name).read_bytes() == content
    user = type(ana).objects.get(username="ana")
    assert user.check_password("contraseña-segura-1")
    assert set(user.groups.get().permissions.values_list("codename", flat=True)) == {
        "change_plan",
        "view_plan",
    }
    assert LogEntry.objects.get().content_type.model_class() is Plan
    assert not Session.objects.exists()

    again = tmp_path / "again.zip"
    _backup(again)
    assert _rows(again) == _rows(archive)  # every value of every row
    assert _files(again) == _files(archive)

    added = Agreement.objects.create(slug="nuevo", code="APL-NUEVO", name="Nuevo", country_id="CL")
    assert added.pk > max(Agreement.objects.exclude(pk=added.pk).values_list("pk", flat=True))


# ---------------------------------------------------------------- across vendors

LIMPIA = [sys.executable, "-m", "limpia.cli"]
POSTGRES = os.environ.get("LIMPIA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def other_vendor(tmp_path):
    """The environment of a new installation on the other database vendor: SQLite in its data
    directory when the tests run on PostgreSQL, else a new database on the PostgreSQL server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMPIA_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env["LIMPIA_DATA_DIR"] = str(tmp_path / "other")
    env["LIMPIA_SECRET_KEY"] = "backup-test-secret-key-" + "k" * 40
    (tmp_path / "other").mkdir()
    if connection.vendor == "postgresql":
        yield env
        return
    import psycopg

    try:
        server = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES} (LIMPIA_TEST_POSTGRES_URL): {exc}")
    name = f"limpia_restore_{uuid.uuid4().hex[:12]}"
    server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield env | {"DATABASE_URL": urlunsplit(urlsplit(POSTGRES)._replace(path=f"/{name}"))}
    finally:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


def test_it_restores_a_backup_into_the_other_database_vendor(
    small_installation, other_vendor, tmp_path, settings
):
    archive, again = tmp_path / "backup.zip", tmp_path / "again.zip"
    settings.SECRET_KEY = other_vendor["LIMPIA_SECRET_KEY"]  # the new one has the old one's key
    _backup(archive)
    commands = [
        ["migrate", "-v0"],
        ["restore", str(archive)],
        ["backup", str(again)],
        # a new row after the restore: PostgreSQL's sequences were moved past the restored ids
        ["createsuperuser", "--noinput", "--username", "nueva", "--email", "nueva@example.org"],
    ]
    env = other_vendor | {"DJANGO_SUPERUSER_PASSWORD": "otra-contraseña-segura-2"}
    said = {}
    for command in commands:
        done = subprocess.run(
            [*LIMPIA, *command], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"limpia {command[0]}: {done.stderr}"
        said[command[0]] = done.stdout

    assert "  plans.historicalmeasurement: 3 rows" in said["restore"]
    assert "Superuser created successfully." in said["createsuperuser"]
    assert _manifest(again)["database_vendor"] != connection.vendor
    assert _rows(again) == _rows(archive)
    assert _files(again) == _files(archive)


# ---------------------------------------------------------------- refusals


@pytest.fixture
def archive(small_installation, tmp_path):
    path = tmp_path / "backup.zip"
    _backup(path)
    return path


def _rewritten(archive: Path, change) -> Path:
    """A copy of the archive whose members pass through change(name, bytes) -> bytes."""
    copy = archive.with_name("changed.zip")
    with zipfile.ZipFile(archive) as old, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            new.writestr(name, change(name, old.read(name)))
    return copy


def _refusal(archive) -> str:
    with pytest.raises(CommandError) as refused:
        _restore(archive)
    return str(refused.value)


def test_it_refuses_to_restore_into_a_database_that_is_not_empty(archive, data_dir):
    message = _refusal(archive)

    assert message.startswith("The database is not empty; rows are already in ")
    assert "core_country (" in message
    assert "plans_measurement (1 row)" in message
    assert "`limpia migrate` alone" in message
    assert Measurement.objects.count() == 1
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".")] == []  # no staging


@pytest.mark.parametrize("altered", ["database/plans.measurement.jsonl", "files/media/documents/"])
def test_it_refuses_an_archive_whose_member_was_altered(
    archive, altered, empty_installation, data_dir
):
    def change(name, content):
        return content.replace(b"1", b"2") if name.startswith(altered) else content

    changed = _rewritten(archive, change)
    empty_installation()
    message = _refusal(changed)

    assert message.startswith("The archive is damaged or was altered: " + altered)
    assert "does not match its SHA-256 checksum in manifest.json" in message
    assert _counts() == dict.fromkeys(_counts(), 0)
    assert sorted(p.name for p in data_dir.iterdir()) == []  # no files, no staging


def _with_manifest(archive, edit, *, signed=True):
    """A copy whose manifest passes through edit(manifest), signed again with the installation's
    key (as the Limpia of another version would have signed it) unless `signed` is false."""
    edited = {}

    def change(name, content):
        if name == "manifest.json":
            manifest = json.loads(content)
            edit(manifest)
            edited["manifest"] = json.dumps(manifest).encode()
            return edited["manifest"]
        if name == "manifest.sig" and signed:
            return signature_of(edited["manifest"]).encode()
        return content

    return _rewritten(archive, change)


SIGNATURE_REFUSAL = (
    "The signature in manifest.sig does not verify with this installation's secret key: either "
    "the archive was altered after `limpia backup` wrote it, or it was written by an "
    "installation with another key."
)


def test_it_refuses_a_repacked_archive_whose_manifest_was_recomputed(
    archive, empty_installation, data_dir, ana
):
    """The attack: every user made a superuser, the checksums in the manifest recomputed."""
    users = "database/auth.user.jsonl"
    with zipfile.ZipFile(archive) as original:
        members = {name: original.read(name) for name in original.namelist()}
    assert b'"is_superuser": false' in members[users]
    promoted = members[users].replace(b'"is_superuser": false', b'"is_superuser": true')

    def recompute(manifest):
        for member in manifest["members"]:
            if member["name"] == users:
                member["size"] = len(promoted)
                member["sha256"] = hashlib.sha256(promoted).hexdigest()

    repacked = _with_manifest(archive, recompute, signed=False)
    with zipfile.ZipFile(repacked) as copy:
        members = {name: copy.read(name) for name in copy.namelist()}
    members[users] = promoted
    with zipfile.ZipFile(repacked, "w") as copy:
        for name, content in members.items():
            copy.writestr(name, content)
    empty_installation()

    message = _refusal(repacked)

    assert message.startswith(SIGNATURE_REFUSAL)
    assert message.endswith("Nothing was written.")
    assert _counts() == dict.fromkeys(_counts(), 0)
    assert sorted(p.name for p in data_dir.iterdir()) == []  # no staging either


def test_it_refuses_an_archive_of_an_installation_with_another_key(
    small_installation, empty_installation, tmp_path, settings
):
    archive = tmp_path / "backup.zip"
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-installation-secret-key-" + "x" * 40
    _backup(archive)
    settings.SECRET_KEY = old_key
    empty_installation()

    assert _refusal(archive).startswith(SIGNATURE_REFUSAL)
    assert _counts() == dict.fromkeys(_counts(), 0)

    # a key rotated away from is still accepted while it is among the fallbacks
    settings.SECRET_KEY_FALLBACKS = ["another-installation-secret-key-" + "x" * 40]
    assert "  plans.measurement: 1 rows" in _restore(archive)


def test_it_refuses_an_unsigned_archive(archive, empty_installation):
    unsigned = _rewritten(archive, lambda name, content: content)
    with zipfile.ZipFile(archive) as original:
        members = {n: original.read(n) for n in original.namelist() if n != "manifest.sig"}
    with zipfile.ZipFile(unsigned, "w") as copy:
        for name, content in members.items():
            copy.writestr(name, content)
    empty_installation()

    message = _refusal(unsigned)

    assert message.startswith(f"{unsigned} is not signed: it has no manifest.sig.")
    assert _counts() == dict.fromkeys(_counts(), 0)


def test_the_signature_is_keyed_and_names_how_it_was_made(archive, settings):
    with zipfile.ZipFile(archive) as written:
        assert written.namelist()[-1] == "manifest.sig"  # written last
        manifest, signed = written.read("manifest.json"), json.loads(written.read("manifest.sig"))
    assert signed["algorithm"] == "HMAC-SHA256"
    assert signed["salt"] == "limpia.backup.manifest"
    assert json.loads(signature_of(manifest)) == signed
    assert json.loads(signature_of(manifest, key="k" * 50)) != signed


def test_it_refuses_an_unknown_backup_format(archive):
    message = _refusal(_with_manifest(archive, lambda m: m.update(format_version=2)))

    assert (
        f"The archive is in backup format 2, which this Limpia ({limpia.__version__}) does not "
        "know: it reads format 1." in message
    )


def test_it_refuses_an_archive_made_by_a_newer_version(archive):
    def future(manifest):
        manifest["limpia_version"] = "9.0.0"
        manifest["migrations"]["plans"].append("0999_from_the_future")

    message = _refusal(_with_manifest(archive, future))

    assert message.startswith("The archive was made by a newer Limpia (Limpia 9.0.0)")
    assert "plans.0999_from_the_future" in message


def test_it_refuses_an_archive_made_by_an_older_version(archive):
    def past(manifest):
        manifest["migrations"]["plans"].pop()

    message = _refusal(_with_manifest(archive, past))

    assert message.startswith("The archive was made by an older Limpia")
    assert "lacks migration plans.0" in message


def test_it_refuses_to_write_the_archive_inside_a_directory_it_copies(small_installation):
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    with pytest.raises(CommandError, match="inside the media directory") as refused:
        _backup(media / "copia.zip")
    assert "copy itself" in str(refused.value)
    assert list(media.glob("*copia.zip*")) == []  # nothing started

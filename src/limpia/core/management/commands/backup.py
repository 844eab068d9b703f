"""`limpia backup FILE`: the database's rows and the data directory's files in one archive."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from limpia.core.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Write the database's rows and the data directory's uploaded and generated files into "
        "FILE, a new ZIP archive with a SHA-256 checksum per member (see `limpia restore`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the archive to write, e.g. limpia-2026-01-31.zip")

    def handle(self, *args, file, **options):
        try:
            summary = backup_write(Path(file))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Backed up into {file}:")
        for line in summary.lines():
            self.stdout.write(line)
        if bucket := settings.STORAGES["default"].get("OPTIONS", {}).get("bucket_name"):
            # LIMPIA_S3_BUCKET: the uploads are in the bucket, not in MEDIA_ROOT
            self.stdout.write(
                f"Uploaded files are in the object storage bucket LIMPIA_S3_BUCKET={bucket}, "
                "not in this archive: back the bucket up with its provider's tools."
            )

"""`limpia restore FILE`: a backup back into an empty installation (`limpia migrate` alone)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from limpia.core.backup import BackupError
from limpia.core.restore import backup_restore


class Command(BaseCommand):
    help = (
        "Restore FILE, an archive written by `limpia backup`, into this installation, which "
        "must be empty: set up with `limpia migrate` alone. Everything is checked first; the "
        "rows are loaded in one transaction and the files moved in after it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the archive written by `limpia backup`")

    def handle(self, *args, file, **options):
        try:
            summary = backup_restore(Path(file))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Restored {file} ({summary.origin}):")
        for line in summary.lines():
            self.stdout.write(line)

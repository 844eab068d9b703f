"""`limpia import plan|agreement FILE [--dry-run] [--user U] [--background]`."""

from django.core.management.base import BaseCommand, CommandError

from limpia.core.errors import DomainError
from limpia.exchange import jobs
from limpia.exchange.importers import IMPORTERS, acting_user_named, import_in_terminal


class Command(BaseCommand):
    help = (
        "Import a plan or agreement workbook (.xlsx, or .zip of CSV files); --dry-run previews, "
        "--background leaves it to the job worker (follow it with `limpia jobs show ID`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate and preview only")
        parser.add_argument(
            "--user",
            help="import as this user (their permissions apply and the history names them); "
            "without it the import is the operator's, like limpia loadplans",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="queue the import as a background job and return at once",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar on the terminal"
        )

    def handle(self, *args, kind, file, dry_run, user, background, no_progress, **options):
        try:
            if background:
                self._queue(kind, file, dry_run, user)
                return
            ok = import_in_terminal(
                kind,
                path=file,
                dry_run=dry_run,
                stdout=self.stdout,
                stderr=self.stderr,
                user=user,
                progress=not no_progress and self.stderr.isatty(),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not ok:
            raise CommandError("Nothing was written: the file has errors (listed above).")

    def _queue(self, kind, file, dry_run, user) -> None:
        from pathlib import Path

        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        job = jobs.submit(
            kind,
            path.read_bytes(),
            path.name,
            acting_user=acting_user_named(user),
            write=not dry_run,
        )
        self.stdout.write(f"Queued import job {job.pk} ({job.get_status_display()}).")
        self.stdout.write(f"Follow it with: limpia jobs show {job.pk} --follow")

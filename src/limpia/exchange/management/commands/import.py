"""`limpia import plan FILE [--dry-run]` and `limpia import agreement FILE [--dry-run]`."""

from importlib import import_module

from django.core.management.base import BaseCommand, CommandError

from limpia.core.errors import DomainError

IMPORTERS = {
    "plan": "limpia.exchange.plan_import:import_command",
    "agreement": "limpia.exchange.agreement_import:import_command",
}


class Command(BaseCommand):
    help = "Import a plan or agreement workbook (.xlsx, or .zip of CSV files); --dry-run previews."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate and preview only")
        parser.add_argument(
            "--user",
            help="import as this user (their permissions apply and the history names them); "
            "without it the import is the operator's, like limpia loadplans",
        )

    def handle(self, *args, kind, file, dry_run, user, **options):
        module, function = IMPORTERS[kind].split(":")
        try:
            importer = getattr(import_module(module), function)
        except (ImportError, AttributeError) as exc:
            raise CommandError(f"The {kind} import is not available: {exc}") from None
        try:
            ok = importer(
                path=file, dry_run=dry_run, stdout=self.stdout, stderr=self.stderr, user=user
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not ok:
            raise CommandError("Nothing was written: the file has errors (listed above).")

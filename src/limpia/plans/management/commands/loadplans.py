from django.core.management.base import BaseCommand, CommandError

from limpia.plans.loader import SourceFileError, load_plans


class Command(BaseCommand):
    help = "Load (or reload) the transcribed source plans from the package's data files."

    def handle(self, *args, **options):
        try:
            report = load_plans()
        except SourceFileError as exc:
            raise CommandError("The plan files have errors:\n" + "\n".join(exc.errors)) from None
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"Source plans: {report.summary()}.")

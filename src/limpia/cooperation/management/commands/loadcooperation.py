from django.core.management.base import BaseCommand, CommandError

from limpia.cooperation.loader import load_cooperation
from limpia.plans.loader import SourceFileError


class Command(BaseCommand):
    help = (
        "Load the IV meeting's programme proposals and guiding questions, and the cooperation "
        "needs the source plans state (idempotent; after loadplans)."
    )

    def handle(self, *args, **options):
        try:
            report = load_cooperation()
        except SourceFileError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Cooperation: {report.summary()}")

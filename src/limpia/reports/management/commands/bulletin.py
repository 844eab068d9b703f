"""`limpia bulletin 2026-S2`: generate a semester's bulletin (PDF and JSON) into the archive."""

from django.core.management.base import BaseCommand, CommandError

from limpia.core.errors import DomainError
from limpia.reports.bulletin import write_bulletin


class Command(BaseCommand):
    help = (
        "Generate the semiannual bulletin of PERIOD (YYYY-S1 for January–June, YYYY-S2 for "
        "July–December) into DATA_DIR/bulletins/ as PDF and JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("period", help="the semester, e.g. 2026-S2")
        parser.add_argument(
            "--language", default="es", choices=["es", "en", "pt"], help="language of the PDF"
        )

    def handle(self, *args, period, language, **options):
        try:
            written = write_bulletin(period, language=language)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Bulletin {written.period}: {written.pdf}")
        self.stdout.write(f"Content: {written.json}")
        self.stdout.write(f"Generated in {written.seconds:.2f} s")

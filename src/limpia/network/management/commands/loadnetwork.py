from django.core.management.base import BaseCommand, CommandError

from limpia.network.loader import load_network
from limpia.plans.loader import SourceFileError


class Command(BaseCommand):
    help = (
        "Load (or reload) the network's source data: bodies, memberships, focal points, "
        "meetings, decisions and commitments (after loadplans: it uses the plans' organizations)."
    )

    def handle(self, *args, **options):
        try:
            report = load_network()
        except SourceFileError as exc:
            raise CommandError("The network files have errors:\n" + "\n".join(exc.errors)) from None
        self.stdout.write(f"Network: {report.summary()}.")

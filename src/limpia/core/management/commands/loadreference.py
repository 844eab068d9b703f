from django.core.management.base import BaseCommand

from limpia.core.reference import load_reference_data


class Command(BaseCommand):
    help = "Load countries, subdivisions, LAC subregions and ISIC Rev.4 sectors (idempotent)."

    def handle(self, *args, **options):
        counts = load_reference_data()
        changed = ", ".join(f"{n} {name}" for name, n in counts.items())
        self.stdout.write(f"Reference data: {changed} added or updated.")

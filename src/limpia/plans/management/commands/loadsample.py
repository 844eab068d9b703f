from django.core.management.base import BaseCommand

from limpia.plans.sample import sample_measurements_load, sample_measurements_remove


class Command(BaseCommand):
    help = "Load the demonstration's sample measurements (flagged as sample data), or remove them."

    def add_arguments(self, parser):
        parser.add_argument("--remove", action="store_true", help="delete all sample data")

    def handle(self, *args, remove, **options):
        if remove:
            self.stdout.write(f"Sample data: {sample_measurements_remove()} rows removed.")
        else:
            from limpia.agreements.sample import sample_agreements_load

            self.stdout.write(f"Sample data: {sample_measurements_load()} measurements added.")
            self.stdout.write(f"Sample agreements: {sample_agreements_load()} added.")

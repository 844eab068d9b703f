from django.core.management.base import BaseCommand

from limpia.web.installation import prepare_installation


class Command(BaseCommand):
    help = "Set up or upgrade an installation: migrate, reference data, source plans, static files."

    def handle(self, *args, **options):
        prepare_installation(stdout=self.stdout, with_sample_data=False)
        self.stdout.write("Limpia is set up.")

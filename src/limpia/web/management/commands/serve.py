from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def check_ready() -> None:
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError(
            "The database is not set up or not up to date: run `limpia setup` "
            "(or `limpia demo --no-serve`) first."
        )


def serve(*, host: str, port: int, threads: int, stdout) -> None:
    from waitress import serve as waitress_serve

    from limpia.wsgi import application

    stdout.write(f"Limpia is serving on http://{host}:{port}/ (data in {settings.DATA_DIR}).")
    stdout.write("Press Ctrl+C to stop.")
    waitress_serve(application, host=host, port=port, threads=threads, ident="limpia")


class Command(BaseCommand):
    help = "Serve Limpia with a production WSGI server (waitress), static files included."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, threads, **options):
        check_ready()
        serve(host=host, port=port, threads=threads, stdout=self.stdout)

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


def serve(*, host: str, port: int, threads: int, stdout, worker: bool = True) -> None:
    from waitress import serve as waitress_serve

    from limpia.exchange.worker import start_worker_thread
    from limpia.wsgi import application

    if worker and start_worker_thread():
        stdout.write("Background jobs run in this process (`--no-worker` to run them elsewhere).")
    stdout.write(f"Limpia is serving on http://{host}:{port}/ (data in {settings.DATA_DIR}).")
    stdout.write("Press Ctrl+C to stop.")
    waitress_serve(application, host=host, port=port, threads=threads, ident="limpia")


class Command(BaseCommand):
    help = "Serve Limpia with a production WSGI server (waitress), static files included."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not run background jobs in this process (run `limpia db_worker` instead)",
        )

    def handle(self, *args, host, port, threads, no_worker, **options):
        check_ready()
        serve(host=host, port=port, threads=threads, stdout=self.stdout, worker=not no_worker)

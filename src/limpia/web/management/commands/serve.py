from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from limpia.conf import PROXY_HEADERS


def check_ready() -> None:
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError(
            "The database is not set up or not up to date: run `limpia setup` "
            "(or `limpia demo --no-serve`) first."
        )


def waitress_options(*, host: str, port: int, threads: int) -> dict:
    """waitress's options: where to listen, and the proxy in front (LIMPIA_TRUSTED_PROXY)."""
    return {
        "host": host,
        "port": port,
        "threads": threads,
        "ident": "limpia",
        **settings.WAITRESS_TRUSTED_PROXY,
    }


def untrusted_https_header() -> str | None:
    """The proxy's HTTPS header (LIMPIA_PROXY_SSL_HEADER) when waitress would drop it, because
    it is one of the X-Forwarded-* headers and LIMPIA_TRUSTED_PROXY does not trust it."""
    if not settings.SECURE_PROXY_SSL_HEADER:
        return None
    header = settings.SECURE_PROXY_SSL_HEADER[0].removeprefix("HTTP_").lower().replace("_", "-")
    trusted = settings.WAITRESS_TRUSTED_PROXY.get("trusted_proxy_headers", set())
    return header if header in PROXY_HEADERS and header not in trusted else None


def serve(*, host: str, port: int, threads: int, stdout, stderr, worker: bool = True) -> None:
    from waitress import serve as waitress_serve

    from limpia.exchange.worker import start_worker_thread
    from limpia.wsgi import application

    if header := untrusted_https_header():
        stderr.write(
            f"Warning: waitress drops the {header} header unless LIMPIA_TRUSTED_PROXY (the "
            "proxy's address) trusts it: no request will be seen as HTTPS."
        )
    if worker and start_worker_thread():
        stdout.write("Background jobs run in this process (`--no-worker` to run them elsewhere).")
    stdout.write(f"Limpia is serving on http://{host}:{port}/ (data in {settings.DATA_DIR}).")
    if proxy := settings.WAITRESS_TRUSTED_PROXY:
        headers = ", ".join(sorted(proxy["trusted_proxy_headers"]))
        stdout.write(f"Trusting {headers} from the proxy at {proxy['trusted_proxy']}.")
    stdout.write("Press Ctrl+C to stop.")
    waitress_serve(application, **waitress_options(host=host, port=port, threads=threads))


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
        serve(
            host=host,
            port=port,
            threads=threads,
            stdout=self.stdout,
            stderr=self.stderr,
            worker=not no_worker,
        )

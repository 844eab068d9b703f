import os

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


SERVERS = ("waitress", "gunicorn")


def default_workers() -> int:
    """gunicorn's usual 2 × cores + 1, capped: each worker is a process with its own memory."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


def gunicorn_options(*, host: str, port: int, workers: int, threads: int) -> dict:
    """gunicorn's options: where to listen, how many processes, and the proxy in front.

    gunicorn believes X-Forwarded-Proto only from forwarded_allow_ips: the trusted proxy, or
    nobody (its own default, 127.0.0.1, would trust any local process); the rest of the rule
    (X-Forwarded-For, dropping the headers from anyone else) is limpia.web.proxy's.
    """
    proxy = settings.WAITRESS_TRUSTED_PROXY
    trusted = proxy.get("trusted_proxy_headers", set())
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "forwarded_allow_ips": proxy.get("trusted_proxy", ""),
        "secure_scheme_headers": (
            {"X-FORWARDED-PROTO": "https"} if "x-forwarded-proto" in trusted else {}
        ),
        "proc_name": "limpia",
        "accesslog": None,
        "errorlog": "-",
        "timeout": 120,
    }


def run_gunicorn(application, options: dict, *, worker: bool) -> None:
    from gunicorn.app.base import BaseApplication

    from limpia.exchange.worker import start_worker_thread
    from limpia.web.proxy import TrustedProxyMiddleware

    def post_worker_init(_):  # threads do not survive fork: each worker starts its own
        from django.db import connections

        connections.close_all()  # never share the master's database connection
        if worker:
            start_worker_thread()

    class Server(BaseApplication):
        def load_config(self):
            for name, value in {**options, "post_worker_init": post_worker_init}.items():
                self.cfg.set(name, value)

        def load(self):
            return TrustedProxyMiddleware(application, **settings.WAITRESS_TRUSTED_PROXY)

    Server().run()


def serve(
    *,
    host: str,
    port: int,
    threads: int | None = None,
    stdout,
    stderr,
    worker: bool = True,
    server: str = "waitress",
    workers: int | None = None,
) -> None:
    from limpia.exchange.worker import start_worker_thread
    from limpia.wsgi import application

    if server == "gunicorn":
        try:
            import gunicorn  # noqa: F401
        except ImportError:
            raise CommandError(
                "gunicorn is not installed: install Limpia with the scale extra "
                "(pip install 'limpia[scale]') or serve with --server waitress"
            ) from None
    if header := untrusted_https_header():
        stderr.write(
            f"Warning: {server} drops the {header} header unless LIMPIA_TRUSTED_PROXY (the "
            "proxy's address) trusts it: no request will be seen as HTTPS."
        )
    workers = workers or default_workers()
    if server == "waitress" and worker and start_worker_thread():
        stdout.write("Background jobs run in this process (`--no-worker` to run them elsewhere).")
    elif server == "gunicorn" and worker and settings.TASKS_BACKEND == "database":
        stdout.write("Background jobs run in each worker (`--no-worker` to run them elsewhere).")
    processes = f", {workers} gunicorn workers" if server == "gunicorn" else ""
    stdout.write(
        f"Limpia is serving on http://{host}:{port}/ (data in {settings.DATA_DIR}{processes})."
    )
    if proxy := settings.WAITRESS_TRUSTED_PROXY:
        headers = ", ".join(sorted(proxy["trusted_proxy_headers"]))
        stdout.write(f"Trusting {headers} from the proxy at {proxy['trusted_proxy']}.")
    stdout.write("Press Ctrl+C to stop.")
    if server == "gunicorn":
        stdout.flush()
        options = gunicorn_options(host=host, port=port, workers=workers, threads=threads or 1)
        run_gunicorn(application, options, worker=worker)
        return
    from waitress import serve as waitress_serve

    waitress_serve(application, **waitress_options(host=host, port=port, threads=threads or 8))


class Command(BaseCommand):
    help = (
        "Serve Limpia with a production WSGI server (waitress, or gunicorn with several "
        "workers), static files included."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--server",
            choices=SERVERS,
            default="waitress",
            help="WSGI server: waitress (default, one process) or gunicorn (several processes; "
            "the scale extra)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=f"gunicorn worker processes (default 2 x cores + 1, at most 8: "
            f"{default_workers()} here)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="threads per process (default: 8 for waitress, 1 for each gunicorn worker)",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not run background jobs in this process (run `limpia db_worker` instead)",
        )

    def handle(self, *args, host, port, threads, no_worker, server, workers, **options):
        if workers is not None and (server != "gunicorn" or workers < 1):
            raise CommandError("--workers needs --server gunicorn and at least 1")
        check_ready()
        serve(
            host=host,
            port=port,
            threads=threads,
            server=server,
            workers=workers,
            stdout=self.stdout,
            stderr=self.stderr,
            worker=not no_worker,
        )

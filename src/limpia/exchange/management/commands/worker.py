"""`limpia worker [--burst] [--no-fork]`: run background jobs from LIMPIA_TASKS_BACKEND's queue.

With the database backend (the default), django-tasks-db's worker; with rq, an RQ worker on
LIMPIA_REDIS_URL (several may run, on any machine that reaches Redis and the database). Each
RQ job runs in a forked process of its own unless --no-fork.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from limpia.conf import masked


class Command(BaseCommand):
    help = "Run background jobs (imports) from the queue: the database's, or Redis's with rq."

    def add_arguments(self, parser):
        parser.add_argument(
            "--burst", action="store_true", help="run the jobs queued now, then stop"
        )
        parser.add_argument(
            "--no-fork",
            action="store_true",
            help="rq: run each job in the worker's own process (rq's SimpleWorker)",
        )

    def handle(self, *args, burst, no_fork, **options):
        backend = settings.TASKS_BACKEND
        if backend == "immediate":
            raise CommandError(
                "LIMPIA_TASKS_BACKEND=immediate runs jobs inside the request: no worker needed."
            )
        if backend == "database":
            # --burst: the jobs queued now, without the start-up jitter that spreads workers out
            burst_options = ["--batch", "--no-startup-delay"] if burst else []
            call_command("db_worker", *burst_options, verbosity=options["verbosity"])
            return
        self.run_rq(burst=burst, fork=not no_fork)

    def run_rq(self, *, burst: bool, fork: bool) -> None:
        import django_rq
        from django.db import connections

        queues = list(settings.TASKS["default"].get("QUEUES") or ["default"])
        worker = django_rq.get_worker(
            *queues,
            job_class="django_tasks_rq.Job",
            worker_class=None if fork else "rq.worker.SimpleWorker",
        )
        if fork:
            connections.close_all()  # a forked job must not share the worker's connections
        self.stdout.write(f"RQ worker on {', '.join(queues)} at {masked(settings.REDIS_URL)}.")
        worker.work(burst=burst, logging_level="WARNING")

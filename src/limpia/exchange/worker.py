"""The job worker inside the web server's process, for single-machine installations.

`limpia serve` and `limpia demo` start one thread running django-tasks-db's worker loop, so that
imports queued from the pages run without a second command. Larger installations run
`limpia db_worker` as processes of their own and serve with `--no-worker`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.conf import settings

logger = logging.getLogger(__name__)


def start_worker_thread(*, interval: float = 1.0) -> threading.Thread | None:
    """Start the worker loop in a daemon thread; None when jobs run immediately (no queue)."""
    if settings.TASKS_BACKEND != "database":
        return None
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"{socket.gethostname()}-{os.getpid()}-web"[:64],
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=_run, args=(worker,), name="limpia-worker", daemon=True)
    thread.start()
    return thread


def _run(worker) -> None:
    try:
        worker.run()
    except Exception:  # the web server goes on; queued jobs wait for a worker
        logger.exception("The job worker thread stopped")

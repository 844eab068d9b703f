"""`limpia worker`: the queue LIMPIA_TASKS_BACKEND names (test_redis_jobs.py runs it on Redis)."""

import signal
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from limpia.exchange import jobs
from limpia.exchange.tests.test_jobs import ROWS, measurements_workbook
from limpia.plans.models import Measurement


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def test_with_the_database_backend_it_runs_the_jobs_queued_there(plan, ana, settings):
    settings.TASKS_BACKEND = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = jobs.submit(
        "plan", measurements_workbook(plan), "mediciones.xlsx", acting_user=ana, write=True
    )
    assert job.status == "queued"
    # django-tasks-db's worker closes "old" connections, here the test's own: not here. It
    # also installs its own signal handlers: give the test process its own back.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            call_command("worker", "--burst", verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    job.refresh_from_db()
    assert job.status == "done"
    assert Measurement.objects.filter(indicator__plan=plan).count() == ROWS


def test_it_refuses_the_immediate_backend_naming_it(settings):
    settings.TASKS_BACKEND = "immediate"
    with pytest.raises(CommandError) as refused:
        call_command("worker", "--burst")
    assert str(refused.value) == (
        "LIMPIA_TASKS_BACKEND=immediate runs jobs inside the request: no worker needed."
    )

"""Background jobs on Redis (LIMPIA_TASKS_BACKEND=rq, django-tasks-rq): an import queued from
the product's own path waits in Redis, `limpia worker --burst` runs it, and the job's status,
result and progress read as they do with the database backend (test_jobs.py)."""

import json
import signal

import pytest
from django.core.management import call_command

from limpia.core.tests.redis import flush, redis_url
from limpia.exchange import jobs
from limpia.exchange.tests.test_jobs import ROWS, measurements_workbook
from limpia.plans.models import Measurement


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def redis_queue(settings):
    url = redis_url("jobs")
    settings.TASKS_BACKEND = "rq"
    settings.REDIS_URL = url
    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 600}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    yield url
    flush(url)


def run_worker() -> None:
    # rq installs its own signal handlers: give the test process its own back.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("worker", "--burst", "--no-fork", verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_an_rq_worker_runs_a_job_queued_in_redis_and_its_progress_shows(plan, ana, redis_queue):
    import django_rq

    job = jobs.submit(
        "plan", measurements_workbook(plan), "mediciones.xlsx", acting_user=ana, write=True
    )
    assert job.status == "queued"
    queue = django_rq.get_queue("default")
    assert queue.count == 1  # waiting in Redis, not in the database's queue
    assert list(queue.jobs[0].args) == [str(job.pk)]
    assert not Measurement.objects.filter(indicator__plan=plan).exists()

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.attempts, job.slug) == ("done", 1, plan.slug)
    assert job.result["counts"]["measurements"]["create"] == ROWS
    assert Measurement.objects.filter(indicator__plan=plan).count() == ROWS
    last = json.loads(jobs.progress_path(job).read_text())
    assert (last["phase"], last["done"]) == ("writing", last["total"])
    assert jobs.progress(job)["percent"] == 100
    assert queue.count == 0
    assert queue.finished_job_registry.count == 1  # RQ saw it succeed
    rq_job = queue.fetch_job(queue.finished_job_registry.get_job_ids()[0])
    assert rq_job.return_value() == "done"  # what run_import_job returned

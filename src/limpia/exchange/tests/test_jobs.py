"""Background import jobs: the database queue and its worker, progress, failures and retries,
the terminal's bar and `limpia import --background` / `limpia jobs`."""

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from limpia.exchange import jobs
from limpia.exchange.importers import import_in_terminal
from limpia.exchange.models import ImportJob
from limpia.plans.models import Measurement

ROWS = 3000


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def english():
    """Messages in English (the msgids), whatever the state of the translations."""
    with translation.override("en"):
        yield


@pytest.fixture
def database_queue(settings):
    """Jobs queued in the database, as in production, instead of run at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def measurements_workbook(plan, rows=ROWS, status="approved") -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheets = {
        "plan": [
            ["key", "value"],
            ["slug", plan.slug],
            ["title", plan.title],
            ["jurisdiction", "CL"],
            ["period_start", plan.period_start],
            ["period_end", plan.period_end],
        ],
        "nodes": [["code", "title"]],
        "indicators": [["code", "name", "kind"]],
        "targets": [["indicator_code"]],
    }
    for name, content in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in content:
            sheet.append(row)
    sheet = workbook.create_sheet("measurements")
    sheet.append(["indicator_code", "date", "value", "status", "dim:region"])
    start = dt.date(2010, 1, 1)
    for n in range(rows):
        sheet.append(["I1", start + dt.timedelta(days=n), n, status, f"R{n % 3}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_worker() -> None:
    """django-tasks-db's worker, once through the queue. It closes "old" connections between
    tasks, which inside the test's transaction would close the test's own: not here."""
    import signal
    from unittest import mock

    # The worker installs its own SIGINT/SIGTERM handlers: give the test process its own back.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            call_command(
                "db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0
            )
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_a_worker_runs_a_queued_job_and_reports_its_progress(plan, ana, database_queue):
    job = jobs.submit(
        "plan", measurements_workbook(plan), "mediciones.xlsx", acting_user=ana, write=True
    )
    assert job.status == "queued"  # nothing runs until a worker takes it
    assert not Measurement.objects.filter(indicator__plan=plan).exists()
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.slug) == ("done", 1, plan.slug)
    assert job.result["counts"]["measurements"]["create"] == ROWS
    assert len(job.result["rows"]) == jobs.ROWS_KEPT  # the counts say how many there were
    assert Measurement.objects.filter(indicator__plan=plan).count() == ROWS
    last = json.loads(jobs.progress_path(job).read_text())
    assert (last["phase"], last["done"], last["total"]) == ("writing", last["total"], last["total"])
    assert last["total"] >= ROWS
    assert jobs.progress(job)["percent"] == 100
    assert not jobs.upload_path(job).exists()
    # The history names who uploaded it, not the worker.
    assert Measurement.history.filter(history_user=ana).count() == ROWS


def test_it_runs_a_job_only_once(plan, ana):
    job = jobs.submit("plan", measurements_workbook(plan, 10), "m.xlsx", acting_user=ana)
    assert job.status == "ready"
    assert jobs.run(str(job.pk)) == "ready"  # not queued any more: left alone
    job.refresh_from_db()
    assert job.attempts == 1


def test_a_failed_write_leaves_nothing_and_can_be_retried(plan, ana, monkeypatch):
    from limpia.exchange import plan_import

    real = plan_import._write_measurements

    def crash(*args, **kwargs):
        real(*args, **kwargs)  # the rows are written... then the process fails
        raise OSError("disk full")

    monkeypatch.setattr(plan_import, "_write_measurements", crash)
    job = jobs.submit("plan", measurements_workbook(plan), "m.xlsx", acting_user=ana, write=True)
    assert (job.status, job.error) == ("failed", "OSError: disk full")
    assert not Measurement.objects.filter(indicator__plan=plan).exists()  # rolled back
    assert jobs.upload_path(job).exists()  # kept for the retry
    monkeypatch.setattr(plan_import, "_write_measurements", real)
    job = jobs.retry(job, acting_user=ana)
    assert (job.status, job.attempts, job.error) == ("done", 2, "")
    assert Measurement.objects.filter(indicator__plan=plan).count() == ROWS


def test_it_refuses_to_retry_or_confirm_out_of_turn(plan, ana, elena):
    content = measurements_workbook(plan, 10, status="draft")
    job = jobs.submit("plan", content, "m.xlsx", acting_user=elena)
    assert job.status == "ready"
    with pytest.raises(Exception, match="Only a failed or stalled import can be retried"):
        jobs.retry(job, acting_user=elena)
    with pytest.raises(Exception, match="Only the person who uploaded"):
        jobs.confirm(job, acting_user=ana)
    job = jobs.confirm(job, acting_user=elena)
    assert job.status == "done"
    with pytest.raises(Exception, match="cannot be discarded now"):
        jobs.discard(job, acting_user=elena)


def test_it_refuses_a_user_who_may_not_import(plan, carlos):
    with pytest.raises(Exception, match="not allowed to import"):
        jobs.submit("plan", measurements_workbook(plan, 10), "m.xlsx", acting_user=carlos)
    assert not ImportJob.objects.exists()


def test_it_calls_a_queued_job_stalled_when_no_worker_takes_it(plan, ana, database_queue):
    job = jobs.submit("plan", measurements_workbook(plan, 10), "m.xlsx", acting_user=ana)
    later = job.created_at.timestamp() + jobs.QUEUE_STALL_SECONDS + 1
    assert not jobs.is_stalled(job)
    assert jobs.is_stalled(job, now=later)


def test_the_terminal_shows_a_bar_through_the_three_phases(plan, tmp_path):
    path = tmp_path / "m.xlsx"
    path.write_bytes(measurements_workbook(plan))
    out, err = io.StringIO(), io.StringIO()
    assert import_in_terminal("plan", path=path, stdout=out, stderr=err, progress=True)
    bar = err.getvalue()
    for phase in ("reading", "checking", "writing"):
        assert phase in bar
    assert "100%" in bar
    assert f"Imported {plan.slug}: {ROWS} row(s) created or updated." in out.getvalue()


def test_the_command_queues_a_job_and_lists_and_shows_it(plan, ana, tmp_path, database_queue):
    path = tmp_path / "m.xlsx"
    path.write_bytes(measurements_workbook(plan, 20))
    out = io.StringIO()
    call_command("import", "plan", str(path), "--background", stdout=out)
    job = ImportJob.objects.get()
    assert f"Queued import job {job.pk}" in out.getvalue()
    assert (job.status, job.write, job.created_by) == ("queued", True, None)
    run_worker()
    listing = io.StringIO()
    call_command("jobs", stdout=listing)
    assert str(job.pk) in listing.getvalue() and "done" in listing.getvalue()
    shown = io.StringIO()
    call_command("jobs", "show", str(job.pk), "--follow", stdout=shown)
    assert "measurements: 20 create, 0 update, 0 unchanged" in shown.getvalue()
    with pytest.raises(CommandError, match="No import job"):
        call_command("jobs", "show", "not-a-job")
    with pytest.raises(CommandError, match="can be retried"):
        call_command("jobs", "retry", str(job.pk))


def killed_mid_write(job) -> None:
    """What a worker killed while writing `job` leaves: the job writing, its heartbeat long
    silent, and its task row RUNNING."""
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.ready().get(args_kwargs__args__0=str(job.pk))
    row.claim("killed-worker")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(status="writing", started_at=long_ago)


def task_rows() -> list[tuple[str, str, str]]:
    from django_tasks_db.models import DBTaskResult

    return [
        (row.args_kwargs["args"][0], row.status, row.exception_class_path)
        for row in DBTaskResult.objects.order_by("enqueued_at")
    ]


def test_discarding_a_stalled_job_fails_the_task_row_its_killed_worker_left_running(
    plan, ana, database_queue
):
    job = jobs.submit("plan", measurements_workbook(plan, 10), "m.xlsx", acting_user=ana)
    killed_mid_write(job)
    call_command("jobs", "discard", str(job.pk), stdout=io.StringIO())
    job.refresh_from_db()
    assert job.status == "discarded"
    assert task_rows() == [(str(job.pk), "FAILED", "limpia.exchange.jobs.WorkerLost")]
    assert job.history.first().history_change_reason == "discarded"


def test_a_worker_fails_the_task_rows_of_killed_runs_and_leaves_their_jobs_to_retry(
    plan, ana, database_queue
):
    killed = jobs.submit("plan", measurements_workbook(plan, 10), "m.xlsx", acting_user=ana)
    killed_mid_write(killed)
    other = jobs.submit("plan", measurements_workbook(plan, 10), "n.xlsx", acting_user=ana)
    run_worker()  # takes the other job, and sees the killed run's row for what it is
    assert task_rows() == [
        (str(killed.pk), "FAILED", "limpia.exchange.jobs.WorkerLost"),
        (str(other.pk), "SUCCESSFUL", ""),
    ]
    killed.refresh_from_db()
    assert killed.status == "writing" and jobs.is_stalled(killed)  # still the owner's to retry
    jobs.retry(killed, acting_user=ana)
    run_worker()
    assert [status for _, status, _ in task_rows()] == ["FAILED", "SUCCESSFUL", "SUCCESSFUL"]

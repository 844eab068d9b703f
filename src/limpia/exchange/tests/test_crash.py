"""A worker killed in the middle of an import (SIGKILL, no goodbye) leaves the database as it
was, and the job can be retried to completion. Real processes on a real database: a fresh
SQLite file, or a fresh PostgreSQL database when the suite runs on PostgreSQL."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import openpyxl
import pytest

ROWS = 12_000
LIMPIA = [sys.executable, "-m", "limpia.cli"]


def _workbook(path: Path) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheets = {
        "plan": [
            ["key", "value"],
            ["slug", "plan-caida"],
            ["title", "Plan importado durante una caída"],
            ["jurisdiction", "CL"],
            ["period_start", dt.date(1900, 1, 1)],
            ["period_end", dt.date(2040, 12, 31)],
        ],
        "nodes": [["code", "title"], ["1", "Objetivo"]],
        "indicators": [["code", "node_code", "name", "kind"], ["I1", "1", "Empresas", "quantity"]],
        "targets": [["indicator_code"]],
    }
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    sheet = workbook.create_sheet("measurements")
    sheet.append(["indicator_code", "date", "value", "status"])
    start = dt.date(1920, 1, 1)
    for n in range(ROWS):
        sheet.append(["I1", start + dt.timedelta(days=n), n, "approved"])
    workbook.save(path)


@pytest.fixture
def installation(tmp_path):
    """Environment variables of a fresh, migrated installation of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMPIA_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env["LIMPIA_DATA_DIR"] = str(tmp_path / "var")
    env["LIMPIA_SECRET_KEY"] = "crash-test-secret-key-" + "x" * 40
    env["LIMPIA_JOB_STALL_SECONDS"] = "2"
    Path(env["LIMPIA_DATA_DIR"]).mkdir()
    database = None
    if os.environ.get("DATABASE_URL"):
        import psycopg

        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        database = f"limpia_crash_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = f"{base}/{database}"
    for command in (["migrate", "-v0"], ["loadreference"]):
        run = subprocess.run([*LIMPIA, *command], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    yield env
    if database:
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _limpia(env, *args, timeout=300):
    result = subprocess.run(
        [*LIMPIA, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def _count(env) -> str:
    return _limpia(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from limpia.plans.models import Measurement, Plan;"
        "from limpia.exchange.models import ImportJob;"
        "print(Plan.objects.filter(slug='plan-caida').count(),"
        " Measurement.objects.filter(indicator__plan__slug='plan-caida').count(),"
        " ImportJob.objects.get().status)",
    ).strip()


def _task_rows(env) -> list[str]:
    """The task queue's rows (django-tasks-db), oldest first: status and recorded error."""
    return _limpia(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from django_tasks_db.models import DBTaskResult;"
        "[print(row.status, row.exception_class_path or '-')"
        " for row in DBTaskResult.objects.order_by('enqueued_at')]",
    ).splitlines()


def test_a_killed_worker_leaves_nothing_half_written_and_the_job_retries(installation, tmp_path):
    env = installation
    book = tmp_path / "grande.xlsx"
    _workbook(book)
    queued = _limpia(env, "import", "plan", str(book), "--background")
    job_id = queued.split("Queued import job ", 1)[1].split(" ", 1)[0]
    progress = Path(env["LIMPIA_DATA_DIR"]) / "jobs" / f"{job_id}.json"

    worker = subprocess.Popen(
        [*LIMPIA, "db_worker", "--no-startup-delay", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while True:  # until the worker is writing measurements, inside its transaction
            snapshot = json.loads(progress.read_text()) if progress.exists() else {}
            if snapshot.get("phase") == "writing" and snapshot.get("done", 0) > 2000:
                break
            assert worker.poll() is None, "the worker stopped on its own"
            if time.monotonic() > deadline:
                raise AssertionError(f"no writing: {_limpia(env, 'jobs', 'show', job_id)}")
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert _count(env) == "0 0 writing"  # nothing of the import, the job left "writing"
    assert _task_rows(env) == ["RUNNING -"]  # and its task row, which no worker will finish
    time.sleep(2.5)  # LIMPIA_JOB_STALL_SECONDS: the job is now stalled
    assert "stalled" in _limpia(env, "jobs")
    _limpia(env, "jobs", "retry", job_id)
    _limpia(env, "db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    assert _count(env) == f"1 {ROWS} done"
    # The killed run's row was marked failed when the job was retried; the retry's succeeded.
    assert _task_rows(env) == ["FAILED limpia.exchange.jobs.WorkerLost", "SUCCESSFUL -"]

"""The `limpia` command as an installer uses it: demo set-up twice, then serving for real."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.own_sqlite  # conftest: the SQLite suite runs it

LIMPIA = [sys.executable, "-m", "limpia.cli"]


def _run(args, env, timeout=300):
    return subprocess.run(
        [*LIMPIA, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def installation(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMPIA_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env["LIMPIA_DATA_DIR"] = str(tmp_path / "var")
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_it_sets_up_the_demo_once_and_changes_nothing_the_second_time(installation):
    first = _run(["demo", "--no-serve"], installation)
    assert first.returncode == 0, first.stderr
    assert "Administrator created: username admin, password " in first.stdout
    assert ", 9 plans," in first.stdout
    assert "Demo account created: username reportera, password " in first.stdout
    assert "Demo account created: username revisora, password " in first.stdout
    second = _run(["demo", "--no-serve"], installation)
    assert second.returncode == 0, second.stderr
    assert "Source plans: created nothing; updated nothing; deleted nothing" in second.stdout
    assert "Sample data: 0 measurements added" in second.stdout
    assert "Sample agreements: 8 added" in first.stdout
    assert "Sample agreements: 0 added" in second.stdout
    assert "password" not in second.stdout  # the generated password is shown only once
    database = sqlite3.connect(Path(installation["LIMPIA_DATA_DIR"]) / "limpia.sqlite3")
    assert database.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    database.close()

    port = _free_port()
    server = subprocess.Popen(
        [*LIMPIA, "serve", "--port", str(port)],
        env=installation,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        html = page.read().decode()
        assert "Política de Producción Limpia al 2010" in html
        css = next(part.split('"')[0] for part in html.split('href="') if "bootstrap" in part)
        stylesheet = urllib.request.urlopen(f"http://127.0.0.1:{port}{css}", timeout=5)
        assert stylesheet.headers["Content-Type"].startswith("text/css")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_it_refuses_to_serve_an_installation_that_is_not_set_up(installation):
    result = _run(["serve", "--port", str(_free_port())], installation)
    assert result.returncode != 0
    assert "limpia setup" in result.stderr


def test_it_names_the_variable_when_configuration_is_wrong(installation):
    result = _run(["check"], {**installation, "LIMPIA_DEBUG": "maybe"})
    assert result.returncode == 2
    assert "LIMPIA_DEBUG" in result.stderr

"""`limpia serve` behind a TLS-terminating proxy, for real (docs/configuration.md, Security):
waitress takes X-Forwarded-Proto and X-Forwarded-For only from LIMPIA_TRUSTED_PROXY, so the
HTTPS redirect stops once the proxy says https, a visitor who says so himself is still
redirected, and failed logins are counted by the visitor's address, not the proxy's. Each test
runs under waitress and under gunicorn with two workers (`--server gunicorn`), which must apply
the same rule (limpia.web.proxy)."""

import http.client
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.own_sqlite  # conftest: the SQLite suite runs it

LIMPIA = [sys.executable, "-m", "limpia.cli"]
PAGE = "/accounts/login/"
HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """A migrated installation served over HTTPS (LIMPIA_SECURE_COOKIES) by a proxy."""
    data_dir = tmp_path_factory.mktemp("behind-proxy") / "var"
    (data_dir / "static").mkdir(parents=True)  # no collectstatic: plain storage, no warning
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMPIA_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        LIMPIA_DATA_DIR=str(data_dir),
        LIMPIA_SECRET_KEY="behind-the-proxy-" + "k" * 50,
        LIMPIA_SECURE_COOKIES="true",
        LIMPIA_STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
    )
    migrated = subprocess.run(
        [*LIMPIA, "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=300
    )
    assert migrated.returncode == 0, migrated.stderr
    return env


SERVERS = {"waitress": [], "gunicorn": ["--server", "gunicorn", "--workers", "2"]}


@pytest.fixture(scope="module", params=list(SERVERS))
def server(request):
    return request.param


@contextmanager
def serving(env, server="waitress", **variables):
    """`limpia serve` on a free port; yields the port and, once stopped, its output."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*LIMPIA, "serve", "--no-worker", "--port", str(port), *SERVERS[server]],
        env={**env, **variables},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.communicate()[0]) from None
                time.sleep(0.2)
        yield port, output
    finally:
        server.terminate()
        output.append(server.communicate(timeout=10)[0])


def request(port, method, path, headers=None, body=None) -> tuple[int, dict, str]:
    """One request from this process, at 127.0.0.1: what the proxy (or a visitor) sends."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def behind_proxy(installation, server):
    """Served with the proxy at 127.0.0.1, the address this test's requests come from."""
    with serving(installation, server, LIMPIA_TRUSTED_PROXY="127.0.0.1") as (port, _):
        yield port


def test_it_answers_a_request_the_trusted_proxy_says_came_over_https(behind_proxy):
    status, headers, body = request(behind_proxy, "GET", PAGE, HTTPS)
    assert status == 200, headers
    assert 'name="csrfmiddlewaretoken"' in body
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_it_still_redirects_a_plain_request_from_the_trusted_proxy(behind_proxy):
    status, headers, _ = request(behind_proxy, "GET", PAGE)
    assert status == 301
    assert headers["Location"] == f"https://127.0.0.1:{behind_proxy}{PAGE}"


@pytest.mark.parametrize(
    ("proxy", "warned"),
    [
        pytest.param({}, True, id="no-trusted-proxy"),
        pytest.param({"LIMPIA_TRUSTED_PROXY": "192.0.2.1"}, False, id="another-address"),
    ],
)
def test_it_ignores_the_https_header_from_anyone_but_the_trusted_proxy(
    installation, server, proxy, warned
):
    with serving(installation, server, **proxy) as (port, output):
        status, headers, _ = request(port, "GET", PAGE, HTTPS)
    assert status == 301  # a visitor cannot make itself look like HTTPS
    assert headers["Location"] == f"https://127.0.0.1:{port}{PAGE}"
    # Without a trusted proxy, `limpia serve` says at start that nothing will be HTTPS.
    assert (f"{server} drops the x-forwarded-proto header" in output[0]) is warned


def test_it_counts_failed_logins_by_the_address_the_trusted_proxy_forwards(
    installation, server, behind_proxy
):
    # The proxy appends the address it saw (nginx: $proxy_add_x_forwarded_for) after whatever
    # the visitor claimed; only that last one counts.
    forwarded = {**HTTPS, "X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    status, headers, body = request(behind_proxy, "GET", PAGE, forwarded)
    assert status == 200
    cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    form = {"csrfmiddlewaretoken": token, "username": "nadie", "password": "equivocada"}
    status, _, _ = request(
        behind_proxy,
        "POST",
        PAGE,
        {
            **forwarded,
            "Cookie": f"csrftoken={cookie}",
            "Origin": f"https://127.0.0.1:{behind_proxy}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        urllib.parse.urlencode(form),
    )
    assert status == 200  # the form again, with its error
    database = sqlite3.connect(Path(installation["LIMPIA_DATA_DIR"]) / "limpia.sqlite3")
    try:
        attempts = database.execute(
            "SELECT ip_address, failures_since_start FROM axes_accessattempt WHERE username = ?",
            ("nadie",),
        ).fetchall()
        with database:  # the other server's run starts from no failed login
            database.execute("DELETE FROM axes_accessattempt")
    finally:
        database.close()
    assert attempts == [("203.0.113.9", 1)]


@pytest.mark.parametrize(
    "variables",
    [
        {"LIMPIA_TRUSTED_PROXY": "nginx"},
        {"LIMPIA_TRUSTED_PROXY": "127.0.0.1", "LIMPIA_TRUSTED_PROXY_HEADERS": "x-real-ip"},
        {"LIMPIA_TRUSTED_PROXY_HEADERS": "x-forwarded-proto"},
    ],
    ids=["not-an-address", "unknown-header", "headers-without-proxy"],
)
def test_it_refuses_to_serve_with_a_trusted_proxy_it_cannot_use(installation, variables):
    refused = subprocess.run(
        [*LIMPIA, "serve", "--port", "1"],
        env={**installation, **variables},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert "limpia: configuration error: LIMPIA_TRUSTED_PROXY" in refused.stderr


def test_gunicorn_serves_pages_and_the_api_from_several_workers(installation):
    """`limpia serve --server gunicorn --workers 2`: two worker processes answer pages and API."""
    with serving(installation, "gunicorn", LIMPIA_TRUSTED_PROXY="127.0.0.1") as (port, output):
        answers = [request(port, "GET", "/api/v1/agreements/", HTTPS) for _ in range(6)]
        page = request(port, "GET", "/", HTTPS)
    assert {status for status, _, _ in answers} == {200}
    assert all('"results"' in body for _, _, body in answers)
    assert page[0] == 200 and "<html" in page[2]
    assert "2 gunicorn workers" in output[0]
    assert len(set(re.findall(r"Booting worker with pid: (\d+)", output[0]))) == 2

"""`python -m bench`: generate each scale into a fresh database, measure, write the results.

    python -m bench [--scales 1 10] [--databases sqlite postgresql] [--repeat N] [--only NAME...]

Each (database, scale) gets a data directory of its own (LIMPIA_DATA_DIR; for PostgreSQL also
a database limpia_bench_s<N> created and dropped here). In it: `limpia migrate`,
`limpia loadreference`, `limpia collectstatic`, then `limpia generate --scale N` timed (wall
clock and the child's peak RSS). The reads are measured by bench.measure in a fresh process;
then, unless --no-locust, `limpia serve` runs on a free port and locust (headless) drives it.
Results are merged into OUTPUT/results.json (a run replaces the entry of its database and
scale, others stay) and OUTPUT/results.md is rendered from it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

from bench import stats

REPOSITORY = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
NAMES = (
    "home",
    "agreements_page",
    "agreements_api",
    "workbench",
    "compliance_api",
    "plan_tree_api",
    "plan_page",
    "agreement_page",
    "certificates_page",
    "registry_page",
    "plans_api",
    "facilities_api",
    "certificates_api",
    "report_pdf",
    "report_annex",
    "dashboard_page",
    "dashboard_api",
    "import",
)
CONCURRENCY = (  # the API list first: the ratio is endpoints[0] / endpoints[1]
    ("`/api/v1/agreements/`", "/api/v1/agreements/"),
    ("minimal JSON view (floor)", "/bench/agreements.json"),
)
GENERATION_TARGET = {"seconds_max": 600}  # S1 in under 10 minutes


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def scale_label(scale: Decimal) -> str:
    return format(scale.normalize(), "f")


# ---------------------------------------------------------------- environment


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LIMPIA_DATA_DIR")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env.pop("LIMPIA_DEBUG", None)
    return env


def pg_database(scale: Decimal) -> str:
    return "limpia_bench_s" + re.sub(r"[^0-9a-z]", "_", scale_label(scale))


def pg_url(server: str, database: str) -> str:
    return server.rstrip("/").rsplit("/", 1)[0] + "/" + database


def pg_admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql)


def limpia(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "limpia.cli", *args], env=env, check=True)


class Target:
    """One (database, scale): its directory, environment and database."""

    def __init__(self, database: str, scale: Decimal, root: Path, pg_server: str):
        self.database, self.scale = database, scale
        self.key = f"{database}-s{scale_label(scale)}"
        self.directory = root / self.key
        self.env = base_env()
        self.env["LIMPIA_DATA_DIR"] = str(self.directory)
        self.pg_server = pg_server
        if database == "postgresql":
            self.pg_name = pg_database(scale)
            self.env["DATABASE_URL"] = pg_url(pg_server, self.pg_name)

    def secret(self) -> None:
        if self.database != "postgresql":
            return
        path = self.directory / "bench_secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
        self.env["LIMPIA_SECRET_KEY"] = path.read_text().strip()

    def generated(self) -> dict | None:
        path = self.directory / "generation.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return data if data.get("rc", 0) == 0 else None

    def prepare(self, *, reuse: bool, seed: int) -> dict:
        if reuse and self.generated():
            log(f"{self.key}: reusing the data generated in {self.directory}")
            self.secret()
            # Code measured after the data was generated may bring migrations: apply them.
            limpia(self.env, "migrate", "-v0")
            limpia(self.env, "collectstatic", "--noinput", "-v0")
            return {**self.generated(), "note": "reused from an earlier run of the same data"}
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        self.secret()
        if self.database == "postgresql":
            pg_admin(self.pg_server, f'DROP DATABASE IF EXISTS "{self.pg_name}"')
            pg_admin(self.pg_server, f'CREATE DATABASE "{self.pg_name}"')
        log(f"{self.key}: migrate, reference data, static files")
        limpia(self.env, "migrate", "-v0")
        limpia(self.env, "loadreference", "-v0")
        limpia(self.env, "collectstatic", "--noinput", "-v0")
        log(f"{self.key}: limpia generate --scale {scale_label(self.scale)}")
        started = time.perf_counter()
        with open(self.directory / "generate.log", "w") as out:
            child = subprocess.Popen(
                [sys.executable, "-m", "limpia.cli", "generate", "--scale",
                 scale_label(self.scale), "--seed", str(seed)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        generation = {"seconds": seconds, "peak_rss_mb": peak, "rc": child.returncode}
        (self.directory / "generation.json").write_text(json.dumps(generation))
        if child.returncode:
            raise SystemExit(f"limpia generate failed; see {self.directory / 'generate.log'}")
        log(f"{self.key}: generated in {seconds:.1f} s")
        return generation

    def drop(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        if self.database == "postgresql":
            pg_admin(self.pg_server, f'DROP DATABASE IF EXISTS "{self.pg_name}"')


# ---------------------------------------------------------------- measures


def measure(target: Target, args) -> dict:
    out = target.directory / "measure.json"
    command = [sys.executable, "-m", "bench.measure", str(out), "--repeat", str(args.repeat)]
    command += ["--budget", str(args.budget), "--import-rows", str(args.import_rows)]
    if args.only:
        command += ["--only", *args.only]
    log(f"{target.key}: measuring the reads in process")
    subprocess.run(command, env=target.env, check=True)
    return json.loads(out.read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"limpia serve did not answer {url} in {seconds:.0f} s")


def _hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    """The server's worker processes (gunicorn's): each one's peak counts on its own."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _locust_stats(prefix: Path) -> dict:
    with open(f"{prefix}_stats.csv") as stats_file:
        for row in csv.DictReader(stats_file):
            if row["Name"] == "Aggregated":
                return {
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "median_ms": float(row["Median Response Time"] or 0),
                    "p95_ms": float(row["95%"] or 0) if row.get("95%") not in ("", "N/A") else None,
                    "rps": float(row["Requests/s"]),
                }
    raise SystemExit(f"no aggregated row in {prefix}_stats.csv")


def _serve_and_load(target: Target, args, label: str, path: str) -> dict:
    """A fresh `limpia serve` for one endpoint (so that no backlog of slow requests left by the
    previous endpoint is counted against the next), locust against it, then the server's peak
    RSS and its stop."""
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    log(f"{target.key}: limpia serve on port {port}, locust with {args.users} users on {path}")
    prefix = target.directory / ("locust-" + re.sub(r"\W+", "-", path).strip("-"))
    server_log = open(f"{prefix}-serve.log", "w")  # noqa: SIM115  closed below
    serve = [sys.executable, "-m", "limpia.cli", "serve", "--port", str(port), "--no-worker"]
    serve += ["--server", args.server]
    server = subprocess.Popen(
        [*serve, *(["--workers", str(args.workers)] if args.server == "gunicorn" else [])],
        env=target.env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(host + "/bench/agreements.json", 120)
        command = [
            sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"),
            "--headless", "-u", str(args.users), "-r", str(args.users),
            "-t", f"{args.locust_seconds}s", "--host", host, "--csv", str(prefix),
            "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "30",
        ]  # fmt: skip
        with open(f"{prefix}.log", "w") as locust_log:
            subprocess.run(
                command,
                env={**target.env, "BENCH_PATH": path},
                check=False,
                stdout=locust_log,
                stderr=subprocess.STDOUT,
            )
        peak = max(
            (mb for mb in map(_hwm_mb, [server.pid, *_children(server.pid)]) if mb is not None),
            default=None,
        )
        return {"label": label, "path": path, **_locust_stats(prefix), "server_peak_rss_mb": peak}
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server_log.close()


def concurrency(target: Target, args) -> dict:
    endpoints = [_serve_and_load(target, args, label, path) for label, path in CONCURRENCY]
    peak = max((e["server_peak_rss_mb"] or 0 for e in endpoints), default=None)
    share = stats.ratio(endpoints[0]["rps"], endpoints[1]["rps"])
    result = {
        "users": args.users,
        "seconds": args.locust_seconds,
        "server": (
            f"gunicorn, {args.workers} worker processes"
            if args.server == "gunicorn"
            else "waitress, 8 threads, one process"
        ),
        "endpoints": endpoints,
        "share": share,
        "server_peak_rss_mb": peak,
        "target": {"share_min": 0.5},
    }
    result["met"] = stats.met(result["target"], {"share": share})
    return result


# ---------------------------------------------------------------- machine


def _first(path: str, prefix: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine(databases: list[str], pg_server: str) -> dict:
    import django

    memory = _first("/proc/meminfo", "MemTotal")
    facts = {
        "CPU": _first("/proc/cpuinfo", "model name") or platform.processor() or "?",
        "cores": os.cpu_count(),
        "RAM": f"{int(memory.split()[0]) / 1024 / 1024:.1f} GB" if memory else "?",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "SQLite": sqlite3.sqlite_version,
    }
    if "postgresql" in databases:
        try:
            import psycopg

            with psycopg.connect(pg_server) as connection:
                facts["PostgreSQL"] = connection.execute("SHOW server_version").fetchone()[0]
        except Exception as exc:
            facts["PostgreSQL"] = f"unknown ({exc.__class__.__name__})"
    try:
        from importlib.metadata import version

        facts["locust"] = version("locust")
    except Exception:
        facts["locust"] = "not installed"
    return facts


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPOSITORY), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(REPOSITORY), "status", "--porcelain", "--", "src"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        return head + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


# ---------------------------------------------------------------- main


def merge(earlier: dict, partial: dict) -> dict:
    """An earlier run updated with a partial one (--only): its reads replaced by name, its
    import and concurrency replaced when measured again; the generation kept."""
    merged = {**earlier, **{k: v for k, v in partial.items() if k not in ("reads", "generation")}}
    fresh = {read["name"]: read for read in partial.get("reads", [])}
    # a read not measured again keeps the commit it was measured on
    kept = [
        {"commit": earlier.get("commit"), **read}
        for read in earlier.get("reads", [])
        if read["name"] not in fresh
    ]
    by_name = {read["name"]: read for read in kept}
    reads = [
        fresh.pop(read["name"], None) or by_name[read["name"]] for read in earlier.get("reads", [])
    ]
    merged["reads"] = reads + list(fresh.values())
    if "concurrency" in partial:
        merged.pop("concurrency_note", None)
    elif "concurrency" in earlier:
        merged["concurrency"] = {"commit": earlier.get("commit"), **earlier["concurrency"]}
        merged.pop("concurrency_note", None)
    if "import" not in partial and "import" in earlier:
        merged["import"] = {"commit": earlier.get("commit"), **earlier["import"]}
    merged["generation"] = earlier.get("generation") or partial.get("generation")
    return merged


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--scales", nargs="+", type=Decimal, default=[Decimal(1), Decimal(10)])
    p.add_argument(
        "--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    p.add_argument("--repeat", type=int, default=5, help="timed requests per read (default 5)")
    p.add_argument("--only", nargs="+", choices=NAMES, help="measure only these reads")
    p.add_argument("--budget", type=float, default=60.0, help="seconds per read before stopping")
    p.add_argument("--seed", type=int, default=2023)
    p.add_argument("--import-rows", type=int, default=10_000, help="rows of the import workbook")
    p.add_argument("--output", type=Path, default=HERE, help="where results.md/.json go")
    p.add_argument("--data-root", type=Path, help="data directories (default: a temporary one)")
    p.add_argument("--keep", action="store_true", help="keep the data directories and databases")
    p.add_argument(
        "--reuse", action="store_true", help="reuse data generated earlier under --data-root"
    )
    p.add_argument("--no-locust", action="store_true", help="skip the concurrency runs")
    p.add_argument("--note", help="a sentence shown under the run's heading in results.md")
    p.add_argument(
        "--render", action="store_true", help="only render results.md from results.json again"
    )
    p.add_argument("--users", type=int, default=50)
    p.add_argument(
        "--server", choices=["waitress", "gunicorn"], default="waitress", help="for locust"
    )
    p.add_argument("--workers", type=int, default=2, help="gunicorn's worker processes")
    p.add_argument("--locust-seconds", type=int, default=30)
    p.add_argument(
        "--pg-server",
        default=os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL allowed to create and drop databases",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    keep = args.keep or args.reuse
    output = args.output
    output.mkdir(parents=True, exist_ok=True)
    results_path = output / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    if args.render:
        (output / "results.md").write_text(stats.render(results))
        return 0
    root = args.data_root or Path(tempfile.mkdtemp(prefix="limpia-bench-"))
    results["machine"] = {**results.get("machine", {}), **machine(args.databases, args.pg_server)}
    results.setdefault("runs", {})
    for scale in args.scales:
        for database in args.databases:
            target = Target(database, scale, root, args.pg_server)
            try:
                generation = target.prepare(reuse=args.reuse, seed=args.seed)
                if scale == 1:
                    generation["target"] = GENERATION_TARGET
                    generation["met"] = stats.met(GENERATION_TARGET, generation)
                run = {
                    "database": database,
                    "scale": scale_label(scale),
                    "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                    "commit": commit(),
                    "repeat": args.repeat,
                    **({"note": args.note} if args.note else {}),
                    "generation": generation,
                    **measure(target, args),
                }
                if args.no_locust:
                    run["concurrency_note"] = "not measured (--no-locust)"
                elif args.only and not {"agreements_api"} & set(args.only):
                    run["concurrency_note"] = "not measured (--only)"
                else:
                    run["concurrency"] = concurrency(target, args)
                earlier = results["runs"].get(target.key)
                if args.only and earlier:  # a partial run updates what it measured
                    run = merge(earlier, run)
                results["runs"][target.key] = run
                results_path.write_text(json.dumps(results, indent=1, default=str) + "\n")
                (output / "results.md").write_text(stats.render(results))
                log(f"{target.key}: written to {output / 'results.md'}")
            finally:
                if not keep:
                    target.drop()
    if not keep and args.data_root is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0

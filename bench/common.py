"""What the benchmarks share: a throw-away PostGIS database and a real gunicorn server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dj_database_url
import psycopg
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "mitmachkarte_bench"


def base_url() -> str:
    port_file = ROOT / "var" / "pgport"  # the port scripts/db.sh chose, as the settings read it
    port = os.environ.get("MMK_PGPORT") or (
        port_file.read_text().strip() if port_file.exists() else "54329"
    )
    return os.environ.get("DATABASE_URL", f"postgis://mitmachkarte@127.0.0.1:{port}/mitmachkarte")


def bench_database_url(name: str = BENCH_DB) -> str:
    """A fresh database next to the configured one (dropped and created again).

    Each benchmark may name its own, so one left behind never disturbs another.
    """
    cfg = dj_database_url.parse(base_url())
    host, port = cfg["HOST"] or "127.0.0.1", cfg["PORT"] or 5432
    conninfo = make_conninfo(
        host=host,
        port=str(port),
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else "")
    return f"postgis://{auth}@{host}:{port}/{name}"


def bench_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="bench-only-secret-key",  # noqa: S106 - a throw-away database
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_COOKIES="false",
        SITE_URL="http://127.0.0.1",  # production settings require it (links in e-mails)
        DJANGO_LOG_LEVEL="ERROR",  # refused repeats are expected: no 4xx warnings
    )
    return env


def setup_django(database_url: str) -> None:
    os.environ.update(bench_env(database_url))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    # Production settings serve hashed static files from a manifest: pages need it to render.
    call_command("collectstatic", verbosity=0, interactive=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int,
    settings: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """A real gunicorn serving the project; yields its base URL, stops it afterwards.

    `settings` names another settings module (e.g. `bench.settings`, with a baseline URL);
    `env` sets environment variables the settings read (e.g. MAP_TILE_CLUSTER_MAX_ZOOM).
    """
    port = free_port()
    environment = {**bench_env(database_url), **(env or {})}
    if settings:
        environment["DJANGO_SETTINGS_MODULE"] = settings
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ],
        cwd=ROOT,
        env=environment,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/api/health/", timeout=1).read()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)

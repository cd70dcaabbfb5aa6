"""Real processes for the deployment tests: gunicorn with the production settings, the job
queue's worker, SMTP servers, nginx, throw-away PostgreSQL clusters.

Every process is started on 127.0.0.1 in a session of its own, waited for with a time limit,
and stopped (SIGTERM, then SIGKILL) by the fixture or context manager that started it.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
PASSWORD = "correct horse battery"  # the factories' password


def production_user(**kwargs: Any) -> Any:
    """An account that can sign in to the production settings, which know no MD5 hashes (the
    test settings' fast hasher)."""
    user = UserFactory(**kwargs)
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    return user


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(name: str | None = None, *, port: int | None = None) -> str:
    """The test database (or another one on the same server) as a postgis:// URL."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgis://{auth}@{db['HOST']}:{port or db['PORT']}/{name or db['NAME']}"


def production_env(static_root: Path, **overrides: str) -> dict[str, str]:
    """The environment of `make serve`: debug off, the required settings, the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_LOG_LEVEL="WARNING",
        SITE_URL="http://127.0.0.1",
        DATABASE_URL=database_url(),
        # Nothing listens here: a test that needs a mail server names its own.
        EMAIL_URL=f"smtp://127.0.0.1:{free_port()}",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


class Process:
    """A child process in its own session, its output in a log file, stopped as a group."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                args,
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)


def wait_until(condition: Any, *, timeout: float, what: str, process: Process | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        if process is not None and not process.alive():
            raise AssertionError(f"{process.name} ended: {process.output()}")
        time.sleep(0.1)
    extra = f"\n{process.name} said: {process.output()}" if process else ""
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.{extra}")


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/health/live")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@contextmanager
def gunicorn(env: dict[str, str], log_dir: Path, *, workers: int = 2) -> Iterator[int]:
    """`make serve`'s web server: the port it listens on."""
    port = free_port()
    args = [PY, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", str(workers), "--timeout", "30", "--graceful-timeout", "5"]
    process = Process(f"gunicorn-{port}", args, env, log_dir)
    try:
        wait_until(lambda: _answers(port), timeout=60, what="gunicorn", process=process)
        yield port
    finally:
        process.stop()


@contextmanager
def queue_worker(env: dict[str, str], log_dir: Path) -> Iterator[Process]:
    """`make serve`'s mail worker, polling often so the tests need not wait long."""
    args = [PY, "manage.py", "procrastinate", "worker", "--queues=mail"]
    args += ["--fetch-job-polling-interval=0.5", "--delete-jobs=successful"]
    process = Process("worker", args, {**env, "DJANGO_LOG_LEVEL": "INFO"}, log_dir)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`collectstatic` with the production storage: hashed names, gzip copies, a manifest."""
    root = tmp_path_factory.mktemp("static")
    env = production_env(root)
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return root


class SmtpSink:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self, port: int) -> None:
        self.messages: list[Any] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class StallingSmtp:
    """An SMTP server that accepts connections and then never says a word."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_server(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.held: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.sock.accept()
                self.held.append(client)
            except TimeoutError:
                continue

    def __enter__(self) -> StallingSmtp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        for client in self.held:
            client.close()
        self.sock.close()


class Client:
    """A small HTTP(S) client with cookies, speaking from a chosen loopback address."""

    def __init__(
        self, base: str, *, source: str = "127.0.0.1", ca_file: Path | None = None
    ) -> None:
        self.base = base.rstrip("/")
        self.source = source
        self.cookies: dict[str, str] = {}
        self.context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[http.client.HTTPResponse, bytes]:
        parts = urlsplit(self.base)
        source = (self.source, 0)
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                parts.hostname or "",
                parts.port,
                timeout=timeout,
                source_address=source,
                context=self.context,
            )
        else:
            conn = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=timeout, source_address=source
            )
        all_headers = {"Accept-Language": "de"}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers.update(headers or {})
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response, data

    def get(self, path: str, **kwargs: Any) -> tuple[http.client.HTTPResponse, bytes]:
        return self.request("GET", path, **kwargs)

    def post_form(
        self, path: str, fields: dict[str, str], *, headers: dict[str, str] | None = None
    ) -> tuple[http.client.HTTPResponse, bytes]:
        """GET the form for its CSRF token, then POST it as a browser would."""
        _, page = self.get(path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        body = urlencode({**fields, "csrfmiddlewaretoken": token.group(1).decode()}).encode()
        return self.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.base + path,
                **(headers or {}),
            },
        )

    def post_json(self, path: str, payload: bytes) -> tuple[http.client.HTTPResponse, bytes]:
        return self.request(
            "POST",
            path,
            body=payload,
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
                "Referer": self.base + "/",
            },
        )

    def login(self, username: str) -> None:
        response, body = self.post_form("/konto/login/", {"login": username, "password": PASSWORD})
        assert response.status == 302, body[:2000]
        assert "sessionid" in self.cookies

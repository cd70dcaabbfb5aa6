"""Behind a real TLS proxy: Debian's nginx with deploy/nginx.conf and a throw-away certificate
in front of gunicorn with the production settings."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

from infra.images import clean_image
from proposals.photos import NewPhoto, photo_add, photo_moderate
from tests.api.test_tiles import tile_of
from tests.deploy.conftest import (
    ROOT,
    Client,
    Process,
    free_port,
    gunicorn,
    production_env,
    wait_until,
)
from tests.factories import INSIDE, ProjectFactory, ProposalFactory, UserFactory, planner
from tests.images import assert_no_metadata, jpeg_with_gps

HSTS = "max-age=31536000; includeSubDomains; preload"


def certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def proxy(transactional_db: Any, static_root: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "Debian's nginx is needed (scripts/system-packages.sh)"
    https_port, http_port = free_port(), free_port()
    base = f"https://127.0.0.1:{https_port}"
    env = production_env(
        static_root,
        SITE_URL=base,
        TRUSTED_PROXY_COUNT="1",
        DJANGO_SECURE_SSL_REDIRECT="true",
        DJANGO_HSTS_SECONDS="31536000",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="true",
        DJANGO_HSTS_PRELOAD="true",
        RATE_LIMIT_LOGIN="3/m/ip",
        # The pictures this test process stores are the ones the app and nginx read.
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        MEDIA_ACCEL_REDIRECT="/_protected_media/",
    )
    cert, key = certificate(tmp_path)
    with gunicorn(env, tmp_path) as app_port:
        site = (ROOT / "deploy" / "nginx.conf").read_text()
        for name, value in {
            "server_name": "127.0.0.1",
            "https_listen": f"127.0.0.1:{https_port}",
            "http_listen": f"127.0.0.1:{http_port}",
            "certificate": str(cert),
            "certificate_key": str(key),
            "upstream": f"127.0.0.1:{app_port}",
            "cache_dir": str(tmp_path / "cache"),
            "media_root": str(settings.MEDIA_ROOT),
        }.items():
            site = site.replace("{{" + name + "}}", value)
        assert not [line for line in site.splitlines() if "{{" in line.split("#")[0]]
        (tmp_path / "mitmachkarte.conf").write_text(site)
        # What /etc/nginx/nginx.conf gives a site on Debian, with every path in tmp_path.
        temp = " ".join(
            f"{kind}_temp_path {tmp_path / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (tmp_path / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1; pid {tmp_path / 'nginx.pid'};\n"
            + "events { worker_connections 256; }\n"
            + f"http {{ include /etc/nginx/mime.types; access_log {tmp_path / 'access.log'};\n"
            + f"  {temp}\n  include {tmp_path / 'mitmachkarte.conf'};\n}}\n"
        )
        args = [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
        args += ["-e", str(tmp_path / "nginx-error.log")]
        subprocess.run([*args, "-t", "-q"], check=True, timeout=30)
        server = Process("nginx", [*args, "-g", "daemon off;"], dict(os.environ), tmp_path)
        try:
            client = Client(base, ca_file=cert)
            wait_until(lambda: _up(client), timeout=30, what="nginx", process=server)
            yield {"base": base, "cert": cert, "http_port": http_port, "app_port": app_port}
        finally:
            server.stop()


def _up(client: Client) -> bool:
    try:
        return client.get("/health/live")[0].status == 200
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)
def test_links_cookies_and_hsts_are_https(proxy: dict[str, Any]) -> None:
    client = Client(proxy["base"], ca_file=proxy["cert"])
    response, body = client.get("/ogc/", headers={"Accept": "application/json"})
    assert response.status == 200, body[:500]
    hrefs = [link["href"] for link in json.loads(body)["links"]]
    assert hrefs and all(href.startswith(proxy["base"] + "/") for href in hrefs), hrefs
    response, body = client.get("/api/v1/", headers={"Accept": "application/json"})
    assert response.status == 200
    urls = list(json.loads(body).values())
    assert urls and all(url.startswith(proxy["base"] + "/api/v1/") for url in urls), urls

    response, _ = client.get("/konto/login/")
    assert response.status == 200
    assert response.headers["Strict-Transport-Security"] == HSTS
    cookies = response.headers.get_all("Set-Cookie") or []
    csrf = [c for c in cookies if c.startswith("csrftoken=")]
    assert csrf and "Secure" in csrf[0], cookies


@pytest.mark.django_db(transaction=True)
def test_plain_http_is_redirected_by_proxy_and_app(proxy: dict[str, Any]) -> None:
    response, _ = Client(f"http://127.0.0.1:{proxy['http_port']}").get("/projekte/")
    assert response.status == 301
    assert response.headers["Location"] == "https://127.0.0.1/projekte/"
    # The app itself, reached without the proxy's header, redirects too (SECURE_SSL_REDIRECT)
    # except the health checks a load balancer makes over plain HTTP.
    direct = Client(f"http://127.0.0.1:{proxy['app_port']}")
    response, _ = direct.get("/projekte/")
    assert response.status == 301
    assert response.headers["Location"].startswith("https://127.0.0.1:")
    assert direct.get("/health/ready")[0].status == 200


@pytest.mark.django_db(transaction=True)
def test_rate_limits_count_the_client_address_not_the_proxy(proxy: dict[str, Any]) -> None:
    UserFactory(username="lena")

    def failed_login(source: str, spoofed: str) -> int:
        client = Client(proxy["base"], source=source, ca_file=proxy["cert"])
        response, _ = client.post_form(
            "/konto/login/",
            {"login": "lena", "password": "falsch"},
            headers={"X-Forwarded-For": spoofed},
        )
        return response.status

    # Three logins a minute per address (RATE_LIMIT_LOGIN=3/m/ip). A forged
    # X-Forwarded-For does not make a new address: the proxy appends the real one.
    statuses = [failed_login("127.0.0.2", f"10.0.0.{n}") for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    # Another client behind the same proxy is not blocked with it.
    assert failed_login("127.0.0.3", "10.0.0.1") == 200


@pytest.mark.django_db(transaction=True)
def test_static_files_and_tiles_are_cached_by_the_proxy(proxy: dict[str, Any]) -> None:
    client = Client(proxy["base"], ca_file=proxy["cert"])
    _, page = client.get("/konto/login/")
    css = next(
        part.split('"')[0]
        for part in page.decode().split('href="')[1:]
        if part.startswith("/static/") and '.css"' in part
    )
    assert len(css.rsplit(".", 2)[-2]) == 12, css  # the hashed name collectstatic made
    first, body = client.get(css)
    assert first.status == 200 and body
    assert first.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert first.headers["X-Cache-Status"] == "MISS"
    second, again = client.get(css)
    assert second.headers["X-Cache-Status"] == "HIT" and again == body
    etag = first.headers["ETag"]
    response, _ = client.get(css, headers={"If-None-Match": etag})
    assert response.status == 304

    ProposalFactory(project=ProjectFactory(), location=INSIDE)
    x, y = tile_of(INSIDE, 15)
    tile = f"/api/v1/tiles/proposals/15/{x}/{y}.mvt"
    anonymous = Client(proxy["base"], ca_file=proxy["cert"])
    first, body = anonymous.get(tile)
    assert first.status == 200 and body, first.status
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert first.headers["X-Cache-Status"] == "MISS"
    second, again = anonymous.get(tile)
    assert second.headers["X-Cache-Status"] == "HIT" and again == body
    response, _ = anonymous.get(tile, headers={"If-None-Match": first.headers["ETag"]})
    assert response.status == 304


@pytest.mark.django_db(transaction=True)
def test_links_in_mails_are_https(proxy: dict[str, Any]) -> None:
    user = UserFactory(username="lena")
    client = Client(proxy["base"], ca_file=proxy["cert"])
    response, _ = client.post_form("/konto/password/reset/", {"email": user.email})
    assert response.status == 302
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT message::text FROM outbox_queuedmail WHERE recipients = %s", [user.email]
        )
        [(message,)] = cursor.fetchall()
    body = json.loads(message)["body"]
    assert proxy["base"] + "/konto/password/reset/key/" in body, body


@pytest.mark.django_db(transaction=True)
def test_photos_are_sent_by_nginx_after_the_app_asked_who_may_see_them(
    proxy: dict[str, Any],
) -> None:
    proposal = ProposalFactory(project=ProjectFactory(), location=INSIDE)
    photo = photo_add(
        user=proposal.author,
        proposal=proposal,
        photo=NewPhoto(image=clean_image(io.BytesIO(jpeg_with_gps()))),
    )
    client = Client(proxy["base"], ca_file=proxy["cert"])

    response, body = client.get(f"/fotos/{photo.pk}/full.jpg")
    assert response.status == 200, body[:300]
    assert response.headers["Content-Type"] == "image/jpeg"
    with default_storage.open(photo.image.name) as stored:
        assert body == stored.read()  # nginx sent the stored file itself
    assert_no_metadata(body)
    # The internal location is not reachable from outside.
    response, _ = client.get(f"/_protected_media/{photo.image.name}")
    assert response.status == 404

    photo_moderate(actor=planner(), photo=photo, action="hide", reason="Gesicht erkennbar")
    response, body = client.get(f"/fotos/{photo.pk}/full.jpg")
    assert response.status == 404
    assert not body.startswith(b"\xff\xd8")

"""Rate limits on writes: 429 with a translated message, counted in the shared database cache."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from accounts.models import RateCounter
from accounts.ratelimit import Rate, hit, limit, parse_rate
from proposals.models import Vote
from tests.accounts.conftest import PASSWORD
from tests.factories import ProjectFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db
# Windows are fixed: a test must not straddle a window edge, so the windows here are long.
LIMITS = {"pins": "2/1000d", "comments": "2/1000d", "votes": "2/1000d", "reports": "2/1000d"}


def api_post(client: Any, url: str, data: dict[str, Any], language: str = "en") -> Any:
    return client.post(
        url, json.dumps(data), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )


def test_rates() -> None:
    assert parse_rate("60/m") == Rate(60, 60)
    assert parse_rate("60/min") == Rate(60, 60)
    assert parse_rate("10/5m") == Rate(10, 300)
    assert parse_rate("1000/h") == Rate(1000, 3600)
    assert parse_rate("") is None and parse_rate("0/m") is None
    with pytest.raises(ImproperlyConfigured):
        parse_rate("sixty per minute")


def test_allauths_counters_live_in_the_database() -> None:
    assert isinstance(caches["default"], DatabaseCache)


@override_settings(RATE_LIMITS={**LIMITS, "votes": "10/1000d"})
def test_parallel_workers_count_exactly(transactional_db: Any) -> None:
    """Twenty requests at once from one person, each with its own database connection."""
    start = threading.Barrier(20)

    def one() -> int | None:
        try:
            start.wait()
            return hit("votes", "user:1", now=600.0)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: one(), range(20)))
    assert results.count(None) == 10
    assert RateCounter.objects.get(key="votes:user:1").count == 20


@override_settings(RATE_LIMITS={**LIMITS, "votes": "2/m"})
def test_fixed_windows() -> None:
    assert hit("votes", "user:1", now=60.0) is None
    assert hit("votes", "user:1", now=61.0) is None
    assert hit("votes", "user:1", now=90.0) == 30
    assert hit("votes", "user:2", now=90.0) is None  # per person
    assert hit("votes", "user:1", now=120.0) is None  # the next window


@override_settings(RATE_LIMITS=LIMITS)
def test_api_votes_beyond_the_limit_get_429(client: Any, citizen: Any) -> None:
    project = ProjectFactory(voting=True)
    proposals = ProposalFactory.create_batch(4, project=project)
    client.force_login(citizen)
    statuses = [
        api_post(client, "/api/v1/votes/", {"proposal": p.pk}).status_code for p in proposals[:2]
    ]
    assert statuses == [201, 201]
    refused = api_post(client, "/api/v1/votes/", {"proposal": proposals[2].pk})
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many requests in a short time.")
    assert int(refused["Retry-After"]) >= 1
    german = api_post(client, "/api/v1/votes/", {"proposal": proposals[3].pk}, language="de")
    assert german.status_code == 429
    assert german.json()["detail"].startswith("Zu viele Anfragen in kurzer Zeit.")
    assert Vote.objects.filter(user=citizen).count() == 2
    # Reading is never limited; another person has an allowance of their own.
    assert client.get("/api/v1/votes/").status_code == 200
    client.force_login(UserFactory())
    assert api_post(client, "/api/v1/votes/", {"proposal": proposals[2].pk}).status_code == 201


@override_settings(RATE_LIMITS=LIMITS)
def test_api_comments_and_pins_are_limited(client: Any, citizen: Any) -> None:
    proposal = ProposalFactory()
    client.force_login(citizen)
    statuses = [
        api_post(
            client, "/api/v1/comments/", {"proposal": proposal.pk, "body": f"Nr. {i}"}
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    pin = {"project": proposal.project.slug, "title": "x", "location": "kaputt"}
    # Even refused attempts count: a flood of bad requests is a flood.
    statuses = [api_post(client, "/api/v1/proposals/", pin).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


@override_settings(RATE_LIMITS=LIMITS)
def test_the_form_decorator_answers_429_with_a_page(citizen: Any) -> None:
    @limit("comments")
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    factory = RequestFactory()

    def post() -> HttpResponse:
        request = factory.post("/kommentar/", {"body": "Hallo"})
        request.user = citizen
        return view(request)

    assert [post().status_code for _ in range(2)] == [200, 200]
    refused = post()
    assert refused.status_code == 429
    assert "Zu viele Anfragen in kurzer Zeit." in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1
    request = factory.get("/kommentar/")
    request.user = citizen
    assert view(request).status_code == 200


def test_a_decorator_with_an_unknown_scope_fails_at_once() -> None:
    with pytest.raises(ImproperlyConfigured):
        limit("typo")


def test_signups_beyond_the_limit_get_429(client: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}
    statuses = [
        client.post(
            "/konto/signup/",
            {
                "email": f"p{i}@example.org",
                "username": f"p{i}",
                "password1": "Lauterstrand-2025",
                "password2": "Lauterstrand-2025",
            },
        ).status_code
        for i in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_logins_are_limited(client: Any, citizen: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    statuses = [
        client.post("/konto/login/", {"login": "citizen", "password": "falsch"}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert (
        "Zu viele Anfragen"
        in client.post("/konto/login/", {"login": "citizen", "password": "falsch"}).content.decode()
    )


def test_failed_logins_of_one_account_are_limited(client: Any, citizen: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "2/m/key"}
    for _ in range(2):
        client.post("/konto/login/", {"login": "citizen", "password": "falsch"})
    # Now even the right password is refused for a while, with a message on the form.
    response = client.post("/konto/login/", {"login": "citizen", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Zu viele gescheiterte Anmeldeversuche" in response.content.decode()

"""Rate limits on writes: 429 with a translated message, counted exactly across workers in
the database, old counters pruned."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from infra import ratelimit
from infra.models import RateCounter
from infra.ratelimit import Rate, hit, limit, parse_rate, prune
from proposals.models import Vote
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


@override_settings(RATE_LIMITS={**LIMITS, "votes": "2/m"})
def test_counters_of_ended_windows_are_pruned() -> None:
    hit("votes", "user:1", now=60.0)  # the window [60, 120)
    hit("pins", "user:1", now=60.0)  # a window of 1000 days
    assert prune(now=119.0) == 0
    assert prune(now=120.0) == 1
    assert set(RateCounter.objects.values_list("key", flat=True)) == {"pins:user:1"}
    # Pruning changes no answer: the next window starts at one as it would have anyway.
    assert hit("votes", "user:1", now=130.0) is None
    assert RateCounter.objects.get(key="votes:user:1").count == 1


@override_settings(RATE_LIMITS={**LIMITS, "votes": "2/m"})
def test_counting_prunes_now_and_then(monkeypatch: Any) -> None:
    """The table holds the clients of the current windows, not every client ever seen."""
    monkeypatch.setattr(ratelimit, "_next_prune", 0.0)
    for person in range(50):
        hit("votes", f"user:{person}", now=60.0)  # the first hit prunes, the next in 300 s
    assert RateCounter.objects.count() == 50
    hit("votes", "user:late", now=200.0)
    assert RateCounter.objects.count() == 51  # not yet: pruning is at most every 300 s
    hit("votes", "user:later", now=400.0)
    assert set(RateCounter.objects.values_list("key", flat=True)) == {"votes:user:later"}

"""Hostile input gets a clear 4xx naming its field, never a 500 (issue 10, item 3)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from proposals.models import Comment, Proposal, Vote
from tests.factories import INSIDE, ProjectFactory, ProposalFactory

pytestmark = pytest.mark.django_db

PROPOSALS = "/api/v1/proposals/"
COMMENTS = "/api/v1/comments/"
VOTES = "/api/v1/votes/"
ITEMS = "/ogc/collections/proposals/items"
BIGINT_PLUS_ONE = str(2**63)


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def post_raw(client: Client, url: str, body: bytes, **extra: Any) -> Any:
    return client.post(url, body, content_type="application/json", **extra)


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (PROPOSALS, {"limit": BIGINT_PLUS_ONE}, "limit"),
        (PROPOSALS, {"offset": BIGINT_PLUS_ONE}, "offset"),
        (COMMENTS, {"limit": BIGINT_PLUS_ONE}, "limit"),
        (COMMENTS, {"offset": BIGINT_PLUS_ONE}, "offset"),
        (COMMENTS, {"limit": "-1"}, "limit"),
        (COMMENTS, {"limit": "zwei"}, "limit"),
        (VOTES, {"limit": BIGINT_PLUS_ONE}, "limit"),
        (VOTES, {"offset": BIGINT_PLUS_ONE}, "offset"),
        ("/api/v1/projects/", {"limit": BIGINT_PLUS_ONE}, "limit"),
    ],
)
def test_out_of_range_paging_is_a_400_naming_the_parameter(client, citizen, url, params, field):
    client.force_login(citizen)
    if url == COMMENTS:
        params = {**params, "proposal": ProposalFactory().pk}
    response = client.get(url, params)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert response.headers["Content-Language"] == "de"


def test_paging_within_bounds_still_pages(client, citizen):
    proposal = ProposalFactory()
    for _ in range(3):
        Comment.objects.create(proposal=proposal, author=citizen, body="Ja")
    response = client.get(COMMENTS, {"proposal": proposal.pk, "limit": 2, "offset": 1})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    assert response.json()["count"] == 3


def test_ogc_limit_beyond_a_bigint_is_served_as_the_maximum(client):
    # OGC API Features: a limit above the maximum is not an error, the server caps it.
    response = client.get(ITEMS, {"limit": BIGINT_PLUS_ONE})
    assert response.status_code == 200
    response = client.get(ITEMS, {"offset": BIGINT_PLUS_ONE})
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"


def test_nul_byte_in_the_project_slug_of_a_pin(client, citizen):
    client.force_login(citizen)
    project = ProjectFactory()
    body = {
        "project": project.slug + "\x00",
        "title": "Boule",
        "location": {"type": "Point", "coordinates": [INSIDE.x, INSIDE.y]},
    }
    response = post(client, PROPOSALS, body)
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["project"]
    assert not Proposal.objects.exists()


def test_nul_byte_in_ogc_project_filter(client):
    response = client.get(ITEMS, {"project": "stadt\x00raum"})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "InvalidParameterValue"
    assert "project" in response.json()["description"]


def test_nul_byte_in_export_project(client, planner_user):
    client.force_login(planner_user)
    response = client.get("/api/exports/proposals.geojson", {"project": "stadt\x00raum"})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["project"]


@pytest.mark.parametrize(
    "value", ["9999-12-31", "2020-01-01/9999-12-31", "9999-12-31T23:59:59.999999Z"]
)
def test_ogc_datetime_at_the_end_of_the_calendar(client, value):
    ProposalFactory()
    response = client.get(ITEMS, {"datetime": value})
    assert response.status_code == 200, response.content
    expected = 0 if value.startswith("9999") else 1
    assert response.json()["numberMatched"] == expected


def test_empty_point_text_is_a_400_on_location(client, citizen):
    client.force_login(citizen)
    body = {"project": ProjectFactory().slug, "title": "Boule", "location": "POINT EMPTY"}
    response = post(client, PROPOSALS, body)
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["location"]


@pytest.mark.parametrize("url", [VOTES, COMMENTS])
@pytest.mark.parametrize("raw", ["1e400", "-1e400", "21.9", "21.0", "true", BIGINT_PLUS_ONE, "0"])
def test_proposal_ids_are_whole_numbers_in_range(client, citizen, url, raw):
    client.force_login(citizen)
    proposal = ProposalFactory(project=ProjectFactory(voting=url == VOTES))
    # The id the float would be truncated to is a real, visible proposal.
    Proposal.objects.filter(pk=proposal.pk).update(id=21)
    body = f'{{"proposal": {raw}, "body": "Gute Idee"}}'.encode()
    response = post_raw(client, url, body)
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["proposal"]
    assert not Vote.objects.exists() and not Comment.objects.exists()


def test_parent_comment_ids_are_whole_numbers(client, citizen):
    client.force_login(citizen)
    proposal = ProposalFactory()
    parent = Comment.objects.create(proposal=proposal, author=citizen, body="Erster")
    body = f'{{"proposal": {proposal.pk}, "parent": {parent.pk}.5, "body": "Zweiter"}}'
    response = post_raw(client, COMMENTS, body.encode())
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["parent"]


def test_bodies_over_django_s_own_limit_get_the_same_json_413(client, citizen):
    client.force_login(citizen)
    small = post_raw(client, PROPOSALS, b'{"title": "' + b"x" * (70 * 1024) + b'"}')
    big = post_raw(client, PROPOSALS, b'{"title": "' + b"x" * (3 * 1024 * 1024) + b'"}')
    assert small.status_code == big.status_code == 413
    assert small.json() == big.json()
    assert big.headers["Content-Type"] == "application/json"


def test_a_chunked_body_is_not_read_as_empty(client, citizen):
    client.force_login(citizen)
    body = json.dumps({"project": ProjectFactory().slug, "title": "Boule"}).encode()
    # Without Content-Length (chunked transfer), a WSGI server hands over no length.
    response = post_raw(
        client, PROPOSALS, body, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked"
    )
    assert response.status_code == 411, response.content
    assert response.json()["detail"]
    assert not Proposal.objects.exists()

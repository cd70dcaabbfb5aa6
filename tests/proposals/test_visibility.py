"""Who sees a proposal is one rule: every surface answers as `rules.proposal_sight` says.

The matrix: a published, a pending, a hidden and a merged proposal (and one in an unpublished
project), each looked at by nobody signed in, its author, another citizen and a planner, on the
proposal's page, the REST detail, list and comments, the vector tiles, OGC API items and item,
the proposals export and the workspace API.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.test import Client

from proposals.features import proposal_export_source
from proposals.models import Project, Proposal
from proposals.rules import (
    Sight,
    may_view_proposal,
    may_view_results,
    proposal_sight,
    results_public_sql,
)
from proposals.selectors import proposals_visible_to
from tests.api.test_tiles import X, Y, Z, decode, tile_url
from tests.factories import INSIDE, ProjectFactory, ProposalFactory, UserFactory, planner

pytestmark = pytest.mark.django_db

STATES = ("published", "pending", "hidden", "merged", "draft")
VIEWERS = ("anonymous", "author", "other", "planner")

# The rule, as a city would expect it: the public sees what is published; authors also see
# their own pending proposal (listed, with a notice) and their own hidden one (by its address,
# with the moderators' reason); a merged one is reachable by anyone, pointing to where it
# went, but leaves the lists; planners see everything; an unpublished project shows nothing.
EXPECTED: dict[tuple[str, str], Sight] = {
    ("published", "anonymous"): Sight.LISTED,
    ("published", "author"): Sight.LISTED,
    ("published", "other"): Sight.LISTED,
    ("published", "planner"): Sight.LISTED,
    ("pending", "anonymous"): Sight.NONE,
    ("pending", "author"): Sight.LISTED,
    ("pending", "other"): Sight.NONE,
    ("pending", "planner"): Sight.LISTED,
    ("hidden", "anonymous"): Sight.NONE,
    ("hidden", "author"): Sight.REACHABLE,
    ("hidden", "other"): Sight.NONE,
    ("hidden", "planner"): Sight.LISTED,
    ("merged", "anonymous"): Sight.REACHABLE,
    ("merged", "author"): Sight.REACHABLE,
    ("merged", "other"): Sight.REACHABLE,
    ("merged", "planner"): Sight.LISTED,
    ("draft", "anonymous"): Sight.NONE,
    ("draft", "author"): Sight.NONE,
    ("draft", "other"): Sight.NONE,
    ("draft", "planner"): Sight.LISTED,
}


@pytest.fixture
def world() -> dict[str, Any]:
    """One proposal per state, all by the same author, all in the same map tile."""
    author = UserFactory(username="autorin")
    users = {
        "anonymous": AnonymousUser(),
        "author": author,
        "other": UserFactory(username="andere"),
        "planner": planner(username="planerin"),
    }
    project = ProjectFactory()
    target = ProposalFactory(project=project, title="Ziel der Zusammenführung")

    def near(i: int) -> Point:
        return Point(INSIDE.x + 0.0002 * i, INSIDE.y, srid=4326)

    published = Proposal.Visibility.PUBLISHED
    proposals = {
        "published": ProposalFactory(project=project, author=author, location=near(1)),
        "pending": ProposalFactory(
            project=project,
            author=author,
            location=near(2),
            visibility=Proposal.Visibility.PENDING,
        ),
        "hidden": ProposalFactory(
            project=project,
            author=author,
            location=near(3),
            visibility=Proposal.Visibility.HIDDEN,
            moderation_reason="Beleidigend.",
        ),
        "merged": ProposalFactory(
            project=project,
            author=author,
            location=near(4),
            visibility=Proposal.Visibility.HIDDEN,
            merged_into=target,
        ),
        "draft": ProposalFactory(
            project=ProjectFactory(is_published=False),
            author=author,
            location=near(5),
            visibility=published,
        ),
    }
    return {"users": users, "proposals": proposals, "target": target}


def client_for(user: Any) -> Client:
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client


def expected(viewer: str, at_least: Sight) -> set[str]:
    return {state for state in STATES if EXPECTED[state, viewer] >= at_least}


def states_of(ids: set[int], proposals: dict[str, Proposal]) -> set[str]:
    return {state for state, proposal in proposals.items() if proposal.pk in ids}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_predicate_and_its_sql_agree_with_the_table(world: dict[str, Any], viewer: str) -> None:
    user = world["users"][viewer]
    for state, proposal in world["proposals"].items():
        fresh = Proposal.objects.select_related("project").get(pk=proposal.pk)
        assert proposal_sight(user, fresh) == EXPECTED[state, viewer], (state, viewer)
        assert may_view_proposal(user, fresh) == (EXPECTED[state, viewer] >= Sight.REACHABLE)
    for sight in (Sight.REACHABLE, Sight.LISTED):
        ids = set(proposals_visible_to(user, sight=sight).values_list("pk", flat=True))
        assert states_of(ids, world["proposals"]) == expected(viewer, sight), (viewer, sight)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_page_and_rest_detail_and_comments_answer_alike(world: dict[str, Any], viewer: str) -> None:
    client = client_for(world["users"][viewer])
    for state, proposal in world["proposals"].items():
        reachable = EXPECTED[state, viewer] >= Sight.REACHABLE
        want = 200 if reachable else 404
        page = client.get(proposal.get_absolute_url())
        assert page.status_code == want, (state, viewer, "page")
        assert client.get(f"/api/v1/proposals/{proposal.pk}/").status_code == want, (
            state,
            viewer,
            "REST detail",
        )
        comments = client.get("/api/v1/comments/", {"proposal": proposal.pk})
        assert comments.status_code == want, (state, viewer, "REST comments")


def test_the_pages_say_why_a_reachable_proposal_is_not_listed(world: dict[str, Any]) -> None:
    proposals = world["proposals"]
    author = client_for(world["users"]["author"])
    hidden_page = author.get(proposals["hidden"].get_absolute_url()).content.decode()
    assert "Beleidigend." in hidden_page  # the moderators' reason, for the author only
    merged_page = Client().get(proposals["merged"].get_absolute_url()).content.decode()
    assert world["target"].get_absolute_url() in merged_page  # the pointer to where it went
    # Planners reach it too, but the notice addresses the author ("Your proposal ...").
    planner_page = client_for(world["users"]["planner"]).get(proposals["hidden"].get_absolute_url())
    assert "notice--hidden" not in planner_page.content.decode()


@pytest.mark.parametrize("viewer", VIEWERS)
def test_lists_tiles_and_export_show_what_is_listed(
    world: dict[str, Any], viewer: str, tmp_path: Path
) -> None:
    user = world["users"][viewer]
    proposals = world["proposals"]
    client = client_for(user)
    listed = expected(viewer, Sight.LISTED)

    collection = json.loads(client.get("/api/v1/proposals/").content)
    rest_ids = {feature["id"] for feature in collection["features"]}
    assert states_of(rest_ids, proposals) == listed, "REST list"
    assert world["target"].pk in rest_ids

    tile = client.get(tile_url(Z, X, Y))
    assert tile.status_code == 200
    tile_ids = set(decode(tile.content, tmp_path, Z, X, Y))
    assert states_of(tile_ids, proposals) == listed, "tiles"

    rows, _spec = proposal_export_source(user if user.is_authenticated else None)
    export_ids = set(rows.values_list("pk", flat=True))
    assert states_of(export_ids, proposals) == listed, "export"


@pytest.mark.parametrize("viewer", VIEWERS)
def test_ogc_serves_the_publics_view_to_everyone(world: dict[str, Any], viewer: str) -> None:
    """GIS clients do not sign in: OGC API is what the public sees, whoever asks."""
    client = client_for(world["users"][viewer])
    proposals = world["proposals"]
    public = expected("anonymous", Sight.LISTED)

    items = json.loads(client.get("/ogc/collections/proposals/items").content)
    assert states_of({f["id"] for f in items["features"]}, proposals) == public
    for state, proposal in proposals.items():
        item = client.get(f"/ogc/collections/proposals/items/{proposal.pk}")
        assert item.status_code == (200 if state in public else 404), (state, viewer)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_workspace_api_is_the_planners_view(world: dict[str, Any], viewer: str) -> None:
    client = client_for(world["users"][viewer])
    response = client.get("/api/workspace/proposals/")
    if viewer != "planner":
        assert response.status_code == 403
        return
    ids = {feature["id"] for feature in json.loads(response.content)["features"]}
    assert states_of(ids, world["proposals"]) == expected("planner", Sight.LISTED) == set(STATES)


@pytest.mark.parametrize("viewer", ["author", "other"])
def test_writes_name_the_proposal_unknown_only_when_it_is_not_reachable(
    world: dict[str, Any], viewer: str
) -> None:
    """A proposal one may open is never "no such proposal": the refusal says why (403)."""
    client = client_for(world["users"][viewer])
    for state, proposal in world["proposals"].items():
        response = client.post(
            "/api/v1/comments/",
            json.dumps({"proposal": proposal.pk, "body": "Gute Idee"}),
            content_type="application/json",
        )
        if EXPECTED[state, viewer] >= Sight.REACHABLE:
            want = 201 if state == "published" else 403
            assert response.status_code == want, (state, viewer, response.content)
        else:
            assert response.status_code == 400, (state, viewer)
            assert list(response.json()) == ["proposal"]


# --- whose vote totals show: `may_view_results` and its SQL twin `results_public_sql` ---------

DAY = timedelta(days=1)
# Phase dates relative to the moment asked about: (ideas_start, ideas_end, voting_start,
# voting_end) in days, None for an open date. Each phase, the edges of the voting window
# (start inclusive, end exclusive), and projects with only one of the two windows.
SCHEDULES: dict[str, tuple[int | None, ...]] = {
    "information": (1, 3, 4, 6),
    "ideas": (-1, 1, 2, 4),
    "between": (-3, -1, 1, 3),
    "voting": (-4, -2, -1, 1),
    "voting_starts_now": (-4, -2, 0, 1),
    "voting_ends_now": (-4, -2, -1, 0),
    "closed": (-6, -4, -3, -1),
    "ideas_only_over": (-3, -1, None, None),
    "voting_only": (None, None, -1, 1),
    "no_dates": (None, None, None, None),
}


def test_the_results_rule_and_its_sql_agree(planner_user: Any, citizen: Any) -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    projects = []
    for (name, days), published, visibility in itertools.product(
        SCHEDULES.items(), (True, False), Project.ResultsVisibility.values
    ):
        dates = [now + d * DAY if d is not None else None for d in days]
        projects.append(
            ProjectFactory(
                title=name,
                is_published=published,
                results_visibility=visibility,
                ideas_start=dates[0],
                ideas_end=dates[1],
                voting_start=dates[2],
                voting_end=dates[3],
            )
        )
    ProposalFactory(project=projects[0])  # the condition through a proposal's project, too
    for user in (AnonymousUser(), citizen, planner_user):
        by_rule = {p.pk for p in projects if may_view_results(user, p, now)}
        by_sql = set(
            Project.objects.filter(results_public_sql(user, now)).values_list("pk", flat=True)
        )
        assert by_sql == by_rule
        through = Proposal.objects.filter(results_public_sql(user, now, project="project__"))
        assert set(through.values_list("project_id", flat=True)) == by_rule & {projects[0].pk}
    # Not a vacuous match: the public sees some totals and not others; planners see all.
    public = {p.pk for p in projects if may_view_results(AnonymousUser(), p, now)}
    assert 0 < len(public) < len(projects)
    # Closed ones always; those voting now only where results are live.
    assert {(p.title, p.results_visibility) for p in projects if p.pk in public} == {
        *itertools.product(
            ("voting_ends_now", "closed", "ideas_only_over"), Project.ResultsVisibility.values
        ),
        *((name, "live") for name in ("voting", "voting_starts_now", "voting_only")),
    }
    # Without `now`, the SQL asks the database's clock: the same answer as Python's.
    assert set(
        Project.objects.filter(results_public_sql(citizen)).values_list("pk", flat=True)
    ) == {p.pk for p in projects if may_view_results(citizen, p)}

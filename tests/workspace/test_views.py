"""Workspace pages and API: who gets in, filters, constant query counts, the review form."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext

from proposals.models import Proposal
from tests.factories import (
    AreaFactory,
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db

PAGES = [
    "/planung/",
    "/planung/moderation/",
    "/planung/analyse/",
    "/planung/vorschlaege/{pk}/",
]
POSTS = [
    "/planung/vorschlaege/{pk}/status/",
    "/planung/vorschlaege/{pk}/moderieren/",
    "/planung/vorschlaege/{pk}/zusammenfuehren/",
    "/planung/vorschlaege/{pk}/verknuepfen/",
    "/planung/kommentare/{pk}/moderieren/",
]
API = [
    "/api/workspace/proposals/",
    "/api/workspace/districts/",
    "/api/workspace/heat/",
    "/api/workspace/duplicates/",
]


def test_anonymous_people_are_sent_to_sign_in_and_the_api_refuses(client: Any) -> None:
    proposal = ProposalFactory()
    for url in PAGES:
        response = client.get(url.format(pk=proposal.pk))
        assert response.status_code == 302, url
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL) + "?next=/planung/")
    for url in API:
        assert client.get(url).status_code == 403, url


def test_citizens_never_reach_the_workspace(client: Any, citizen: Any) -> None:
    proposal = ProposalFactory()
    comment = CommentFactory(proposal=proposal)
    client.force_login(citizen)
    for url in PAGES:
        assert client.get(url.format(pk=proposal.pk)).status_code == 403, url
    for url in POSTS:
        pk = comment.pk if "kommentare" in url else proposal.pk
        assert client.post(url.format(pk=pk), {"action": "hide", "reason": "x"}).status_code == 403
    for url in API:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "detail" in response.json()
    assert Proposal.objects.get(pk=proposal.pk).visibility == Proposal.Visibility.PUBLISHED


def test_planners_reach_every_page(client: Any, planner_user: Any) -> None:
    proposal = ProposalFactory()
    client.force_login(planner_user)
    for url in PAGES:
        assert client.get(url.format(pk=proposal.pk)).status_code == 200, url
    for url in API:
        assert client.get(url).status_code == 200, url


def square(x1: float, y1: float, x2: float, y2: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x1, y1, x2, y2)), srid=4326)


def test_filters_narrow_table_and_map_alike(client: Any, planner_user: Any) -> None:
    project = ProjectFactory(slug="plaetze")
    other = ProjectFactory(slug="andere")
    culture = CategoryFactory(project=project)
    AreaFactory(slug="mitte", geometry=square(7.760, 49.440, 7.770, 49.450))
    a = ProposalFactory(
        project=project,
        title="Kino im Park",
        category=culture,
        location=Point(7.765, 49.445, srid=4326),
    )
    b = ProposalFactory(
        project=project,
        title="Boule",
        status=Proposal.Status.ACCEPTED,
        location=Point(7.775, 49.445, srid=4326),
    )
    c = ProposalFactory(
        project=other, title="Kino am See", location=Point(7.765, 49.446, srid=4326)
    )
    client.force_login(planner_user)
    cases = {
        "": {a, b, c},
        "project=plaetze": {a, b},
        "status=accepted": {b},
        f"category={culture.pk}": {a},
        "district=mitte": {a, c},
        "q=kino": {a, c},
        "lat=49.445&lon=7.765&distance=150": {a, c},
        "polygon=POLYGON((7.770 49.440, 7.780 49.440, 7.780 49.450, 7.770 49.440))": {b},
    }
    for query, expected in cases.items():
        page = client.get(f"/planung/?{query}")
        assert page.status_code == 200, query
        rows = {p for p in (a, b, c) if f'data-proposal="{p.pk}"' in page.content.decode()}
        assert rows == expected, query
        api = json.loads(client.get(f"/api/workspace/proposals/?{query}").content)
        assert {f["id"] for f in api["features"]} == {p.pk for p in expected}, query
        assert api["numberMatched"] == len(expected)


def test_bad_filters_get_field_messages_not_500(client: Any, planner_user: Any) -> None:
    client.force_login(planner_user)
    for query, field in [
        ("distance=100", "distance"),
        ("lat=49.4", "lat"),
        ("polygon=nonsense", "polygon"),
        ("polygon=POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))", "polygon"),
        ("status=bogus", "status"),
        ("date_from=2025-02-01&date_to=2025-01-01", "date_to"),
    ]:
        assert client.get(f"/planung/?{query}").status_code == 400, query
        response = client.get(f"/api/workspace/proposals/?{query}")
        assert response.status_code == 400, query
        assert field in response.json(), query
    assert client.get("/api/workspace/heat/?weight=likes").status_code == 400
    assert client.get("/api/workspace/duplicates/?distance=99999").status_code == 400


def test_list_endpoints_keep_their_query_count(
    client: Any, planner_user: Any, django_assert_num_queries: Any
) -> None:
    project = ProjectFactory()
    client.force_login(planner_user)

    def add(n: int) -> None:
        for _ in range(n):
            proposal = ProposalFactory(project=project, category=CategoryFactory(project=project))
            VoteFactory(proposal=proposal)

    add(2)
    counts = {}
    for url in ("/api/workspace/proposals/", "/planung/", "/api/workspace/districts/"):
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        counts[url] = len(ctx.captured_queries)
    add(8)
    for url, n in counts.items():
        with django_assert_num_queries(n):
            assert client.get(url).status_code == 200


def test_review_form_changes_status_and_refuses_bad_steps(client: Any, planner_user: Any) -> None:
    proposal = ProposalFactory(project=ProjectFactory(office="Stadtplanung"), author=UserFactory())
    client.force_login(planner_user)
    url = f"/planung/vorschlaege/{proposal.pk}/status/"
    bad = client.post(url, {"to_status": "implemented", "response_text": "x"})
    assert bad.status_code == 400
    assert client.post(url, {"to_status": "under_review", "response_text": ""}).status_code == 400
    ok = client.post(url, {"to_status": "under_review", "response_text": "Wir prüfen."})
    assert ok.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "under_review"
    page = client.get(f"/planung/vorschlaege/{proposal.pk}/").content.decode()
    assert "Wir prüfen." in page and "Stadtplanung" in page
    # The history tells it as a sentence, not as the audit log's code and dictionaries.
    assert "Stand von „Eingereicht“ auf „In Prüfung“ geändert; Antwort von Stadtplanung" in page
    assert "proposal.transition" not in page and "{&#x27;status&#x27;" not in page


def test_analysis_page_shows_the_district_table(client: Any, planner_user: Any) -> None:
    project = ProjectFactory()
    AreaFactory(
        name="Mitte", slug="mitte", geometry=square(7.760, 49.440, 7.770, 49.450), population=4000
    )
    for x in (7.761, 7.762):
        ProposalFactory(project=project, location=Point(x, 49.445, srid=4326))
    client.force_login(planner_user)
    page = client.get("/planung/analyse/").content.decode()
    row = page.split('data-district="mitte"')[1].split("</tr>")[0]
    cells = [c.split(">", 1)[1].split("<")[0] for c in row.split('<td class="num"')[1:]]
    assert cells[:3] == ["4.000", "2", "0,50"]  # residents, proposals, per 1,000 (German format)
    districts = client.get("/api/workspace/districts/").json()
    props = districts["features"][0]["properties"]
    assert (props["proposals"], props["per_1000"], props["population"]) == (2, 0.5, 4000)


def test_table_shows_votes_online_on_paper_and_in_total(client: Any, planner_user: Any) -> None:
    from django.utils import timezone

    from proposals.services import tally_record, vote_cast

    project = ProjectFactory(voting=True)
    option = ProposalFactory(project=project, title="Ausprobierbox")
    for _ in range(3):
        vote_cast(user=UserFactory(), proposal=option)
    tally_record(
        actor=planner_user,
        project=project,
        event_name="Lautern blüht auf",
        event_date=timezone.localdate(),
        ballots=21,
        counted_by="Team",
        counts={option.pk: 21},
    )
    client.force_login(planner_user)
    page = client.get("/planung/").content.decode()
    assert "Stimmen online" in page and "Stimmen auf Papier" in page
    row = page[page.index(f'data-proposal="{option.pk}"') :].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    assert cells[:3] == ["3", "21", "<strong>24</strong>"], cells


def test_merge_chooses_among_nearby_candidates(client: Any, planner_user: Any) -> None:
    from django.contrib.gis.geos import Point

    project = ProjectFactory()
    here = ProposalFactory(
        project=project, title="Bank", location=Point(7.7689, 49.4447, srid=4326)
    )
    near = ProposalFactory(
        project=project, title="Sitzbank", location=Point(7.7692, 49.4447, srid=4326)
    )
    nearer = ProposalFactory(
        project=project, title="Bänke", location=Point(7.76895, 49.4447, srid=4326)
    )
    ProposalFactory(project=project, title="Weit weg", location=Point(7.745, 49.435, srid=4326))
    ProposalFactory(title="Anderes Projekt", location=Point(7.7689, 49.4447, srid=4326))
    client.force_login(planner_user)

    page = client.get(f"/planung/vorschlaege/{here.pk}/").content.decode()
    radios = re.findall(r'name="target" value="(\d+)"', page)
    assert radios == [str(nearer.pk), str(near.pk)]
    assert "Weit weg" not in page.split("merge-heading")[1].split("</section>")[0]
    assert "4 m entfernt" in page and "22 m entfernt" in page

    response = client.post(
        f"/planung/vorschlaege/{here.pk}/zusammenfuehren/", {"target": near.pk, "reason": ""}
    )
    assert response.status_code == 302
    here.refresh_from_db()
    assert here.merged_into_id == near.pk

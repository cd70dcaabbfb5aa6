"""REST API v1 against PostGIS: GeoJSON per the contract, filters, visibility, writes, refusals."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation
from django.utils.crypto import get_random_string

from accounts.models import Profile
from accounts.selectors import display_name
from api.exceptions import exception_handler
from geo.models import Area
from locations.models import Site
from proposals.models import Comment, Phase, Project, Proposal, Vote
from tests.factories import (
    INSIDE,
    OUTSIDE,
    AreaFactory,
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    VoteFactory,
    box,
)

pytestmark = pytest.mark.django_db

PROPOSALS = "/api/v1/proposals/"
SITES = "/api/v1/sites/"
PROJECTS = "/api/v1/projects/"
COMMENTS = "/api/v1/comments/"
VOTES = "/api/v1/votes/"
GEOJSON = "application/geo+json"
PROPOSAL_PROPERTIES = {
    "title",
    "project",
    "category",
    "category_color",
    "status",
    "is_option",
    "site",
    "vote_count",
    "comment_count",
    "created_at",
    "url",
    "photo",
    "photo_alt",
}
SITE_PROPERTIES = {"name", "slug", "kind", "kind_label", "district", "description", "has_outline"}


def as_user(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def get_geojson(client: Client, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == GEOJSON
    return json.loads(response.content)


def post(client: Client, url: str, data: Any, **kwargs: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json", **kwargs)


def ids(collection: dict[str, Any]) -> set[int]:
    return {feature["id"] for feature in collection["features"]}


def pin(project: Project, /, **fields: Any) -> dict[str, Any]:
    return {
        "project": project.slug,
        "title": "Boule-Bahn",
        "description": "Für alle Generationen.",
        "location": {"type": "Point", "coordinates": [INSIDE.x, INSIDE.y]},
        **fields,
    }


# ---- GeoJSON reads -------------------------------------------------------------------------


def test_api_root_lists_the_collections(client):
    response = client.get("/api/v1/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert set(response.json()) == {"projects", "sites", "proposals", "comments", "votes"}
    assert response.json()["proposals"] == "http://testserver/api/v1/proposals/"


def test_proposals_are_a_feature_collection_per_the_contract(client):
    project = ProjectFactory(voting=True, results_visibility=Project.ResultsVisibility.LIVE)
    category = CategoryFactory(project=project, name="Sport", color="#aa3300")
    site = SiteFactory(slug="stiftsplatz")
    pinned = ProposalFactory(
        project=project, category=category, location=Point(7.75, 49.44, srid=4326)
    )
    option = ProposalFactory(project=project, site=site, author=None)
    VoteFactory.create_batch(3, proposal=pinned)
    CommentFactory.create_batch(2, proposal=pinned)
    CommentFactory(proposal=pinned, is_hidden=True)

    collection = get_geojson(client, PROPOSALS, project=project.slug)

    assert collection["type"] == "FeatureCollection"
    assert collection["numberMatched"] == collection["numberReturned"] == 2
    assert collection["links"] == [
        {
            "rel": "self",
            "href": f"http://testserver{PROPOSALS}?project={project.slug}",
            "type": GEOJSON,
        }
    ]
    by_id = {feature["id"]: feature for feature in collection["features"]}
    feature = by_id[pinned.pk]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [7.75, 49.44]}
    assert set(feature["properties"]) == PROPOSAL_PROPERTIES
    properties = feature["properties"]
    assert properties["title"] == pinned.title
    assert properties["project"] == project.slug
    assert properties["category"] == "Sport"
    assert properties["category_color"] == "#aa3300"
    assert properties["status"] == "submitted"
    assert properties["is_option"] is False
    assert properties["site"] is None
    assert properties["vote_count"] == 3
    assert properties["comment_count"] == 2  # the hidden comment does not count
    assert properties["url"] == f"/projekte/{project.slug}/vorschlaege/{pinned.pk}/"
    assert properties["photo"] is None and properties["photo_alt"] is None  # it has no photo
    assert datetime.fromisoformat(properties["created_at"]) == pinned.created_at

    option_properties = by_id[option.pk]["properties"]
    assert option_properties["is_option"] is True
    assert option_properties["site"] == "stiftsplatz"
    assert option_properties["category"] is None
    assert option_properties["category_color"] is None
    assert option_properties["vote_count"] == option_properties["comment_count"] == 0


def test_vote_totals_stay_secret_until_the_project_publishes_them(client, planner_user):
    secret = ProjectFactory(voting=True)  # results after voting closes, the default
    live = ProjectFactory(voting=True, results_visibility=Project.ResultsVisibility.LIVE)
    now = timezone.now()
    closed = ProjectFactory(
        ideas_start=now - timedelta(days=30),
        ideas_end=now - timedelta(days=20),
        voting_start=now - timedelta(days=10),
        voting_end=now - timedelta(days=1),
    )
    proposals = {p: ProposalFactory(project=p) for p in (secret, live, closed)}
    for proposal in proposals.values():
        VoteFactory.create_batch(2, proposal=proposal)

    def totals(client: Client) -> dict[int, int | None]:
        collection = get_geojson(client, PROPOSALS)
        return {f["id"]: f["properties"]["vote_count"] for f in collection["features"]}

    assert totals(client) == {
        proposals[secret].pk: None,
        proposals[live].pk: 2,
        proposals[closed].pk: 2,
    }
    detail = get_geojson(client, f"{PROPOSALS}{proposals[secret].pk}/")
    assert detail["properties"]["vote_count"] is None
    only_secret = get_geojson(client, PROPOSALS, project=secret.slug)
    assert only_secret["features"][0]["properties"]["vote_count"] is None
    assert set(totals(as_user(Client(), planner_user)).values()) == {2}


def test_proposals_are_newest_first(client):
    project = ProjectFactory()
    older = ProposalFactory(project=project)
    newer = ProposalFactory(project=project)
    Proposal.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    collection = get_geojson(client, PROPOSALS, project=project.slug)
    assert [f["id"] for f in collection["features"]] == [newer.pk, older.pk]


def test_bbox_includes_what_lies_inside_and_excludes_the_rest(client):
    project = ProjectFactory(perimeter=box(7.60, 49.35, 7.90, 49.50))
    west = ProposalFactory(project=project, location=Point(7.70, 49.40, srid=4326))
    east = ProposalFactory(project=project, location=Point(7.85, 49.45, srid=4326))
    on_edge = ProposalFactory(project=project, location=Point(7.75, 49.42, srid=4326))

    inside_west = get_geojson(client, PROPOSALS, bbox="7.65,49.38,7.75,49.42")
    assert ids(inside_west) == {west.pk, on_edge.pk}
    assert ids(get_geojson(client, PROPOSALS, bbox="7.80,49.44,7.88,49.47")) == {east.pk}
    assert ids(get_geojson(client, PROPOSALS, bbox="8.0,50.0,8.1,50.1")) == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "7.7,49.4,7.8"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "7.8,49.4,7.7,49.5"}, "bbox"),
        ({"bbox": "0,0,90,45"}, "bbox"),
        ({"bbox": "nan,49,7.8,49.5"}, "bbox"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5001"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": str(10**20)}, "offset"),
        ({"status": "approved-by-me"}, "status"),
        ({"project": "not a slug"}, "project"),
    ],
)
def test_bad_query_parameters_are_a_400_with_the_field(client, params, field):
    for url in (PROPOSALS, SITES) if field in {"bbox", "limit", "offset"} else (PROPOSALS,):
        response = client.get(url, params)
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert list(response.json()) == [field]
        assert response.json()[field]


def test_bad_paging_and_bad_filters_are_named_together(client):
    response = client.get(PROPOSALS, {"limit": "0", "status": "vielleicht", "category": "a b"})
    assert response.status_code == 400
    assert set(response.json()) == {"limit", "status", "category"}


@pytest.mark.parametrize("count", [1, 5])
def test_proposal_detail_has_a_fixed_query_count(client, django_assert_num_queries, count):
    proposal = ProposalFactory()
    for _ in range(count):
        VoteFactory(proposal=proposal)
        CommentFactory(proposal=proposal)
    # the feature alone: whether its total shows is part of its statement (results rule)
    with django_assert_num_queries(1):
        get_geojson(client, f"{PROPOSALS}{proposal.pk}/")


def test_pages_carry_counts_and_absolute_links(client):
    project = ProjectFactory()
    ProposalFactory.create_batch(5, project=project)
    seen: list[int] = []

    first = get_geojson(client, PROPOSALS, project=project.slug, limit=2)
    assert (first["numberMatched"], first["numberReturned"]) == (5, 2)
    links = {link["rel"]: link for link in first["links"]}
    assert set(links) == {"self", "next"}
    assert all(link["type"] == GEOJSON for link in first["links"])
    assert links["next"]["href"].startswith("http://testserver/api/v1/proposals/?")
    seen += [f["id"] for f in first["features"]]

    second = get_geojson(client, links["next"]["href"])
    assert (second["numberMatched"], second["numberReturned"]) == (5, 2)
    links = {link["rel"]: link for link in second["links"]}
    assert set(links) == {"self", "next", "prev"}
    assert "offset=0" in links["prev"]["href"]
    seen += [f["id"] for f in second["features"]]

    last = get_geojson(client, links["next"]["href"])
    assert (last["numberMatched"], last["numberReturned"]) == (5, 1)
    assert {link["rel"] for link in last["links"]} == {"self", "prev"}
    seen += [f["id"] for f in last["features"]]

    assert sorted(seen) == sorted(Proposal.objects.values_list("pk", flat=True))
    beyond = get_geojson(client, PROPOSALS, project=project.slug, offset=50)
    assert (beyond["numberMatched"], beyond["numberReturned"], beyond["features"]) == (5, 0, [])


def test_filters_by_project_category_and_status(client):
    project = ProjectFactory()
    sport = CategoryFactory(project=project, slug="sport")
    culture = CategoryFactory(project=project, slug="kultur")
    a = ProposalFactory(project=project, category=sport)
    b = ProposalFactory(project=project, category=culture, status=Proposal.Status.ACCEPTED)
    elsewhere = ProposalFactory()

    assert ids(get_geojson(client, PROPOSALS)) == {a.pk, b.pk, elsewhere.pk}
    assert ids(get_geojson(client, PROPOSALS, project=project.slug)) == {a.pk, b.pk}
    assert ids(get_geojson(client, PROPOSALS, project="gibt-es-nicht")) == set()
    assert ids(get_geojson(client, PROPOSALS, category="sport")) == {a.pk}
    assert ids(get_geojson(client, PROPOSALS, status="accepted")) == {b.pk}
    assert ids(get_geojson(client, PROPOSALS, project=project.slug, status="submitted")) == {a.pk}


def test_pending_and_hidden_proposals_are_seen_by_their_author_and_planners_only(
    client, citizen, other_citizen, planner_user
):
    project = ProjectFactory(moderation=Project.Moderation.PRE)
    public = ProposalFactory(project=project)
    pending = ProposalFactory(
        project=project, author=citizen, visibility=Proposal.Visibility.PENDING
    )
    hidden = ProposalFactory(project=project, author=citizen, visibility=Proposal.Visibility.HIDDEN)

    assert ids(get_geojson(client, PROPOSALS)) == {public.pk}
    assert client.get(f"{PROPOSALS}{pending.pk}/").status_code == 404
    assert ids(get_geojson(as_user(Client(), other_citizen), PROPOSALS)) == {public.pk}
    author = as_user(Client(), citizen)
    assert ids(get_geojson(author, PROPOSALS)) == {public.pk, pending.pk}
    detail = get_geojson(author, f"{PROPOSALS}{pending.pk}/")
    assert detail["properties"]["visibility"] == "pending"
    # Moderation took the own hidden one off the map, but its page and detail answer the
    # author (as `rules.may_view_proposal` says), with the reason on the page.
    assert get_geojson(author, f"{PROPOSALS}{hidden.pk}/")["properties"]["visibility"] == "hidden"
    assert as_user(Client(), other_citizen).get(f"{PROPOSALS}{hidden.pk}/").status_code == 404
    everything = {public.pk, pending.pk, hidden.pk}
    assert ids(get_geojson(as_user(Client(), planner_user), PROPOSALS)) == everything


def test_unpublished_projects_are_hidden(client, citizen, planner_user):
    draft = ProjectFactory(is_published=False)
    proposal = ProposalFactory(project=draft, author=citizen)

    assert ids(get_geojson(client, PROPOSALS)) == set()
    assert ids(get_geojson(as_user(Client(), citizen), PROPOSALS)) == set()
    assert client.get(f"{PROPOSALS}{proposal.pk}/").status_code == 404
    assert client.get(f"{PROJECTS}{draft.slug}/").status_code == 404
    assert client.get(PROJECTS).json()["results"] == []
    planner = as_user(Client(), planner_user)
    assert ids(get_geojson(planner, PROPOSALS)) == {proposal.pk}
    assert planner.get(f"{PROJECTS}{draft.slug}/").json()["phase"]["value"] == "draft"


def test_proposal_detail_is_one_feature(client, citizen):
    live = ProjectFactory(voting=True, results_visibility=Project.ResultsVisibility.LIVE)
    proposal = ProposalFactory(project=live, description="Mit Schatten.")
    VoteFactory(proposal=proposal, user=citizen)

    feature = get_geojson(client, f"{PROPOSALS}{proposal.pk}/")
    assert feature["type"] == "Feature"
    assert feature["id"] == proposal.pk
    assert feature["geometry"]["type"] == "Point"
    assert set(feature["properties"]) == PROPOSAL_PROPERTIES | {
        "description",
        "visibility",
        "has_voted",
    }
    assert feature["properties"]["description"] == "Mit Schatten."
    assert feature["properties"]["has_voted"] is False
    voter = get_geojson(as_user(Client(), citizen), f"{PROPOSALS}{proposal.pk}/")
    assert voter["properties"]["has_voted"] is True
    assert voter["properties"]["vote_count"] == 1


@pytest.mark.parametrize("pk", ["999999", str(10**30)])
def test_unknown_proposal_is_a_404(client, pk):
    response = client.get(f"{PROPOSALS}{pk}/")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("count", [1, 30])
def test_proposal_list_has_a_fixed_query_count(client, django_assert_num_queries, count):
    project = ProjectFactory()
    for proposal in ProposalFactory.create_batch(count, project=project):
        VoteFactory(proposal=proposal)
        CommentFactory(proposal=proposal)
    # the features (whose totals are public is part of their statement)
    with django_assert_num_queries(1):
        collection = get_geojson(client, PROPOSALS, project=project.slug)
    assert collection["numberReturned"] == count


@pytest.mark.parametrize("count", [11, 30])
def test_a_full_page_adds_only_the_count_query(client, django_assert_num_queries, count):
    ProposalFactory.create_batch(count)
    with django_assert_num_queries(2):
        collection = get_geojson(client, PROPOSALS, limit=10)
    assert (collection["numberMatched"], collection["numberReturned"]) == (count, 10)


@pytest.mark.parametrize("count", [1, 30])
def test_signed_in_proposal_list_has_a_fixed_query_count(
    client, citizen, django_assert_num_queries, count
):
    ProposalFactory.create_batch(count)
    as_user(client, citizen)
    # session, user, the user's groups (who may see what), the features with public totals.
    with django_assert_num_queries(4):
        collection = get_geojson(client, PROPOSALS)
    assert collection["numberReturned"] == count


def test_sites_are_a_feature_collection_per_the_contract(client):
    district = AreaFactory(name="Innenstadt", geometry=box(7.74, 49.43, 7.79, 49.45))
    AreaFactory(name="Stadtgebiet", kind=Area.Kind.CITY, geometry=box(7.6, 49.3, 7.9, 49.5))
    square = SiteFactory(name="Stiftsplatz", slug="stiftsplatz", description="Mitten drin.")
    square.district = district
    square.save()
    lot = SiteFactory(
        name="Brache",
        slug="brache",
        kind="lot",
        location=Point(7.75, 49.44, srid=4326),
        outline=MultiPolygon(Polygon.from_bbox((7.749, 49.439, 7.751, 49.441)), srid=4326),
    )

    collection = get_geojson(client, SITES)
    assert collection["type"] == "FeatureCollection"
    assert collection["numberMatched"] == 2
    by_id = {feature["id"]: feature for feature in collection["features"]}
    square_feature = by_id[square.pk]
    assert square_feature["geometry"] == {"type": "Point", "coordinates": [INSIDE.x, INSIDE.y]}
    assert set(square_feature["properties"]) == SITE_PROPERTIES
    with translation.override("de"):
        square_label = str(Site.Kind.SQUARE.label)
    assert square_feature["properties"] == {
        "name": "Stiftsplatz",
        "slug": "stiftsplatz",
        "kind": "square",
        "kind_label": square_label,
        "district": "Innenstadt",
        "description": "Mitten drin.",
        "has_outline": False,
    }
    lot_properties = by_id[lot.pk]["properties"]
    assert lot_properties["has_outline"] is True
    assert lot_properties["district"] is None

    english = client.get(SITES, {"kind": "lot"}, HTTP_ACCEPT_LANGUAGE="en")
    assert json.loads(english.content)["features"][0]["properties"]["kind_label"] == "Vacant lot"
    assert ids(get_geojson(client, SITES, kind="square")) == {square.pk}
    assert ids(get_geojson(client, SITES, bbox="7.748,49.438,7.752,49.442")) == {lot.pk}
    assert client.get(SITES, {"kind": "volcano"}).status_code == 400


@pytest.mark.parametrize("count", [1, 30])
def test_site_list_is_one_query_whatever_the_number(client, django_assert_num_queries, count):
    SiteFactory.create_batch(count)
    with django_assert_num_queries(1):
        assert get_geojson(client, SITES)["numberReturned"] == count


def test_geojson_is_served_whatever_the_client_accepts(client):
    ProposalFactory()
    for accept in (GEOJSON, "application/json", "text/html", "*/*"):
        response = client.get(PROPOSALS, HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"] == GEOJSON
    error = client.get(PROPOSALS, {"limit": "x"}, HTTP_ACCEPT=GEOJSON)
    assert (error.status_code, error["Content-Type"]) == (400, "application/json")


# ---- projects ------------------------------------------------------------------------------


def test_projects_list_and_detail(client):
    project = ProjectFactory(
        title="Stadt.Raum.Wir.",
        slug="stadt-raum-wir",
        voting_mode="budget",
        votes_per_person=3,
        max_votes_per_option=2,
        body="Worum es geht.",
    )
    CategoryFactory(project=project, name="Kultur", slug="kultur", color="#123456", position=2)
    CategoryFactory(project=project, name="Sport", slug="sport", color="#654321", position=1)

    listed = client.get(PROJECTS).json()
    assert listed["count"] == 1
    item = listed["results"][0]
    assert item["slug"] == "stadt-raum-wir"
    with translation.override("de"):
        assert item["phase"] == {"value": "ideas", "label": str(Phase.IDEAS.label)}
    assert [c["slug"] for c in item["categories"]] == ["sport", "kultur"]
    assert item["categories"][0] == {"name": "Sport", "slug": "sport", "color": "#654321"}
    assert item["voting_mode"] == "budget"
    assert (item["votes_per_person"], item["max_votes_per_option"]) == (3, 2)
    assert item["allow_citizen_pins"] is True
    assert item["moderation"] == "post"
    assert item["perimeter"]["type"] == "MultiPolygon"
    assert item["perimeter"]["coordinates"][0][0][0] == [7.74, 49.43]
    assert item["url"] == "/projekte/stadt-raum-wir/"
    assert item["proposals"] == "http://testserver/api/v1/proposals/?project=stadt-raum-wir"
    assert datetime.fromisoformat(item["ideas_start"]) == project.ideas_start
    assert "body" not in item

    detail = client.get(f"{PROJECTS}stadt-raum-wir/").json()
    assert detail["body"] == "Worum es geht."
    assert {k: v for k, v in detail.items() if k != "body"} == item
    english = client.get(f"{PROJECTS}stadt-raum-wir/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["phase"] == {"value": "ideas", "label": "Collecting ideas"}
    assert client.get(f"{PROJECTS}gibt-es-nicht/").status_code == 404


@pytest.mark.parametrize("count", [1, 10])
def test_project_list_has_a_fixed_query_count(client, django_assert_num_queries, count):
    for project in ProjectFactory.create_batch(count):
        CategoryFactory.create_batch(2, project=project)
    # the page's count, the projects, their categories
    with django_assert_num_queries(3):
        assert len(client.get(PROJECTS).json()["results"]) == count


# ---- placing a pin ---------------------------------------------------------------------------


def test_citizen_places_a_pin(client, citizen):
    project = ProjectFactory()
    category = CategoryFactory(project=project, slug="sport")
    response = post(as_user(client, citizen), PROPOSALS, pin(project, category="sport"))

    assert response.status_code == 201, response.content
    assert response["Content-Type"] == GEOJSON
    feature = json.loads(response.content)
    proposal = Proposal.objects.get()
    assert response["Location"] == f"http://testserver{PROPOSALS}{proposal.pk}/"
    assert feature["id"] == proposal.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": [INSIDE.x, INSIDE.y]}
    assert feature["properties"]["title"] == "Boule-Bahn"
    assert feature["properties"]["visibility"] == "published"
    assert (proposal.author, proposal.category, proposal.project) == (citizen, category, project)
    assert proposal.location.srid == 4326


def test_a_pin_may_be_sent_as_a_geojson_feature(client, citizen):
    project = ProjectFactory()
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [7.75, 49.44]},
        "properties": {"project": project.slug, "title": "Trinkbrunnen", "category": None},
    }
    response = as_user(client, citizen).post(PROPOSALS, json.dumps(body), content_type=GEOJSON)
    assert response.status_code == 201, response.content
    assert Proposal.objects.get().location.coords == (7.75, 49.44)


def test_pre_moderated_pin_waits_and_is_shown_to_its_author(client, citizen):
    project = ProjectFactory(moderation=Project.Moderation.PRE)
    response = post(as_user(client, citizen), PROPOSALS, pin(project))
    assert response.status_code == 201
    assert json.loads(response.content)["properties"]["visibility"] == "pending"
    assert ids(get_geojson(Client(), PROPOSALS)) == set()


def test_anonymous_cannot_place_a_pin(client):
    project = ProjectFactory()
    response = post(client, PROPOSALS, pin(project))
    assert response.status_code == 403
    assert "detail" in response.json()
    assert not Proposal.objects.exists()


def test_pin_outside_the_collecting_phase_is_refused(client, citizen):
    project = ProjectFactory(voting=True)
    response = post(as_user(client, citizen), PROPOSALS, pin(project))
    assert response.status_code == 403
    assert response.json()["detail"]  # the rule's reason, translated
    assert not Proposal.objects.exists()


def test_messages_speak_the_clients_language(client, citizen):
    project = ProjectFactory(voting=True)
    as_user(client, citizen)
    german = post(client, PROPOSALS, pin(project)).json()["detail"]
    english = post(client, PROPOSALS, pin(project), HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert english == "Ideas can only be added while the project is collecting ideas."
    with translation.override("de"):
        assert german == translation.gettext(english)


def test_pin_outside_the_perimeter_is_refused_with_a_location_message(client, citizen):
    project = ProjectFactory()
    outside = {"type": "Point", "coordinates": [OUTSIDE.x, OUTSIDE.y]}
    response = post(as_user(client, citizen), PROPOSALS, pin(project, location=outside))
    assert response.status_code == 400
    assert list(response.json()) == ["location"]
    assert response.json()["location"][0]
    assert not Proposal.objects.exists()


BOWTIE = [[[7.75, 49.43], [7.76, 49.44], [7.76, 49.43], [7.75, 49.44], [7.75, 49.43]]]


@pytest.mark.parametrize(
    "location",
    [
        {"type": "Polygon", "coordinates": BOWTIE},
        {"type": "LineString", "coordinates": [[7.75, 49.43], [7.76, 49.44]]},
        {"type": "Point", "coordinates": [7.77, 95.0]},
        {"type": "Point", "coordinates": [190.0, 49.44]},
        {"type": "Point", "coordinates": []},
        {"type": "Point", "coordinates": "7.7,49.4"},
        {"type": "Point"},
        {"type": "Kreis", "coordinates": [7.75, 49.44]},
        {"coordinates": [7.75, 49.44]},
        "POINT(7.75",
        "",
        None,
        [7.75, 49.44],
        7.75,
    ],
    ids=[
        "self-intersecting-polygon",
        "line",
        "latitude-95",
        "longitude-190",
        "empty-point",
        "coordinates-string",
        "no-coordinates",
        "unknown-type",
        "no-type",
        "broken-wkt",
        "blank",
        "null",
        "bare-array",
        "number",
    ],
)
def test_invalid_location_is_a_400_on_location_and_nothing_stored(client, citizen, location):
    project = ProjectFactory()
    response = post(as_user(client, citizen), PROPOSALS, pin(project, location=location))
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["location"]
    assert all(isinstance(m, str) and m for m in response.json()["location"])
    assert not Proposal.objects.exists()


def test_infinite_coordinate_is_a_400_on_location(client, citizen):
    # JSON has no infinity, but a number too big for a float becomes one when parsed.
    body = json.dumps(pin(ProjectFactory(), location={"type": "Point", "coordinates": [7, 49]}))
    body = body.replace("[7, 49]", "[1e400, 49.44]")
    response = as_user(client, citizen).post(PROPOSALS, body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["location"]
    assert not Proposal.objects.exists()


def test_missing_fields_are_named(client, citizen):
    response = post(as_user(client, citizen), PROPOSALS, {})
    assert response.status_code == 400
    assert set(response.json()) == {"project", "title", "location"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"project": "gibt-es-nicht"}, "project"),
        ({"project": 42}, "project"),
        ({"title": "x" * 121}, "title"),
        ({"title": "   "}, "title"),
        ({"title": {"de": "Titel"}}, "title"),
        ({"title": "Null\x00Byte"}, "title"),
        ({"description": "x" * 5001}, "description"),
        ({"category": "gibt-es-nicht"}, "category"),
        ({"category": ["sport"]}, "category"),
    ],
)
def test_wrong_fields_are_a_400_naming_the_field(client, citizen, fields, field):
    project = ProjectFactory()
    response = post(as_user(client, citizen), PROPOSALS, pin(project, **fields))
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert not Proposal.objects.exists()


def test_unknown_references_are_named_in_the_message(client, citizen):
    as_user(client, citizen)
    response = post(client, PROPOSALS, pin(ProjectFactory(), project="gibt-es-nicht"))
    assert "gibt-es-nicht" in response.json()["project"][0]
    response = post(client, COMMENTS, {"proposal": 424242, "body": "x"})
    assert "424242" in response.json()["proposal"][0]


def test_category_of_another_project_is_refused(client, citizen):
    project = ProjectFactory()
    CategoryFactory(slug="fremd")
    response = post(as_user(client, citizen), PROPOSALS, pin(project, category="fremd"))
    assert response.status_code == 400
    assert list(response.json()) == ["category"]


def test_unpublished_project_is_unknown_to_citizens(client, citizen):
    project = ProjectFactory(is_published=False)
    response = post(as_user(client, citizen), PROPOSALS, pin(project))
    assert response.status_code == 400
    assert list(response.json()) == ["project"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"title": ', "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b'{"title": NaN}', "application/json", 400),
        (b'{"title": "\\ud800"}', "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        (b"[" * 50000 + b"]" * 50000, "application/json", 413),
        (b"[" * 20000 + b"]" * 20000, "application/json", 400),
        (b'{"title": "' + b"x" * (70 * 1024) + b'"}', "application/json", 413),
        (b"title=Boule", "application/x-www-form-urlencoded", 415),
        (b"<xml/>", "text/xml", 415),
    ],
    ids=[
        "truncated",
        "array",
        "nan",
        "lone-surrogate",
        "not-utf8",
        "deep-and-big",
        "deep",
        "huge",
        "form",
        "xml",
    ],
)
def test_malformed_bodies_are_refused_cleanly(client, citizen, body, content_type, status):
    ProjectFactory()
    response = as_user(client, citizen).post(PROPOSALS, body, content_type=content_type)
    assert response.status_code == status, response.content
    assert response.json()
    assert not Proposal.objects.exists()


# ---- comments ------------------------------------------------------------------------------


def test_comments_list_shows_visible_comments_with_display_names(client):
    proposal = ProposalFactory()
    author = UserFactory(username="anna", email="anna@example.org")
    Profile.objects.create(user=author, display_name="Anna aus der Altstadt")
    first = CommentFactory(proposal=proposal, author=author, body="Super")
    CommentFactory(proposal=proposal, is_hidden=True, body="Unsinn")
    reply = CommentFactory(proposal=proposal, parent=first, author=None)
    CommentFactory()  # another proposal's

    response = client.get(COMMENTS, {"proposal": proposal.pk})
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 2
    assert [c["id"] for c in page["results"]] == [first.pk, reply.pk]
    assert page["results"][0] == {
        "id": first.pk,
        "proposal": proposal.pk,
        "parent": None,
        "author": "Anna aus der Altstadt",
        "is_official": False,
        "body": "Super",
        "created_at": page["results"][0]["created_at"],
    }
    assert page["results"][1]["parent"] == first.pk
    assert page["results"][1]["author"] is None
    assert "anna@example.org" not in response.content.decode()


def test_comments_need_a_visible_proposal(client):
    assert list(client.get(COMMENTS).json()) == ["proposal"]
    assert list(client.get(COMMENTS, {"proposal": "abc"}).json()) == ["proposal"]
    pending = ProposalFactory(visibility=Proposal.Visibility.PENDING)
    assert client.get(COMMENTS, {"proposal": pending.pk}).status_code == 404
    assert client.get(COMMENTS, {"proposal": 10**30}).status_code == 400


@pytest.mark.parametrize("count", [1, 30])
def test_comment_list_has_a_fixed_query_count(client, django_assert_num_queries, count):
    proposal = ProposalFactory()
    CommentFactory.create_batch(count, proposal=proposal)
    # the proposal's visibility, the page's count, the comments with their authors
    with django_assert_num_queries(3):
        assert len(client.get(COMMENTS, {"proposal": proposal.pk}).json()["results"]) == count


def test_citizen_comments_and_replies(client, citizen):
    proposal = ProposalFactory()
    as_user(client, citizen)
    response = post(client, COMMENTS, {"proposal": proposal.pk, "body": "  Gute Idee!  "})
    assert response.status_code == 201, response.content
    comment = Comment.objects.get()
    assert response.json()["id"] == comment.pk
    # No display name chosen: the neutral name, never the login name or the address.
    with translation.override("de"):
        shown = display_name(citizen)
        assert response.json()["author"] == shown and shown.startswith("Teilnehmer:in #")
    assert not shown.endswith(f"#{citizen.pk}")
    assert comment.body == "Gute Idee!"
    reply = post(client, COMMENTS, {"proposal": proposal.pk, "body": "Ja", "parent": comment.pk})
    assert reply.status_code == 201
    assert reply.json()["parent"] == comment.pk


def test_comment_refusals(client, citizen):
    proposal = ProposalFactory()
    own_pending = ProposalFactory(author=citizen, visibility=Proposal.Visibility.PENDING)
    others_pending = ProposalFactory(visibility=Proposal.Visibility.PENDING)
    hidden = ProposalFactory(visibility=Proposal.Visibility.HIDDEN)
    foreign_comment = CommentFactory()
    reply = CommentFactory(proposal=proposal, parent=CommentFactory(proposal=proposal))
    closed = ProposalFactory(
        project=ProjectFactory(
            ideas_start=timezone.now() - timedelta(days=9),
            ideas_end=timezone.now() - timedelta(days=1),
        )
    )
    before = Comment.objects.count()

    assert post(client, COMMENTS, {"proposal": proposal.pk, "body": "x"}).status_code == 403
    as_user(client, citizen)
    assert post(client, COMMENTS, {"proposal": own_pending.pk, "body": "x"}).status_code == 403
    assert post(client, COMMENTS, {"proposal": closed.pk, "body": "x"}).status_code == 403
    for invisible in (others_pending, hidden):
        response = post(client, COMMENTS, {"proposal": invisible.pk, "body": "x"})
        assert response.status_code == 400
        assert list(response.json()) == ["proposal"]
    for parent in (foreign_comment, reply):
        response = post(
            client, COMMENTS, {"proposal": proposal.pk, "body": "x", "parent": parent.pk}
        )
        assert response.status_code == 400
        assert list(response.json()) == ["parent"]
    assert list(post(client, COMMENTS, {"proposal": proposal.pk, "body": ""}).json()) == ["body"]
    long_body = post(client, COMMENTS, {"proposal": proposal.pk, "body": "x" * 3001})
    assert list(long_body.json()) == ["body"]
    assert Comment.objects.count() == before


# ---- votes ---------------------------------------------------------------------------------


def test_citizen_votes_and_withdraws(client, citizen):
    live = ProjectFactory(voting=True, results_visibility=Project.ResultsVisibility.LIVE)
    proposal = ProposalFactory(project=live)
    VoteFactory(proposal=proposal)
    as_user(client, citizen)

    response = post(client, VOTES, {"proposal": proposal.pk})
    assert response.status_code == 201, response.content
    assert response.json() == {"proposal": proposal.pk, "vote_count": 2, "has_voted": True}
    assert Vote.objects.filter(user=citizen, proposal=proposal).exists()

    again = post(client, VOTES, {"proposal": proposal.pk})
    assert again.status_code == 400
    assert list(again.json()) == ["proposal"]
    assert Vote.objects.filter(proposal=proposal).count() == 2

    assert client.delete(f"{VOTES}{proposal.pk}/").status_code == 204
    assert not Vote.objects.filter(user=citizen).exists()
    absent = client.delete(f"{VOTES}{proposal.pk}/")
    assert absent.status_code == 400
    assert list(absent.json()) == ["proposal"]
    assert client.delete(f"{VOTES}999999/").status_code == 404
    assert client.delete(f"{VOTES}{10**30}/").status_code == 404


def test_vote_answer_keeps_secret_totals_secret(client, citizen):
    proposal = ProposalFactory(project=ProjectFactory(voting=True))
    VoteFactory(proposal=proposal)
    response = post(as_user(client, citizen), VOTES, {"proposal": proposal.pk})
    assert response.status_code == 201
    assert response.json() == {"proposal": proposal.pk, "vote_count": None, "has_voted": True}


def test_vote_refusals(client, citizen):
    collecting = ProposalFactory()
    voting = ProjectFactory(voting=True)
    pending = ProposalFactory(project=voting, visibility=Proposal.Visibility.PENDING)
    own_pending = ProposalFactory(
        project=voting, author=citizen, visibility=Proposal.Visibility.PENDING
    )
    open_proposal = ProposalFactory(project=voting)

    assert post(client, VOTES, {"proposal": open_proposal.pk}).status_code == 403
    assert client.delete(f"{VOTES}{open_proposal.pk}/").status_code == 403
    as_user(client, citizen)
    wrong_phase = post(client, VOTES, {"proposal": collecting.pk})
    assert wrong_phase.status_code == 403
    assert wrong_phase.json()["detail"]
    assert post(client, VOTES, {"proposal": own_pending.pk}).status_code == 403
    assert list(post(client, VOTES, {"proposal": pending.pk}).json()) == ["proposal"]
    assert list(post(client, VOTES, {"proposal": "eins"}).json()) == ["proposal"]
    assert list(post(client, VOTES, {}).json()) == ["proposal"]
    assert not Vote.objects.exists()


def test_votes_list_only_ones_own(client, citizen, other_citizen):
    proposal = ProposalFactory(project=ProjectFactory(voting=True))
    mine = VoteFactory(proposal=proposal, user=citizen)
    VoteFactory(proposal=proposal, user=other_citizen)
    VoteFactory(user=other_citizen)

    assert client.get(VOTES).status_code == 403
    page = as_user(client, citizen).get(VOTES).json()
    assert page["count"] == 1
    assert page["results"] == [
        {
            "proposal": proposal.pk,
            "project": proposal.project.slug,
            "weight": 1,
            "created_at": page["results"][0]["created_at"],
        }
    ]
    assert datetime.fromisoformat(page["results"][0]["created_at"]) == mine.created_at
    # Nobody can look up others' votes by id either.
    assert client.get(f"{VOTES}{proposal.pk}/").status_code == 405


# ---- CSRF ----------------------------------------------------------------------------------


def test_writes_need_the_csrf_token(citizen):
    project = ProjectFactory(voting=True)
    proposal = ProposalFactory(project=project)
    collecting = ProjectFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(citizen)

    writes = [
        (PROPOSALS, pin(collecting)),
        (COMMENTS, {"proposal": proposal.pk, "body": "Hallo"}),
        (VOTES, {"proposal": proposal.pk}),
    ]
    for url, body in writes:
        refused = post(browser, url, body)
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["detail"]
    assert not Proposal.objects.filter(project=collecting).exists()
    assert not Comment.objects.exists()
    assert not Vote.objects.exists()

    token = get_random_string(32)
    browser.cookies["csrftoken"] = token
    for url, body in writes:
        assert post(browser, url, body, HTTP_X_CSRFTOKEN=token).status_code == 201

    assert browser.delete(f"{VOTES}{proposal.pk}/").status_code == 403
    assert browser.delete(f"{VOTES}{proposal.pk}/", HTTP_X_CSRFTOKEN=token).status_code == 204


# ---- the exception handler -----------------------------------------------------------------


def test_validation_errors_without_a_field_are_non_field_errors():
    response = exception_handler(ValidationError("Kaputt."), {})
    assert response is not None
    assert (response.status_code, response.data) == (400, {"non_field_errors": ["Kaputt."]})
    whole = exception_handler(ValidationError({"__all__": ["Beides geht nicht."]}), {})
    assert whole is not None
    assert whole.data == {"non_field_errors": ["Beides geht nicht."]}

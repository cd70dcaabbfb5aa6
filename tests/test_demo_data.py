"""The Kaiserslautern demo data: loaded once through the services, sound, idempotent."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import translation

from accounts import roles
from geo.models import Area
from locations.models import Site
from proposals.management.commands.load_demo import DEFAULT_DEMO_PASSWORD
from proposals.models import Category, Comment, PaperTally, Phase, Project, Proposal, Vote
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

SQUARES = [
    "Stiftsplatz",
    "Schillerplatz",
    "Martin-Luther-Platz",
    "St.-Martins-Platz",
    "Willy-Brandt-Platz",
    "Königsplatz",
    "Rathausvorplatz",
    "Mainzer Tor",
    "Altenhof",
    "Fackelrondell",
]
STIFTSPLATZ = Point(7.7689, 49.4447, srid=4326)
STIFTSPLATZ_UTM = STIFTSPLATZ.transform(25832, clone=True)


def load() -> str:
    out = io.StringIO()
    with translation.override("en"):  # the messages checked below are the English sources
        call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Area, Site, Project, Category, Proposal, Comment, Vote, PaperTally)
    return {m.__name__: m.objects.count() for m in models} | {
        "users": get_user_model().objects.count(),
        "groups": Group.objects.count(),
    }


@pytest.fixture
def output() -> str:
    return load()


def test_city_and_districts_are_valid_disjoint_and_inside_the_city(output):
    assert Area.objects.filter(kind=Area.Kind.CITY).count() == 1
    districts = Area.objects.filter(kind=Area.Kind.DISTRICT)
    assert districts.count() >= 6
    assert not districts.filter(is_approximate=False).exists()
    assert all(d.population and d.source for d in districts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM geo_area WHERE NOT ST_IsValid(geometry)")
        assert cursor.fetchone()[0] == 0
        # Areas in m² (EPSG:25832): shared borders may touch, never overlap.
        cursor.execute(
            """
            SELECT a.slug, b.slug, ST_Overlaps(a.geometry, b.geometry),
                   ST_Area(ST_Transform(ST_Intersection(a.geometry, b.geometry), 25832))
            FROM geo_area a JOIN geo_area b ON a.id < b.id
            WHERE a.kind = 'district' AND b.kind = 'district'
              AND ST_Intersects(a.geometry, b.geometry)
            """
        )
        pairs = cursor.fetchall()
        assert pairs, "neighbouring districts share borders"
        assert [p for p in pairs if p[2] or p[3] > 1.0] == []
        cursor.execute(
            """
            SELECT d.slug, ST_Area(ST_Transform(ST_Difference(d.geometry, c.geometry), 25832))
            FROM geo_area d, geo_area c
            WHERE d.kind = 'district' AND c.kind = 'city'
            """
        )
        assert [row for row in cursor.fetchall() if row[1] > 1.0] == []
        cursor.execute(
            "SELECT ST_Area(ST_Transform(geometry, 25832)) / 1e6 FROM geo_area WHERE kind = 'city'"
        )
        assert 100 < cursor.fetchone()[0] < 200  # km²; the real city has about 140
    # The inner-city districts cover the centre, and every district is a polygon, not a box.
    assert districts.filter(geometry__covers=STIFTSPLATZ).count() == 1
    assert all(10 <= d.geometry.num_coords - len(d.geometry) <= 30 for d in districts)


def test_every_named_square_is_a_site_with_its_district(output):
    sites = Site.objects.select_related("district")
    names = set(sites.values_list("name", flat=True))
    assert set(SQUARES) <= names
    for site in sites.filter(name__in=SQUARES):
        assert site.kind == Site.Kind.SQUARE
        assert site.is_approximate
        assert site.external_id == f"kl-site-{site.slug}"
        assert site.district is not None, site.name
        # Downtown squares: all within 1 km of the Stiftsplatz (measured in metres).
        metres = site.location.transform(25832, clone=True).distance(STIFTSPLATZ_UTM)
        assert metres < 1000, site.name
    # Squares with an outline got their point on the outline.
    outlined = sites.filter(outline__isnull=False)
    assert outlined.count() >= 3
    assert not outlined.exclude(outline__covers=F("location")).exists()
    assert not sites.filter(district__isnull=True).exists()
    assert sites.filter(kind=Site.Kind.CANDIDATE).count() >= 3


def test_both_projects_are_in_the_right_phase_with_their_rules(output):
    srw = Project.objects.get(slug="stadt-raum-wir")
    ll = Project.objects.get(slug="lokale-logistik")
    assert srw.phase == Phase.IDEAS
    assert srw.allow_citizen_pins
    assert sorted(srw.categories.values_list("name", flat=True)) == ["Kulinarik", "Kultur", "Sport"]
    assert len(set(srw.categories.values_list("color", flat=True))) == 3
    assert ll.phase == Phase.VOTING
    assert ll.ideas_start is None
    assert ll.voting_mode == "single"
    assert not ll.allow_citizen_pins
    assert "Lautern blüht auf" in ll.body
    assert "2. und 3. April" in ll.body
    assert "Ausprobierbox" in ll.body


def test_pins_lie_inside_their_perimeters_and_spread_over_the_squares(output):
    srw = Project.objects.get(slug="stadt-raum-wir")
    pins = Proposal.objects.filter(project=srw)
    assert 8 <= pins.count() <= 15
    assert not pins.filter(site__isnull=False).exists()
    assert not pins.filter(category__isnull=True).exists()
    assert not Proposal.objects.exclude(location__coveredby=F("project__perimeter")).exists()
    squares = Site.objects.filter(kind=Site.Kind.SQUARE)
    nearest = {
        squares.annotate(d=Distance("location", pin.location)).order_by("d").first() for pin in pins
    }
    assert len(nearest) >= 5  # the ideas are spread over several squares
    assert Comment.objects.filter(parent__isnull=False).count() >= 2
    assert Comment.objects.filter(parent__isnull=True).count() >= 5


def test_logistics_options_stand_at_candidate_sites_and_have_uneven_votes(output):
    ll = Project.objects.get(slug="lokale-logistik")
    options = Proposal.objects.filter(project=ll)
    assert options.count() >= 3
    assert not options.filter(site__isnull=True).exists()
    assert set(options.values_list("site__kind", flat=True)) == {Site.Kind.CANDIDATE}
    assert set(options.values_list("author__username", flat=True)) == {"planung"}
    votes = Vote.objects.filter(project=ll)
    assert 15 <= votes.count() <= 25
    per_voter = Counter(votes.values_list("user_id", flat=True))
    assert set(per_voter.values()) == {1}  # single choice
    per_option = Counter(votes.values_list("proposal_id", flat=True))
    assert len(set(per_option.values())) > 1
    voters = get_user_model().objects.filter(votes__project=ll)
    assert not any(v.has_usable_password() for v in voters)
    tally = PaperTally.objects.get(project=ll)
    assert tally.event_name == "Lautern blüht auf"
    assert sum(tally.counts.values_list("votes", flat=True)) <= tally.ballots


def test_second_run_loads_nothing_and_still_lists_the_accounts(output):
    before = counts()
    again = load()
    assert counts() == before
    assert "Demo data already present" in again
    for text in (output, again):
        for username in ("buerger", "planung", "gis", "admin"):
            assert username in text
        assert DEFAULT_DEMO_PASSWORD in text


def test_only_accounts_are_added_to_a_database_that_already_has_areas():
    AreaFactory()
    before = counts()
    assert "Demo data already present" in load()
    after = counts()
    assert after.pop("users") == 4  # the demo accounts: always ensured
    assert after.pop("groups") == 3  # the roles: always ensured
    assert after == {k: v for k, v in before.items() if k not in ("users", "groups")}


def test_demo_accounts_sign_in_with_their_roles(output, client):
    for username in ("buerger", "planung", "gis", "admin"):
        assert client.login(username=username, password=DEFAULT_DEMO_PASSWORD), username
        client.logout()
    users = {u.username: u for u in get_user_model().objects.filter(email__endswith=".invalid")}
    assert users["admin"].is_superuser
    assert users["planung"].is_staff and users["gis"].is_staff
    assert not users["buerger"].is_staff
    assert users["planung"].groups.filter(name=roles.PLANNER).exists()
    assert users["gis"].groups.filter(name=roles.GIS_STAFF).exists()
    assert users["buerger"].groups.filter(name=roles.CITIZEN).exists()
    planung = users["planung"]
    assert planung.has_perm("proposals.change_project")
    assert planung.has_perm("locations.add_site")
    assert planung.has_perm("geo.view_area") and not planung.has_perm("geo.change_area")
    assert planung.has_perm("proposals.view_vote") and not planung.has_perm("proposals.change_vote")
    gis = users["gis"]
    assert gis.has_perm("geo.change_area") and gis.has_perm("locations.change_site")
    assert gis.has_perm("proposals.view_proposal") and not gis.has_perm("proposals.change_proposal")
    assert client.login(username="planung", password=DEFAULT_DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_demo_password_comes_from_the_environment(monkeypatch, client):
    monkeypatch.setenv("DEMO_PASSWORD", "ein-anderes-kennwort")
    assert "ein-anderes-kennwort" in load()
    assert client.login(username="buerger", password="ein-anderes-kennwort")
    assert not client.login(username="buerger", password=DEFAULT_DEMO_PASSWORD)


def test_an_existing_account_of_the_same_name_is_left_alone():
    user = get_user_model().objects.create_user("admin", "it@kaiserslautern.de", "geheim-123")
    text = load()
    user.refresh_from_db()
    assert user.check_password("geheim-123")
    assert not user.is_superuser
    assert "left unchanged" in text


def test_loading_works_in_the_default_language_too():
    # Nothing in the loader may depend on the active language (German by default).
    call_command("load_demo", stdout=io.StringIO())
    # The two participation projects, and the demo survey's own project.
    assert Project.objects.exclude(slug="mobilitaet-innenstadt").count() == 2
    assert Vote.objects.exists()

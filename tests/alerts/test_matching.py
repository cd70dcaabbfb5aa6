"""Matching events against subscriptions in PostGIS: districts, radius, drawn areas, filters,
follows, voters; one statement per event whatever the number of subscribers."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.core import mail as outbox
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proposals.alerts import services
from proposals.alerts.matching import match_and_record
from proposals.alerts.models import AlertSettings, Frequency, Notice, Subscription
from proposals.models import Proposal
from tests.factories import (
    AreaFactory,
    CategoryFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    VoteFactory,
    box,
)

pytestmark = pytest.mark.django_db

# Two districts side by side inside the test box (EPSG:4326).
WEST = (7.74, 49.43, 7.765, 49.45)
EAST = (7.765, 49.43, 7.79, 49.45)
IN_WEST = Point(7.75, 49.44, srid=4326)
IN_EAST = Point(7.78, 49.44, srid=4326)


def _recipients(proposal: Proposal, **kwargs: object) -> set[str]:
    found = match_and_record(event=Notice.Event.PUBLISHED, proposal_id=proposal.pk, **kwargs)
    return {r.email.split("@")[0] for r in found}


def test_district_radius_drawn_and_categories_match_exactly():
    project = ProjectFactory()
    west = AreaFactory(geometry=box(*WEST))
    east = AreaFactory(geometry=box(*EAST))
    green = CategoryFactory(project=project)
    grey = CategoryFactory(project=project)
    site = SiteFactory(location=Point(7.78, 49.44, srid=4326))
    for name in ("west", "east", "near", "far", "drawn", "green", "grey", "other_project"):
        UserFactory(username=name)
    services.area_subscribe(user=UserFactory(username="west"), kind="district", district=west)
    services.area_subscribe(user=UserFactory(username="east"), kind="district", district=east)
    # 300 m around the site: IN_EAST is the site itself; 7.7835 is ~250 m east, 7.786 ~430 m.
    services.area_subscribe(
        user=UserFactory(username="near"), kind="radius", site=site, radius_m=300
    )
    services.area_subscribe(
        user=UserFactory(username="far"),
        kind="radius",
        site=SiteFactory(location=Point(7.75, 49.44, srid=4326)),
        radius_m=300,
    )
    services.area_subscribe(
        user=UserFactory(username="drawn"),
        kind="drawn",
        drawn=Polygon.from_bbox((7.777, 49.438, 7.782, 49.442)),
    )
    services.area_subscribe(
        user=UserFactory(username="green"), kind="district", district=east, categories=[green]
    )
    services.area_subscribe(
        user=UserFactory(username="grey"), kind="district", district=east, categories=[grey]
    )
    services.area_subscribe(
        user=UserFactory(username="other_project"),
        kind="district",
        district=east,
        projects=[ProjectFactory()],
    )

    at_site = ProposalFactory(project=project, location=IN_EAST, category=green)
    assert _recipients(at_site) == {"east", "near", "drawn", "green"}

    east_of_site = ProposalFactory(
        project=project, location=Point(7.7835, 49.44, srid=4326), category=grey
    )
    assert _recipients(east_of_site) == {"east", "near", "grey"}

    beyond_radius = ProposalFactory(project=project, location=Point(7.786, 49.44, srid=4326))
    assert _recipients(beyond_radius) == {"east"}

    west_pin = ProposalFactory(project=project, location=IN_WEST)
    assert _recipients(west_pin) == {"west", "far"}


def test_follows_voters_settings_and_the_excluded_author():
    proposal = ProposalFactory()
    follower, voter, both, daily, off, inactive = (
        UserFactory(username=n) for n in ("follower", "voter", "both", "daily", "off", "inactive")
    )
    for user in (follower, both, daily, off, inactive):
        services.proposal_follow(user=user, proposal=proposal)
    VoteFactory(proposal=proposal, user=voter)
    VoteFactory(proposal=proposal, user=both)
    AlertSettings.objects.create(user=daily, frequency=Frequency.DAILY)
    AlertSettings.objects.create(user=off, frequency=Frequency.OFF)
    inactive.is_active = False
    inactive.save()
    services.author_follow(proposal)

    found = match_and_record(
        event=Notice.Event.RESPONSE,
        proposal_id=proposal.pk,
        exclude_user_id=proposal.author_id,
        to_voters=True,
    )
    assert {r.email.split("@")[0]: r.immediate for r in found} == {
        "follower": True,
        "voter": True,
        "both": True,  # one notice, though follower and voter
        "daily": False,
    }
    assert Notice.objects.filter(proposal=proposal, sent_at__isnull=True).count() == 1

    # Without voters (a new proposal), only the follows count; the author is included here.
    found = match_and_record(event=Notice.Event.PROGRESS, proposal_id=proposal.pk)
    assert {r.email.split("@")[0] for r in found} == {
        "follower",
        "both",
        "daily",
        proposal.author.username,
    }


@pytest.mark.parametrize("subscribers", [1, 40])
def test_one_query_per_event_whatever_the_number_of_subscribers(subscribers):
    project = ProjectFactory()
    district = AreaFactory()
    for _ in range(subscribers):
        user = UserFactory()
        services.area_subscribe(user=user, kind="district", district=district)
        services.project_follow(user=user, project=project)
    proposal = ProposalFactory(project=project)
    with CaptureQueriesContext(connection) as queries:
        services.proposal_published(proposal)
    assert len(queries) == 1
    assert Notice.objects.filter(proposal=proposal).count() == subscribers


def test_pending_and_hidden_proposals_are_not_announced(django_capture_on_commit_callbacks):
    district = AreaFactory()
    services.area_subscribe(user=UserFactory(), kind="district", district=district)
    pending = ProposalFactory(visibility=Proposal.Visibility.PENDING)
    hidden = ProposalFactory(visibility=Proposal.Visibility.HIDDEN)
    unpublished = ProposalFactory(project=ProjectFactory(is_published=False))
    with django_capture_on_commit_callbacks(execute=True):
        for proposal in (pending, hidden, unpublished):
            assert services.proposal_published(proposal) == 0
    assert Notice.objects.count() == 0
    assert outbox.outbox == []


def test_radius_is_metres_on_the_ground():
    site = SiteFactory(location=Point(7.78, 49.44, srid=4326))
    subscription = services.area_subscribe(
        user=UserFactory(), kind="radius", site=site, radius_m=500
    )
    assert subscription.region.srid == 25832
    # A 16-segments-per-quarter circle: within half a percent of pi r².
    assert subscription.region.area == pytest.approx(3.14159 * 500**2, rel=0.005)
    assert Subscription.objects.get().kind == "radius"

"""Write use cases: happy paths and every refusal, against PostGIS."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import LineString, Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from accounts.selectors import display_name
from audit.models import AuditEntry
from proposals import review
from proposals.models import Comment, Project, Proposal, Vote, VotingMode
from proposals.services import (
    comment_create,
    project_update,
    proposal_create,
    tally_record,
    vote_cast,
    vote_withdraw,
)
from tests.factories import (
    INSIDE,
    OUTSIDE,
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are matched in English here; the default, German, is checked on its own below."""
    with translation.override("en"):
        yield


def test_refusals_speak_german_by_default(citizen):
    project = ProjectFactory()
    with translation.override(settings.LANGUAGE_CODE), pytest.raises(ValidationError) as exc:
        proposal_create(author=citizen, project=project, title="Weit weg", location=OUTSIDE)
    assert "außerhalb" in exc.value.message_dict["location"][0]


def test_citizen_places_a_pin_inside_the_perimeter(citizen):
    project = ProjectFactory()
    category = CategoryFactory(project=project)
    proposal = proposal_create(
        author=citizen,
        project=project,
        title="  Boule-Bahn  ",
        description="Für alle.",
        location=Point(7.7689, 49.4447, srid=4326),
        category=category,
    )
    proposal.refresh_from_db()
    assert proposal.title == "Boule-Bahn"
    assert proposal.location.srid == 4326
    assert proposal.visibility == Proposal.Visibility.PUBLISHED
    assert proposal.category == category


def test_pin_given_in_etrs89_utm_is_stored_in_wgs84(citizen):
    project = ProjectFactory()
    utm = Point(INSIDE.x, INSIDE.y, srid=4326).transform(25832, clone=True)
    proposal = proposal_create(author=citizen, project=project, title="Bank", location=utm)
    assert proposal.location.srid == 4326
    assert proposal.location.distance(INSIDE) < 1e-6


def test_pin_outside_the_perimeter_is_refused_and_nothing_stored(citizen):
    project = ProjectFactory()
    with pytest.raises(ValidationError) as exc:
        proposal_create(author=citizen, project=project, title="Weit weg", location=OUTSIDE)
    assert "location" in exc.value.message_dict
    assert not Proposal.objects.exists()


@pytest.mark.parametrize(
    "geometry",
    [None, LineString((7.76, 49.44), (7.77, 49.445), srid=4326), Point(7.77, 95.0, srid=4326)],
    ids=["missing", "line", "latitude-out-of-range"],
)
def test_pin_with_bad_geometry_is_refused(citizen, geometry):
    project = ProjectFactory()
    with pytest.raises(ValidationError) as exc:
        proposal_create(author=citizen, project=project, title="Kaputt", location=geometry)
    assert "location" in exc.value.message_dict
    assert not Proposal.objects.exists()


def test_empty_title_is_refused_field_by_field(citizen):
    with pytest.raises(ValidationError) as exc:
        proposal_create(author=citizen, project=ProjectFactory(), title="   ", location=INSIDE)
    assert "title" in exc.value.message_dict
    assert not Proposal.objects.exists()


def test_category_of_another_project_is_refused(citizen):
    project = ProjectFactory()
    foreign = CategoryFactory()
    with pytest.raises(ValidationError) as exc:
        proposal_create(
            author=citizen, project=project, title="X", location=INSIDE, category=foreign
        )
    assert "category" in exc.value.message_dict


def test_anonymous_cannot_place_a_pin():
    with pytest.raises(PermissionDenied):
        proposal_create(
            author=AnonymousUser(), project=ProjectFactory(), title="X", location=INSIDE
        )


def test_pin_outside_the_ideas_phase_is_refused(citizen):
    project = ProjectFactory(voting=True)
    with pytest.raises(PermissionDenied, match="collecting ideas"):
        proposal_create(author=citizen, project=project, title="Zu spät", location=INSIDE)
    assert not Proposal.objects.exists()


def test_pin_in_a_draft_project_is_refused(citizen):
    with pytest.raises(PermissionDenied):
        proposal_create(
            author=citizen, project=ProjectFactory(is_published=False), title="X", location=INSIDE
        )


def test_project_without_citizen_pins_refuses_citizens_but_not_planners(citizen, planner_user):
    project = ProjectFactory(allow_citizen_pins=False)
    with pytest.raises(PermissionDenied):
        proposal_create(author=citizen, project=project, title="X", location=INSIDE)
    assert proposal_create(author=planner_user, project=project, title="Y", location=INSIDE)


def test_pre_moderated_project_keeps_new_pins_pending(citizen):
    project = ProjectFactory(moderation=Project.Moderation.PRE)
    proposal = proposal_create(author=citizen, project=project, title="X", location=INSIDE)
    assert proposal.visibility == Proposal.Visibility.PENDING


def test_planner_posts_an_option_at_a_site_which_takes_the_sites_point(planner_user):
    project = ProjectFactory(voting=True)
    site = SiteFactory(location=Point(7.7700, 49.4420, srid=4326))
    option = proposal_create(author=planner_user, project=project, title="Box hier", site=site)
    assert option.is_option
    assert option.location.equals_exact(site.location, tolerance=1e-9)


def test_citizen_cannot_post_an_option_at_a_site(citizen):
    with pytest.raises(PermissionDenied):
        proposal_create(author=citizen, project=ProjectFactory(), title="X", site=SiteFactory())


def test_option_at_a_site_outside_the_perimeter_is_refused(planner_user):
    site = SiteFactory(location=OUTSIDE)
    with pytest.raises(ValidationError):
        proposal_create(author=planner_user, project=ProjectFactory(), title="X", site=site)


def test_comment_and_one_level_of_replies(citizen, other_citizen):
    proposal = ProposalFactory()
    first = comment_create(author=citizen, proposal=proposal, body=" Super! ")
    reply = comment_create(
        author=other_citizen, proposal=proposal, body="Finde ich auch.", parent=first
    )
    assert first.body == "Super!"
    assert reply.parent == first
    with pytest.raises(ValidationError) as exc:
        comment_create(author=citizen, proposal=proposal, body="Und?", parent=reply)
    assert "parent" in exc.value.message_dict
    assert Comment.objects.count() == 2


def test_reply_to_a_comment_on_another_proposal_is_refused(citizen):
    foreign = CommentFactory()
    with pytest.raises(ValidationError):
        comment_create(author=citizen, proposal=ProposalFactory(), body="Hm", parent=foreign)


def test_empty_comment_is_refused(citizen):
    with pytest.raises(ValidationError) as exc:
        comment_create(author=citizen, proposal=ProposalFactory(), body="  ")
    assert "body" in exc.value.message_dict


def test_comment_on_a_closed_project_is_refused(citizen):
    past = timezone.now() - timedelta(days=30)
    project = ProjectFactory(ideas_start=past, ideas_end=past + timedelta(days=5))
    with pytest.raises(PermissionDenied):
        comment_create(author=citizen, proposal=ProposalFactory(project=project), body="Hallo")


def test_comment_on_a_pending_proposal_is_refused(citizen):
    proposal = ProposalFactory(visibility=Proposal.Visibility.PENDING)
    with pytest.raises(PermissionDenied):
        comment_create(author=citizen, proposal=proposal, body="Hallo")


def test_support_vote_cast_and_withdraw(citizen):
    proposal = ProposalFactory(project=ProjectFactory(voting=True))
    vote = vote_cast(user=citizen, proposal=proposal)
    assert vote.project_id == proposal.project_id
    assert Vote.objects.filter(user=citizen, proposal=proposal).count() == 1
    vote_withdraw(user=citizen, proposal=proposal)
    assert not Vote.objects.exists()


def test_second_vote_on_the_same_proposal_is_refused(citizen):
    proposal = ProposalFactory(project=ProjectFactory(voting=True))
    vote_cast(user=citizen, proposal=proposal)
    with pytest.raises(ValidationError) as exc:
        vote_cast(user=citizen, proposal=proposal)
    assert "proposal" in exc.value.message_dict
    assert Vote.objects.count() == 1


def test_withdrawing_a_vote_never_cast_is_refused(citizen):
    proposal = ProposalFactory(project=ProjectFactory(voting=True))
    with pytest.raises(ValidationError):
        vote_withdraw(user=citizen, proposal=proposal)


@pytest.mark.parametrize("moment", ["before", "after"])
def test_vote_outside_the_voting_window_is_refused(citizen, moment):
    project = ProjectFactory(voting=True)
    proposal = ProposalFactory(project=project)
    when = project.voting_start - timedelta(seconds=1) if moment == "before" else project.voting_end
    with pytest.raises(PermissionDenied, match="Voting is not open"):
        vote_cast(user=citizen, proposal=proposal, now=when)
    assert not Vote.objects.exists()


def test_vote_at_the_first_second_of_the_window_counts(citizen):
    project = ProjectFactory(voting=True)
    proposal = ProposalFactory(project=project)
    assert vote_cast(user=citizen, proposal=proposal, now=project.voting_start)


def test_anonymous_cannot_vote():
    proposal = ProposalFactory(project=ProjectFactory(voting=True))
    with pytest.raises(PermissionDenied):
        vote_cast(user=AnonymousUser(), proposal=proposal)


def test_a_hidden_comment_takes_no_replies(citizen):
    hidden = CommentFactory(is_hidden=True)
    with pytest.raises(ValidationError) as info:
        comment_create(author=citizen, proposal=hidden.proposal, body="Ja", parent=hidden)
    assert info.value.error_dict["parent"][0].code == "hidden"
    assert not Comment.objects.filter(parent=hidden).exists()


def test_staff_comments_speak_for_the_office_on_the_page_and_in_the_api(
    client, citizen, planner_user
):
    proposal = ProposalFactory(project__office="Referat Stadtentwicklung")
    official = comment_create(author=planner_user, proposal=proposal, body="Wir prüfen das.")
    private = comment_create(author=citizen, proposal=proposal, body="Danke!")
    assert (official.is_official, private.is_official) == (True, False)

    page = client.get(proposal.get_absolute_url()).content.decode()
    item = page[page.index(f'id="kommentar-{official.pk}"') :][:600]
    assert "Referat Stadtentwicklung" in item and "badge--official" in item
    assert display_name(planner_user) not in page
    api = client.get(f"/api/v1/comments/?proposal={proposal.pk}").json()["results"]
    assert [(c["author"], c["is_official"]) for c in api] == [
        ("Referat Stadtentwicklung", True),
        (display_name(citizen), False),
    ]
    # The official response is signed by the office and marked, too.
    review.proposal_transition(
        actor=planner_user, proposal=proposal, to_status="under_review", response_text="Wir prüfen."
    )
    page = client.get(proposal.get_absolute_url()).content.decode()
    signature = page[page.index('class="official-response__signature"') :][:300]
    assert "Referat Stadtentwicklung" in signature and "badge--official" in signature
    # Without an office of its own, the project speaks as the city administration.
    proposal.project.office = ""
    with translation.override("en"):  # (the requests above switched the thread's language)
        assert proposal.project.office_name == "City administration"


def test_project_update_keeps_the_voting_rules_once_anyone_voted(planner_user, citizen):
    project = ProjectFactory(voting=True)
    updated = project_update(
        actor=planner_user,
        project=project,
        changes={"voting_mode": VotingMode.BUDGET, "votes_per_person": 3},
    )
    assert (updated.voting_mode, updated.votes_per_person) == (VotingMode.BUDGET, 3)
    entry = AuditEntry.objects.get(action="project.update")
    assert entry.before == {"voting_mode": "support", "votes_per_person": None}
    assert entry.after == {"voting_mode": "budget", "votes_per_person": 3}

    vote_cast(user=citizen, proposal=ProposalFactory(project=project))
    for changes in (
        {"voting_mode": VotingMode.SUPPORT},
        {"votes_per_person": 5},
        {"max_votes_per_option": 2},
    ):
        with pytest.raises(ValidationError) as info:
            project_update(actor=planner_user, project=project, changes=changes)
        assert set(info.value.message_dict) == set(changes)
    project.refresh_from_db()
    assert (project.voting_mode, project.votes_per_person, project.max_votes_per_option) == (
        VotingMode.BUDGET,
        3,
        1,
    )
    # Unchanged values and other settings stay editable; citizens edit nothing.
    project_update(
        actor=planner_user, project=project, changes={"voting_mode": "budget", "title": "Neu"}
    )
    with pytest.raises(PermissionDenied):
        project_update(actor=citizen, project=project, changes={"title": "Meins"})


def test_paper_votes_fix_the_voting_rules_too(planner_user):
    project = ProjectFactory(voting=True)
    option = ProposalFactory(project=project)
    tally_record(
        actor=planner_user,
        project=project,
        event_name="Fest",
        event_date=timezone.localdate(),
        ballots=2,
        counted_by="Team",
        counts={option.pk: 2},
    )
    with pytest.raises(ValidationError):
        project_update(
            actor=planner_user, project=project, changes={"voting_mode": VotingMode.SINGLE}
        )


def test_tally_dates_are_checked_in_the_citys_time_zone(planner_user):
    project = ProjectFactory(voting=True)
    option = ProposalFactory(project=project)

    def record(day, note=""):
        return tally_record(
            actor=planner_user,
            project=project,
            event_name=f"Fest {day}",
            event_date=day,
            ballots=1,
            counted_by="Team",
            counts={option.pk: 1},
            note=note,
        )

    first = timezone.localdate(project.voting_start)
    record(first)
    with pytest.raises(ValidationError) as info:
        record(first - timedelta(days=1))
    assert "outside the voting period" in info.value.message_dict["event_date"][0]
    record(first - timedelta(days=1), note="Vorab beim Stadtfest gesammelt.")
    with pytest.raises(ValidationError) as info:
        record(timezone.localdate() + timedelta(days=1), note="Irgendwann")
    assert "future" in info.value.message_dict["event_date"][0]

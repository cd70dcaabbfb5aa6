"""The participation forms without a browser: every permission and refusal, nothing half stored."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone, translation

from proposals.models import Comment, Project, Proposal, Report, Vote, VotingMode
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
)

pytestmark = pytest.mark.django_db


def new_url(project: Any) -> str:
    return reverse("proposals:proposal-new", kwargs={"slug": project.slug})


def url(name: str, proposal: Any) -> str:
    return reverse(f"proposals:{name}", kwargs={"slug": proposal.project.slug, "pk": proposal.pk})


def html(response: Any) -> str:
    return response.content.decode()


def is_login_redirect(response: Any) -> bool:
    login = resolve_url(settings.LOGIN_URL)
    return response.status_code == 302 and response["Location"].startswith(login)


def pin(**overrides: Any) -> dict[str, Any]:
    data = {"title": "Sitzbänke", "description": "Im Schatten.", "lon": INSIDE.x, "lat": INSIDE.y}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture(autouse=True)
def german_afterwards() -> Any:
    """A request under /en/ leaves English active in this thread; the next test starts German."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def project() -> Project:
    return ProjectFactory(slug="stadt-raum-wir")


@pytest.fixture
def voting() -> Project:
    return ProjectFactory(voting=True, slug="abstimmung")


# Placing a pin


def test_project_page_offers_the_pin_form_to_a_signed_in_citizen(
    client: Any, project: Any, citizen: Any
) -> None:
    SiteFactory(name="Stiftsplatz", slug="stiftsplatz")
    AreaFactory(name="Innenstadt", slug="innenstadt")
    client.force_login(citizen)

    page = html(client.get(project.get_absolute_url()))

    assert 'id="proposal-form"' in page
    assert f'action="{new_url(project)}"' in page
    # The gazetteer: the select is grouped by kind, with sites and districts.
    assert '<option value="site:stiftsplatz">Stiftsplatz</option>' in page
    assert '<option value="area:innenstadt">Innenstadt</option>' in page
    assert re.search(r'<optgroup label="Platz">', page)
    assert "MitmachkartePlace.attach" in page
    assert "js/mitmachkarte-place.js" in page


def test_anonymous_visitors_get_a_sign_in_link_instead_of_the_form(
    client: Any, project: Any
) -> None:
    page = html(client.get(project.get_absolute_url()))

    assert 'id="proposal-form"' not in page
    assert "?next=/projekte/stadt-raum-wir/" in page
    assert "MitmachkartePlace" not in page


def test_anonymous_post_is_sent_to_sign_in_and_stores_nothing(client: Any, project: Any) -> None:
    response = client.post(new_url(project), pin())

    assert is_login_redirect(response)
    assert Proposal.objects.count() == 0


def test_a_pin_by_coordinates_is_stored_and_the_author_sent_to_its_page(
    client: Any, project: Any, citizen: Any
) -> None:
    category = CategoryFactory(project=project, name="Kultur")
    client.force_login(citizen)

    response = client.post(new_url(project), pin(category=category.pk))

    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == proposal.get_absolute_url()
    assert (proposal.title, proposal.author, proposal.category) == ("Sitzbänke", citizen, category)
    assert proposal.location.equals_exact(INSIDE, 1e-9)
    page = html(client.get(response["Location"]))
    assert "Danke! Ihr Vorschlag ist auf der Karte." in page


def test_a_pin_at_a_site_or_district_from_the_list(client: Any, project: Any, citizen: Any) -> None:
    site = SiteFactory(slug="stiftsplatz", location=Point(7.7689, 49.4447, srid=4326))
    # A district half outside the project: its point lies in the part inside.
    AreaFactory(slug="west", geometry=MultiPolygon(Polygon.from_bbox((7.70, 49.43, 7.75, 49.45))))
    client.force_login(citizen)

    first = client.post(new_url(project), pin(lon=None, lat=None, place="site:stiftsplatz"))
    second = client.post(new_url(project), pin(lon=None, lat=None, place="area:west"))

    assert first.status_code == second.status_code == 302
    at_site, in_district = Proposal.objects.order_by("pk")
    assert at_site.location.equals_exact(site.location, 1e-9)
    assert project.perimeter.covers(in_district.location)
    assert in_district.location.x < 7.75


def test_a_place_outside_the_area_is_refused_with_the_reason_and_nothing_stored(
    client: Any, project: Any, citizen: Any
) -> None:
    client.force_login(citizen)

    response = client.post(new_url(project), pin(lon=OUTSIDE.x, lat=OUTSIDE.y))

    assert response.status_code == 400
    assert Proposal.objects.count() == 0
    page = html(response)
    assert "Der Ort liegt außerhalb des Projektgebiets" in page
    assert 'class="error-summary"' in page and "data-error-summary" in page
    # The message is tied to the place field, and the summary links to it.
    assert 'id="id_place_error"' in page
    assert re.search(
        r'<select name="place"[^>]*aria-describedby="id_place_helptext id_place_error"', page
    )
    assert 'href="#id_place"' in page
    # What was typed is kept.
    assert 'value="Sitzbänke"' in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (pin(lon=None, lat=None), "place", "Wählen Sie einen Ort"),
        (pin(lat=None), "lat", "Geben Sie Längen- und Breitengrad an"),
        (pin(place="site:stiftsplatz"), "place", "nicht beides"),
        (pin(title=""), "title", "Dieses Feld ist zwingend erforderlich."),
        (pin(title="x" * 121), "title", "höchstens 120 Zeichen"),
        (pin(lon="abc"), "lon", "Zahl"),
        (pin(lat="95"), "lat", "kleiner oder gleich 90"),
        (pin(place="site:nirgendwo", lon=None, lat=None), "place", "keine gültige Auswahl"),
    ],
)
def test_bad_input_gets_field_by_field_messages(
    client: Any, project: Any, citizen: Any, data: dict[str, Any], field: str, message: str
) -> None:
    SiteFactory(slug="stiftsplatz")
    client.force_login(citizen)

    response = client.post(new_url(project), data)

    assert response.status_code == 400
    assert Proposal.objects.count() == 0
    errors = re.search(
        rf'<ul class="field__errors" id="id_{field}_error">(.*?)</ul>', html(response)
    )
    assert errors and message in errors.group(1)
    assert 'aria-invalid="true"' in html(response)


def test_a_category_of_another_project_is_refused(client: Any, project: Any, citizen: Any) -> None:
    CategoryFactory(project=project)
    foreign = CategoryFactory()
    client.force_login(citizen)

    response = client.post(new_url(project), pin(category=foreign.pk))

    assert response.status_code == 400
    assert 'id="id_category_error"' in html(response)
    assert Proposal.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"voting": True}, "nur eingebracht werden, solange das Projekt Ideen sammelt"),
        ({"allow_citizen_pins": False}, "stellt nur die Stadt Optionen zur Wahl"),
    ],
)
def test_wrong_phase_or_no_citizen_pins_is_403_with_the_reason(
    client: Any, citizen: Any, kwargs: dict[str, Any], reason: str
) -> None:
    project = ProjectFactory(**kwargs)
    client.force_login(citizen)

    shown = client.get(project.get_absolute_url())
    response = client.post(new_url(project), pin())

    assert 'id="proposal-form"' not in html(shown)
    assert response.status_code == 403
    assert reason in html(response)
    assert Proposal.objects.count() == 0


def test_an_unpublished_project_is_not_found(client: Any, citizen: Any) -> None:
    project = ProjectFactory(is_published=False)
    client.force_login(citizen)

    assert client.post(new_url(project), pin()).status_code == 404
    assert Proposal.objects.count() == 0


def test_with_pre_moderation_the_author_sees_that_the_pin_awaits_approval(
    client: Any, citizen: Any, other_citizen: Any
) -> None:
    project = ProjectFactory(moderation=Project.Moderation.PRE)
    client.force_login(citizen)

    response = client.post(new_url(project), pin(), follow=True)

    proposal = Proposal.objects.get()
    assert proposal.visibility == Proposal.Visibility.PENDING
    page = html(response)
    assert "wartet auf Freigabe" in page
    assert "Wartet auf Freigabe." in page  # the notice on the proposal page
    client.force_login(other_citizen)
    assert client.get(proposal.get_absolute_url()).status_code == 404


# Editing and deleting one's own pin


def test_the_author_edits_an_untouched_pin(client: Any, project: Any, citizen: Any) -> None:
    proposal = ProposalFactory(project=project, author=citizen, title="Alt")
    client.force_login(citizen)

    page = html(client.get(proposal.get_absolute_url()))
    form = client.get(url("proposal-edit", proposal))
    response = client.post(url("proposal-edit", proposal), pin(title="Neu", lon=7.76, lat=49.44))

    assert url("proposal-edit", proposal) in page and url("proposal-delete", proposal) in page
    assert form.status_code == 200 and 'value="Alt"' in html(form)
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "Neu"
    assert proposal.location.equals_exact(Point(7.76, 49.44, srid=4326), 1e-9)


def test_an_edit_outside_the_area_is_refused_and_changes_nothing(
    client: Any, project: Any, citizen: Any
) -> None:
    proposal = ProposalFactory(project=project, author=citizen, title="Alt")
    client.force_login(citizen)

    response = client.post(
        url("proposal-edit", proposal), pin(title="Neu", lon=OUTSIDE.x, lat=OUTSIDE.y)
    )

    assert response.status_code == 400
    proposal.refresh_from_db()
    assert proposal.title == "Alt"


def test_the_author_deletes_an_untouched_pin_after_confirming(
    client: Any, project: Any, citizen: Any
) -> None:
    proposal = ProposalFactory(project=project, author=citizen)
    client.force_login(citizen)

    confirm = client.get(url("proposal-delete", proposal))
    assert confirm.status_code == 200 and Proposal.objects.filter(pk=proposal.pk).exists()
    response = client.post(url("proposal-delete", proposal))

    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    assert not Proposal.objects.filter(pk=proposal.pk).exists()


@pytest.mark.parametrize("action", ["proposal-edit", "proposal-delete"])
def test_nobody_else_may_edit_or_delete_a_pin(
    client: Any, project: Any, citizen: Any, other_citizen: Any, planner_user: Any, action: str
) -> None:
    proposal = ProposalFactory(project=project, author=citizen, title="Meins")

    for person in (other_citizen, planner_user):
        client.force_login(person)
        page = html(client.get(proposal.get_absolute_url()))
        assert url(action, proposal) not in page
        assert client.get(url(action, proposal)).status_code == 403
        response = client.post(url(action, proposal), pin(title="Fremd"))
        assert response.status_code == 403
        assert "Nur die Autorin oder der Autor" in html(response)
    client.logout()
    assert is_login_redirect(client.post(url(action, proposal), pin(title="Fremd")))
    proposal.refresh_from_db()
    assert proposal.title == "Meins"


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda p: VoteFactory(proposal=p), "hat Stimmen"),
        (lambda p: CommentFactory(proposal=p), "hat Kommentare"),
        (
            lambda p: Project.objects.filter(pk=p.project_id).update(
                ideas_end=timezone.now() - timedelta(minutes=1),
                ideas_start=timezone.now() - timedelta(days=2),
            ),
            "während das Projekt Ideen sammelt",
        ),
    ],
)
@pytest.mark.parametrize("action", ["proposal-edit", "proposal-delete"])
def test_a_pin_with_votes_or_comments_or_after_the_ideas_phase_stays(
    client: Any, project: Any, citizen: Any, setup: Any, reason: str, action: str
) -> None:
    proposal = ProposalFactory(project=project, author=citizen, title="Meins")
    setup(proposal)
    client.force_login(citizen)

    response = client.post(url(action, proposal), pin(title="Anders"))

    assert response.status_code == 403
    assert reason in html(response)
    assert Proposal.objects.filter(pk=proposal.pk, title="Meins").exists()
    assert url(action, proposal) not in html(client.get(proposal.get_absolute_url()))


def test_someone_elses_pending_pin_is_not_found(
    client: Any, project: Any, citizen: Any, other_citizen: Any
) -> None:
    proposal = ProposalFactory(
        project=project, author=citizen, visibility=Proposal.Visibility.PENDING
    )
    client.force_login(other_citizen)

    assert client.post(url("proposal-edit", proposal), pin()).status_code == 404
    assert client.post(url("proposal-delete", proposal)).status_code == 404
    assert Proposal.objects.filter(pk=proposal.pk).exists()


# Comments and replies


def test_a_comment_and_a_reply_are_published(client: Any, project: Any, citizen: Any) -> None:
    proposal = ProposalFactory(project=project)
    client.force_login(citizen)

    first = client.post(url("comment-new", proposal), {"body": "Gute Idee!"})
    top = Comment.objects.get()
    reply = client.post(url("comment-new", proposal), {"body": "Finde ich auch.", "parent": top.pk})

    assert first.status_code == 302 and first["Location"].endswith(f"#kommentar-{top.pk}")
    assert reply.status_code == 302
    assert Comment.objects.get(parent=top).body == "Finde ich auch."
    page = html(client.get(proposal.get_absolute_url()))
    assert "<summary>Antworten</summary>" in page
    assert f'name="parent" value="{top.pk}"' in page
    # One level of replies: a reply has no reply form of its own.
    assert page.count("<summary>Antworten</summary>") == 1


def test_comment_refusals(client: Any, project: Any, citizen: Any) -> None:
    proposal = ProposalFactory(project=project)
    top = CommentFactory(proposal=proposal)
    reply = CommentFactory(proposal=proposal, parent=top)
    elsewhere = CommentFactory()

    assert is_login_redirect(client.post(url("comment-new", proposal), {"body": "Hallo"}))
    client.force_login(citizen)
    empty = client.post(url("comment-new", proposal), {"body": "  "})
    nested = client.post(url("comment-new", proposal), {"body": "Tief", "parent": reply.pk})
    foreign = client.post(url("comment-new", proposal), {"body": "Fremd", "parent": elsewhere.pk})

    assert empty.status_code == nested.status_code == foreign.status_code == 400
    assert 'id="id_body_error"' in html(empty)
    assert "Antworten auf Antworten sind nicht möglich" in html(nested)
    assert "gibt es nicht (mehr)" in html(foreign)
    assert Comment.objects.count() == 3


def test_comments_are_closed_after_the_project(client: Any, citizen: Any) -> None:
    project = ProjectFactory(
        ideas_start=timezone.now() - timedelta(days=20),
        ideas_end=timezone.now() - timedelta(days=10),
    )
    proposal = ProposalFactory(project=project)
    client.force_login(citizen)

    page = html(client.get(proposal.get_absolute_url()))
    response = client.post(url("comment-new", proposal), {"body": "Zu spät"})

    assert 'id="kommentieren"' not in page
    assert response.status_code == 403
    assert "Kommentare sind nur möglich" in html(response)
    assert not Comment.objects.exists()


# Votes


def test_support_vote_and_withdrawal_with_count_when_results_are_live(
    client: Any, citizen: Any
) -> None:
    project = ProjectFactory(voting=True, results_visibility=Project.ResultsVisibility.LIVE)
    proposal = ProposalFactory(project=project)
    VoteFactory(proposal=proposal)
    client.force_login(citizen)

    before = html(client.get(proposal.get_absolute_url()))
    cast = client.post(url("vote-new", proposal))
    after = html(client.get(proposal.get_absolute_url()))
    withdrawn = client.post(url("vote-delete", proposal))

    assert "Vorschlag unterstützen" in before and "1 Stimme bisher" in before
    assert cast.status_code == 302 and cast["Location"].endswith("#abstimmen")
    assert "Sie unterstützen diesen Vorschlag." in after and "2 Stimmen bisher" in after
    assert "Unterstützung zurückziehen" in after
    assert withdrawn.status_code == 302
    assert not Vote.objects.filter(user=citizen).exists()


def test_without_public_results_only_ones_own_vote_is_shown(
    client: Any, voting: Any, citizen: Any
) -> None:
    proposal = ProposalFactory(project=voting)
    VoteFactory(proposal=proposal)
    VoteFactory(proposal=proposal, user=citizen)
    client.force_login(citizen)

    page = html(client.get(proposal.get_absolute_url()))

    assert "Sie unterstützen diesen Vorschlag." in page
    assert "Stimmen bisher" not in page and "Stimme bisher" not in page
    assert 'class="votes">2<' not in page


def test_vote_refusals_are_4xx_with_the_reason_and_store_nothing(
    client: Any, voting: Any, project: Any, citizen: Any, other_citizen: Any
) -> None:
    proposal = ProposalFactory(project=voting)
    idea = ProposalFactory(project=project)
    pending = ProposalFactory(
        project=voting, author=other_citizen, visibility=Proposal.Visibility.PENDING
    )

    assert is_login_redirect(client.post(url("vote-new", proposal)))
    client.force_login(citizen)
    wrong_phase = client.post(url("vote-new", idea))
    unseen = client.post(url("vote-new", pending))
    nothing_to_withdraw = client.post(url("vote-delete", proposal))
    client.post(url("vote-new", proposal))
    twice = client.post(url("vote-new", proposal))

    assert wrong_phase.status_code == 403
    assert "Die Abstimmung ist für dieses Projekt nicht geöffnet." in html(wrong_phase)
    assert unseen.status_code == 404
    assert nothing_to_withdraw.status_code == 400
    assert "Sie haben nicht für diesen Vorschlag gestimmt." in html(nothing_to_withdraw)
    assert twice.status_code == 400
    assert "Sie haben diesen Vorschlag bereits unterstützt." in html(twice)
    assert list(Vote.objects.values_list("user", "proposal", "weight")) == [
        (citizen.pk, proposal.pk, 1)
    ]


def test_single_choice_and_budget_buttons_say_what_they_do(client: Any, citizen: Any) -> None:
    single = ProjectFactory(voting=True, voting_mode=VotingMode.SINGLE)
    option = ProposalFactory(project=single)
    budget = ProjectFactory(
        voting=True, voting_mode=VotingMode.BUDGET, votes_per_person=3, max_votes_per_option=2
    )
    a, b = ProposalFactory(project=budget), ProposalFactory(project=budget)
    client.force_login(citizen)

    assert "Diese Option wählen" in html(client.get(option.get_absolute_url()))
    client.post(url("vote-new", option))
    assert "Das ist Ihre Wahl." in html(client.get(option.get_absolute_url()))

    assert "Stimme vergeben (3 von 3 übrig)" in html(client.get(a.get_absolute_url()))
    client.post(url("vote-new", a))
    page = html(client.get(a.get_absolute_url()))
    assert "Stimme vergeben (2 von 3 übrig)" in page
    assert "Sie haben diesem Vorschlag 1 Stimme gegeben." in page
    client.post(url("vote-new", a))
    assert "die meisten Stimmen, die eine Person" in html(client.get(a.get_absolute_url()))
    client.post(url("vote-new", b))
    assert "Sie haben alle Ihre Stimmen vergeben." in html(client.get(b.get_absolute_url()))
    over = client.post(url("vote-new", b))
    assert over.status_code == 400
    assert Vote.objects.get(proposal=b).weight == 1


def test_voting_straight_from_the_list_returns_to_the_row(
    client: Any, voting: Any, citizen: Any
) -> None:
    proposal = ProposalFactory(project=voting, title="Boule")
    client.force_login(citizen)

    page = html(client.get(voting.get_absolute_url()))
    action = url("vote-new", proposal)
    assert f'action="{action}"' in page
    back = f"{voting.get_absolute_url()}#vorschlag-{proposal.pk}"
    assert f'value="{back}"' in page

    response = client.post(action, {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert "Sie unterstützen diesen Vorschlag." in html(client.get(voting.get_absolute_url()))


def test_a_foreign_next_address_is_ignored(client: Any, voting: Any, citizen: Any) -> None:
    proposal = ProposalFactory(project=voting)
    client.force_login(citizen)

    response = client.post(url("vote-new", proposal), {"next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == proposal.get_absolute_url() + "#abstimmen"


def test_english_pages_say_the_same_in_english(client: Any, citizen: Any) -> None:
    budget = ProjectFactory(
        voting=True, voting_mode=VotingMode.BUDGET, votes_per_person=3, max_votes_per_option=1
    )
    proposal = ProposalFactory(project=budget)
    client.force_login(citizen)

    page = html(client.get("/en" + proposal.get_absolute_url()))

    assert "Give a vote (3 of 3 left)" in page
    assert '<html lang="en">' in page


# Reports and unconfirmed accounts


def test_the_proposal_page_reports_a_proposal_and_a_comment(
    client: Any, project: Any, citizen: Any
) -> None:
    proposal = ProposalFactory(project=project)
    comment = CommentFactory(proposal=proposal)
    on_proposal = reverse(
        "proposals:workspace:report", kwargs={"kind": "vorschlag", "pk": proposal.pk}
    )
    on_comment = reverse(
        "proposals:workspace:report", kwargs={"kind": "kommentar", "pk": comment.pk}
    )

    anonymous = html(client.get(proposal.get_absolute_url()))
    client.force_login(citizen)
    page = html(client.get(proposal.get_absolute_url()))
    first = client.post(on_proposal, {"reason": "Werbung"})
    second = client.post(on_comment, {"reason": "Beleidigend"})

    assert "melden</summary>" not in anonymous
    assert "<summary>Vorschlag melden</summary>" in page
    assert "<summary>Kommentar melden</summary>" in page
    assert f'action="{on_proposal}"' in page and f'action="{on_comment}"' in page
    assert first.status_code == second.status_code == 302
    reports = Report.objects.order_by("pk")
    assert [(r.proposal_id, r.comment_id, r.reason) for r in reports] == [
        (proposal.pk, None, "Werbung"),
        (None, comment.pk, "Beleidigend"),
    ]


def test_an_unconfirmed_account_is_refused_everywhere_with_the_reason(client: Any) -> None:
    unconfirmed = UserFactory(username="neu", email_verified=False)
    ideas = ProjectFactory()
    idea = ProposalFactory(project=ideas, author=unconfirmed)
    ballot = ProposalFactory(project=ProjectFactory(voting=True))
    client.force_login(unconfirmed)

    refused = [
        client.post(new_url(ideas), pin()),
        client.post(url("proposal-edit", idea), pin(title="Anders")),
        client.post(url("proposal-delete", idea)),
        client.post(url("comment-new", idea), {"body": "Hallo"}),
        client.post(url("vote-new", ballot)),
    ]

    assert [r.status_code for r in refused] == [403] * 5
    assert all("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in html(r) for r in refused)
    assert 'id="proposal-form"' not in html(client.get(ideas.get_absolute_url()))
    assert Proposal.objects.count() == 2 and Proposal.objects.filter(title=idea.title).exists()
    assert not Comment.objects.exists() and not Vote.objects.exists()
    assert not Report.objects.exists()

"""Citizen pages: what each person may see, filters and sorting, no third-party hosts, no N+1."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from proposals.models import Project, Proposal
from proposals.review import proposal_transition
from tests.factories import (
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    VoteFactory,
    planner,
)
from tests.html_hosts import referenced_hosts

pytestmark = pytest.mark.django_db

TILE_HOST = "tiles.example.test"
# A title may follow its category's colour swatch.
LIST_TITLE = re.compile(
    r'class="proposal-item__title">(?:<span class="swatch"[^>]*></span>)?'
    r'<a href="[^"]+">([^<]+)</a>'
)


@pytest.fixture(autouse=True)
def tiles(settings: Any) -> Any:
    settings.MAP_TILE_URL = f"https://{TILE_HOST}/{{z}}/{{x}}/{{y}}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Example tiles"
    return settings


def listed_titles(response: Any) -> list[str]:
    return LIST_TITLE.findall(response.content.decode())


def page_url(project: Any, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return project.get_absolute_url() + (f"?{query}" if query else "")


@pytest.fixture
def project() -> Any:
    return ProjectFactory(
        title="Stadt.Raum.Wir.", slug="stadt-raum-wir", body="Erster Absatz.\n\nZweiter."
    )


@pytest.fixture
def mixed(project: Any, citizen: Any) -> dict[str, Any]:
    """Proposals of every visibility, and one in another project."""
    return {
        "a": ProposalFactory(project=project, title="Sitzbänke"),
        "b": ProposalFactory(project=project, title="Boule-Bahn"),
        "pending": ProposalFactory(
            project=project, title="Wartet", author=citizen, visibility=Proposal.Visibility.PENDING
        ),
        "hidden": ProposalFactory(
            project=project, title="Versteckt", visibility=Proposal.Visibility.HIDDEN
        ),
        "elsewhere": ProposalFactory(title="Anderes Projekt"),
    }


def test_home_lists_published_running_projects_with_phase_and_what_to_do(client: Any) -> None:
    ProjectFactory(title="Sammelt Ideen")
    ProjectFactory(title="Stimmt ab", voting=True)
    ProjectFactory(title="Entwurf", is_published=False)
    ProjectFactory(
        title="Vorbei",
        ideas_start=timezone.now() - timedelta(days=30),
        ideas_end=timezone.now() - timedelta(days=20),
    )

    response = client.get(reverse("proposals:home"))

    assert response.status_code == 200
    running = [e["project"].title for e in response.context["running"]]
    assert sorted(running) == ["Sammelt Ideen", "Stimmt ab"]
    assert [e["project"].title for e in response.context["finished"]] == ["Vorbei"]
    html = response.content.decode()
    assert "Entwurf" not in html
    assert "Ideen sammeln" in html and "Abstimmung" in html  # the phases, in German
    assert 'href="/projekte/' in html


def test_project_page_shows_text_timeline_map_and_the_visible_list(
    client: Any, project: Any, mixed: dict[str, Proposal]
) -> None:
    response = client.get(project.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Stadt.Raum.Wir.</h1>" in html
    assert "<p>Erster Absatz.</p>" in html
    assert 'class="folium-map mmk-map mmk-map--project' in html
    assert 'role="region"' in html
    assert "/api/v1/proposals/?project=stadt-raum-wir" in html
    assert project.ideas_start.strftime("%Y-%m-%d") in html  # the timeline's <time datetime>
    assert sorted(listed_titles(response)) == ["Boule-Bahn", "Sitzbänke"]


def test_the_list_shows_exactly_what_each_person_may_see(
    client: Any, project: Any, mixed: dict[str, Proposal], citizen: Any, planner_user: Any
) -> None:
    client.force_login(citizen)
    assert sorted(listed_titles(client.get(project.get_absolute_url()))) == [
        "Boule-Bahn",
        "Sitzbänke",
        "Wartet",
    ]
    client.force_login(planner_user)
    assert sorted(listed_titles(client.get(project.get_absolute_url()))) == [
        "Boule-Bahn",
        "Sitzbänke",
        "Versteckt",
        "Wartet",
    ]


def test_body_and_titles_are_escaped(client: Any) -> None:
    project = ProjectFactory(title="<b>Fett</b>", body="<script>alert(1)</script>")
    ProposalFactory(project=project, title="<img src=x onerror=alert(1)>")

    html = client.get(project.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "<b>Fett</b>" not in html


def test_list_filters_by_category_and_status(client: Any, project: Any) -> None:
    culture = CategoryFactory(project=project, name="Kultur", slug="kultur")
    sport = CategoryFactory(project=project, name="Sport", slug="sport")
    ProposalFactory(project=project, title="Konzert", category=culture)
    ProposalFactory(
        project=project, title="Lesung", category=culture, status=Proposal.Status.ACCEPTED
    )
    ProposalFactory(project=project, title="Boule", category=sport)

    by_category = client.get(page_url(project, category="kultur"))
    by_both = client.get(page_url(project, category="kultur", status="accepted"))
    by_status = client.get(page_url(project, status="submitted"))

    assert sorted(listed_titles(by_category)) == ["Konzert", "Lesung"]
    assert listed_titles(by_both) == ["Lesung"]
    assert sorted(listed_titles(by_status)) == ["Boule", "Konzert"]
    # The map asks the API for the same selection (`&` JSON-escaped inside the script).
    pins_url = "/api/v1/proposals/?project=stadt-raum-wir&category=kultur&status=accepted"
    assert pins_url.replace("&", "\\u0026") in by_both.content.decode()


def live_results_project(**kwargs: Any) -> Any:
    return ProjectFactory(voting=True, results_visibility=Project.ResultsVisibility.LIVE, **kwargs)


def test_list_sorts_by_newest_or_most_votes(client: Any) -> None:
    project = live_results_project()
    old = ProposalFactory(project=project, title="Alt")
    new = ProposalFactory(project=project, title="Neu")
    Proposal.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    popular = ProposalFactory(project=project, title="Beliebt")
    Proposal.objects.filter(pk=popular.pk).update(created_at=timezone.now() - timedelta(days=5))
    for _ in range(3):
        VoteFactory(proposal=popular)
    VoteFactory(proposal=old)

    assert listed_titles(client.get(page_url(project, sort="newest"))) == ["Neu", "Alt", "Beliebt"]
    supported = client.get(page_url(project, sort="support"))
    assert listed_titles(supported) == ["Beliebt", "Alt", "Neu"]
    assert re.search(r'class="votes">3<', supported.content.decode())
    assert new.pk


def test_unknown_filter_values_are_a_clear_client_error(client: Any, project: Any) -> None:
    response = client.get(page_url(project, category="gibt-es-nicht", sort="random"))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"category", "sort"}
    assert '<ul class="field__errors" id="filter_category_error">' in response.content.decode()


def test_draft_projects_are_not_found_except_by_planners(
    client: Any, citizen: Any, planner_user: Any
) -> None:
    draft = ProjectFactory(is_published=False)
    proposal = ProposalFactory(project=draft)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(proposal.get_absolute_url()).status_code == 404
    client.force_login(citizen)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(planner_user)
    assert client.get(draft.get_absolute_url()).status_code == 200
    assert client.get(proposal.get_absolute_url()).status_code == 200


def test_unknown_project_or_proposal_of_another_project_is_not_found(
    client: Any, project: Any, mixed: dict[str, Proposal]
) -> None:
    assert client.get("/projekte/gibt-es-nicht/").status_code == 404
    wrong = reverse(
        "proposals:proposal-detail", kwargs={"slug": project.slug, "pk": mixed["elsewhere"].pk}
    )
    assert client.get(wrong).status_code == 404


def test_pending_and_hidden_proposals_are_not_shown_to_others(
    client: Any, mixed: dict[str, Proposal], citizen: Any, other_citizen: Any
) -> None:
    pending, hidden = mixed["pending"], mixed["hidden"]

    assert client.get(pending.get_absolute_url()).status_code == 404
    assert client.get(hidden.get_absolute_url()).status_code == 404
    client.force_login(other_citizen)
    assert client.get(pending.get_absolute_url()).status_code == 404
    client.force_login(citizen)  # the author sees their own proposal awaiting moderation
    response = client.get(pending.get_absolute_url())
    assert response.status_code == 200
    assert "(Wartet auf Freigabe)" in response.content.decode()


def test_proposal_page_shows_details_votes_and_visible_comments_with_replies(client: Any) -> None:
    project = live_results_project()
    category = CategoryFactory(project=project, name="Kultur")
    proposal = ProposalFactory(
        project=project,
        title="Open-Air-Kino",
        description="Filme im Sommer.\nMit Decken.",
        category=category,
        status=Proposal.Status.UNDER_REVIEW,
    )
    VoteFactory(proposal=proposal)
    VoteFactory(proposal=proposal)
    first = CommentFactory(proposal=proposal, body="Tolle Idee")
    CommentFactory(proposal=proposal, parent=first, body="Finde ich auch")
    CommentFactory(proposal=proposal, body="Beleidigung", is_hidden=True)
    hidden_parent = CommentFactory(proposal=proposal, body="Beschimpfung", is_hidden=True)
    CommentFactory(proposal=proposal, parent=hidden_parent, body="Antwort auf Gelöschtes")

    response = client.get(proposal.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Open-Air-Kino</h1>" in html
    assert "<p>Filme im Sommer.<br>Mit Decken.</p>" in html
    assert "Kultur" in html
    assert "In Prüfung" in html
    assert re.search(r'class="votes">2<', html)
    assert 'class="folium-map mmk-map mmk-map--small' in html
    assert "Tolle Idee" in html
    assert re.search(r'comment-list--replies[^>]*>\s*<li class="comment"[^>]*>', html)
    assert "Finde ich auch" in html
    for hidden in ("Beleidigung", "Beschimpfung"):
        assert hidden not in html
    # Moderation hid one comment, not the reply someone else wrote to it: a note stands in.
    assert "Antwort auf Gelöschtes" in html
    assert "Dieser Kommentar wurde von der Moderation ausgeblendet." in html


def test_vote_counts_stay_hidden_until_the_results_are_public(
    client: Any, project: Any, planner_user: Any
) -> None:
    voting_closed_results = ProjectFactory(voting=True)  # results after the vote closes
    for p in (project, voting_closed_results):
        proposal = ProposalFactory(project=p)
        VoteFactory(proposal=proposal)

        listing = client.get(p.get_absolute_url())
        detail = client.get(proposal.get_absolute_url())

        assert 'class="votes"' not in listing.content.decode()
        assert "sobald die Ergebnisse veröffentlicht sind" in listing.content.decode()
        assert "support" not in dict(listing.context["form"].fields["sort"].choices)
        # Sorting by votes would reveal the standings.
        assert client.get(page_url(p, sort="support")).status_code == 400
        assert re.search(r'class="votes">werden gezeigt', detail.content.decode())
    client.force_login(planner_user)  # planners see the standings at any time
    assert 'class="votes">1<' in client.get(project.get_absolute_url()).content.decode()


def test_pages_name_no_third_party_host_but_the_tile_server(
    client: Any, project: Any, mixed: dict[str, Proposal]
) -> None:
    SiteFactory(name="Stiftsplatz")
    urls = [reverse("proposals:home"), project.get_absolute_url(), mixed["a"].get_absolute_url()]
    for url in urls:
        html = client.get(url).content.decode()
        assert referenced_hosts(html) <= {TILE_HOST}, url
    assert TILE_HOST in referenced_hosts(client.get(project.get_absolute_url()).content.decode())


def test_german_by_default_english_under_en(client: Any, project: Any) -> None:
    german = client.get(project.get_absolute_url())
    english = client.get(f"/en{project.get_absolute_url()}")

    assert '<html lang="de">' in german.content.decode()
    assert "Vorschläge" in german.content.decode()
    assert "Zum Inhalt springen" in german.content.decode()
    assert english.status_code == 200
    html = english.content.decode()
    assert '<html lang="en">' in html
    assert "Proposals" in html
    assert "Skip to main content" in html
    assert "Vorschläge" not in html


def test_the_language_switch_goes_to_the_same_page_in_the_other_language(
    client: Any, project: Any
) -> None:
    response = client.post(
        reverse("set_language"), {"language": "en", "next": project.get_absolute_url()}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/en{project.get_absolute_url()}"


def _project_with(n: int) -> Any:
    project = ProjectFactory()
    category = CategoryFactory(project=project)
    for i in range(n):
        proposal = ProposalFactory(project=project, category=category if i % 2 else None)
        VoteFactory(proposal=proposal)
        CommentFactory(proposal=proposal)
    SiteFactory()
    return project


@pytest.mark.parametrize("n", [2, 20])
def test_project_page_queries_do_not_grow_with_proposals(
    client: Any, django_assert_num_queries: Any, n: int
) -> None:
    project = _project_with(n)

    # the project's phase fields and data version (what a kept page is looked up by; this is
    # the first visit), the project, categories, list count, list page, sites
    with django_assert_num_queries(6):
        response = client.get(project.get_absolute_url())
    assert len(listed_titles(response)) == n


@pytest.mark.parametrize("n", [2, 20])
def test_project_page_queries_for_a_signed_in_citizen(
    client: Any, citizen: Any, django_assert_num_queries: Any, n: int
) -> None:
    project = _project_with(n)
    client.force_login(citizen)

    # session, user, groups (rules), then the five of an anonymous visit; and the pin form's:
    # confirmed e-mail (rules), the gazetteer's sites and districts, categories (twice); whether
    # the citizen follows the project (alerts)
    with django_assert_num_queries(14):
        client.get(project.get_absolute_url())


@pytest.mark.parametrize("n", [2, 20])
def test_home_queries_do_not_grow_with_projects(
    client: Any, django_assert_num_queries: Any, n: int
) -> None:
    for _ in range(n):
        _project_with(1)

    # The projects, and the open surveys (templates/proposals/home.html lists them).
    with django_assert_num_queries(2):
        response = client.get(reverse("proposals:home"))
    assert len(response.context["running"]) == n


@pytest.mark.parametrize("n", [2, 20])
def test_proposal_page_queries_do_not_grow_with_comments(
    client: Any, django_assert_num_queries: Any, n: int
) -> None:
    proposal = ProposalFactory()
    for _ in range(n):
        parent = CommentFactory(proposal=proposal)
        CommentFactory(proposal=proposal, parent=parent)

    # the proposal with its project, category, site, author and counts; the comments; the
    # city's official responses; its photos
    with django_assert_num_queries(4):
        client.get(proposal.get_absolute_url())


FOREIGN_TARGETS = [
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example/",  # browsers read a backslash as a slash: //evil.example
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", FOREIGN_TARGETS)
def test_a_vote_form_sends_people_back_only_to_this_site(
    client: Any, citizen: Any, target: str
) -> None:
    proposal = ProposalFactory(project=ProjectFactory(voting=True))
    client.force_login(citizen)

    response = client.post(
        reverse("proposals:vote-new", kwargs={"slug": proposal.project.slug, "pk": proposal.pk}),
        {"next": target},
    )

    assert response.status_code == 302
    assert response["Location"] == proposal.get_absolute_url() + "#abstimmen"


@pytest.mark.parametrize("target", FOREIGN_TARGETS)
def test_a_moderation_form_sends_planners_back_only_to_this_site(
    client: Any, planner_user: Any, target: str
) -> None:
    comment = CommentFactory()
    client.force_login(planner_user)

    response = client.post(
        reverse("proposals:workspace:comment-moderate", args=[comment.pk]),
        {"action": "hide", "reason": "Beleidigend", "next": target},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("proposals:workspace:review", args=[comment.proposal_id])


def test_a_same_site_next_is_followed(client: Any, planner_user: Any) -> None:
    comment = CommentFactory()
    client.force_login(planner_user)

    response = client.post(
        reverse("proposals:workspace:comment-moderate", args=[comment.pk]),
        {"action": "hide", "reason": "Beleidigend", "next": "/planung/moderation/?seite=2"},
    )

    assert response["Location"] == "/planung/moderation/?seite=2"


def test_pages_and_workspace_refuse_with_the_rule_s_reason(client: Any, citizen: Any) -> None:
    project = ProjectFactory(allow_citizen_pins=False)
    client.force_login(citizen)

    page = client.get(reverse("proposals:proposal-new", kwargs={"slug": project.slug}))
    workspace = client.get(reverse("proposals:workspace:home"))

    for response in (page, workspace):
        assert response.status_code == 403
        assert 'class="notice notice--refusal" role="alert"' in response.content.decode()


def described_by_ids_missing(html: str) -> set[str]:
    """Ids named by an aria-describedby that no element of the page carries."""
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    named = {
        token
        for value in re.findall(r'aria-describedby="([^"]*)"', html)
        for token in value.split()
    }
    return named - ids


def test_every_form_field_describes_itself_by_ids_that_exist(
    client: Any, citizen: Any, planner_user: Any, project: Any
) -> None:
    """Help and errors on the citizens' pages, the workspace and the accounts, shown with errors."""
    proposal = ProposalFactory(project=project)
    pages = {
        "list filters": client.get(page_url(project, category="gibt-es-nicht")),
        "sign-up": client.post(
            "/konto/signup/", {"email": "kaputt", "username": "", "password1": "x"}
        ),
    }
    client.force_login(citizen)
    pages["pin form"] = client.post(
        reverse("proposals:proposal-new", kwargs={"slug": project.slug}), {"title": ""}
    )
    client.force_login(planner_user)
    pages["workspace filters"] = client.get(reverse("proposals:workspace:home"), {"date_from": "x"})
    pages["review"] = client.post(
        reverse("proposals:workspace:transition", args=[proposal.pk]),
        {"to_status": "implemented", "response_text": ""},
    )

    for name, response in pages.items():
        assert response.status_code in (200, 400), name
        html = response.content.decode()
        assert "aria-describedby" in html, name
        assert described_by_ids_missing(html) == set(), name


def test_my_participation_lists_own_proposals_comments_votes_and_responses(
    client: Any, django_assert_num_queries: Any
) -> None:
    me = UserFactory(username="ich")
    voting = ProjectFactory(voting=True, title="Lokale Logistik")
    mine = ProposalFactory(author=me, title="Mein Bänkchen")
    proposal_transition(
        actor=planner(),
        proposal=mine,
        to_status=Proposal.Status.UNDER_REVIEW,
        response_text="Wir prüfen den Standort.",
        office="Referat Stadtentwicklung",
    )
    ProposalFactory(title="Fremde Idee")
    CommentFactory(author=me, proposal=ProposalFactory(title="Kommentierte Idee"), body="Gern!")
    CommentFactory(body="Nicht von mir")
    VoteFactory(user=me, proposal=ProposalFactory(project=voting, title="Ausprobierbox"))
    client.force_login(me)

    # session, user; proposals, their responses and photos, comments, votes; the menu's groups
    # (roles)
    with django_assert_num_queries(8):
        response = client.get(reverse("proposals:my-participation"))
    page = response.content.decode()
    assert response.status_code == 200
    for shown in [
        "Mein Bänkchen",
        "In Prüfung",
        "Wir prüfen den Standort.",
        "Referat Stadtentwicklung",
        "Kommentierte Idee",
        "Gern!",
        "Ausprobierbox",
    ]:
        assert shown in page, shown
    assert "Fremde Idee" not in page and "Nicht von mir" not in page
    # The navigation's "My account" leads here.
    assert f'href="{reverse("proposals:my-participation")}">Mein Konto' in page


def test_my_participation_asks_to_sign_in(client: Any) -> None:
    response = client.get(reverse("proposals:my-participation"))
    assert response.status_code == 302
    assert "/konto/login/" in response["Location"]


@pytest.mark.parametrize(
    ("referer", "expected"),
    [
        ("http://testserver{page}?seite=2", "{page}?seite=2"),
        ("http://testserver/en{page}", "{page}"),  # the switch's addresses are the default's
        ("https://evil.example{page}", "/"),
        (None, "/"),
    ],
)
def test_the_language_switch_on_a_refused_form_goes_back_where_the_form_was(
    client: Any, citizen: Any, referer: str | None, expected: str
) -> None:
    """The refusal is rendered at the form's POST-only address: switching the language there
    must not lead to a GET of it (a 405), but to the page the form was sent from."""
    proposal = ProposalFactory(project=ProjectFactory())  # voting is not open: refused
    with translation.override(settings.LANGUAGE_CODE):  # the addresses in the default language
        page = proposal.project.get_absolute_url()
        vote = reverse(
            "proposals:vote-new", kwargs={"slug": proposal.project.slug, "pk": proposal.pk}
        )
    client.force_login(citizen)
    headers = {} if referer is None else {"HTTP_REFERER": referer.format(page=page)}

    response = client.post(vote, **headers)

    assert response.status_code == 403
    switch = re.search(
        r'<form class="language-switch"[^>]*>.*?name="next" value="([^"]*)"',
        response.content.decode(),
        re.S,
    )
    assert switch is not None
    assert html.unescape(switch.group(1)) == expected.format(page=page)
    with translation.override(settings.LANGUAGE_CODE):  # requests switch the thread's language
        back = client.post(reverse("set_language"), {"language": "en", "next": switch.group(1)})
        assert client.get(back["Location"]).status_code == 200

"""The project page kept for visitors who are not signed in (infra/pagecache.py): never stale
after a write, never another response's token or nonce, never another person's page."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from config.security import SecurityHeadersMiddleware
from infra import pagecache
from locations.services import site_save
from proposals.models import (
    Category,
    Comment,
    Project,
    ProjectDataVersion,
    Proposal,
    ProposalPhoto,
    VotingMode,
)
from proposals.review import comment_moderate, proposal_moderate, proposal_transition
from proposals.selectors import projects_showing_votes_sql
from proposals.services import (
    comment_create,
    project_update,
    proposal_create,
    proposal_delete,
    proposal_update,
    tally_record,
    vote_cast,
    vote_withdraw,
)
from tests.factories import (
    INSIDE,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    planner,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_kept_pages() -> None:
    pagecache.forget_all()


def kept(response: Any) -> bool:
    """Served from the kept page: no template was rendered for it."""
    assert response.status_code == 200
    return not response.templates


def fill(client: Client, project: Project) -> None:
    """Visit twice: the second visit is served from the kept page."""
    assert not kept(client.get(project.get_absolute_url()))
    assert kept(client.get(project.get_absolute_url()))


def visit(client: Client, project: Project) -> str:
    return str(client.get(project.get_absolute_url()).content.decode())


def test_a_visitor_s_page_is_kept_and_then_costs_one_query(
    client: Client, django_assert_num_queries: Any
) -> None:
    project = ProjectFactory()
    ProposalFactory(project=project, title="Bänke am Stiftsplatz")
    first = client.get(project.get_absolute_url())
    # The project with its data version: nothing else is read for the kept page.
    with django_assert_num_queries(1):
        second = client.get(project.get_absolute_url())
    assert first.templates  # rendered
    assert second.templates == []  # kept
    assert "Bänke am Stiftsplatz" in second.content.decode()


def _same_but_token_and_nonce(a: str, b: str) -> str:
    return re.sub(r'(nonce|value)="[^"]*"', r'\1=""', a) == re.sub(
        r'(nonce|value)="[^"]*"', r'\1=""', b
    )


def test_each_response_has_its_own_token_and_nonce() -> None:
    project = ProjectFactory()
    ProposalFactory(project=project)
    responses = []
    for _ in range(3):  # a new visitor each time: the first renders, the others get it kept
        response = Client().get(project.get_absolute_url())
        responses.append(response)
    pages = [r.content.decode() for r in responses]
    nonces, tokens = [], []
    for response, page in zip(responses, pages, strict=True):
        assert pagecache.CSRF_SLOT not in page and pagecache.NONCE_SLOT not in page
        policy = response["Content-Security-Policy"]
        page_nonces = set(re.findall(r'<script nonce="([^"]+)"', page))
        assert len(page_nonces) == 1  # the map's script(s), all with this response's nonce
        (nonce,) = page_nonces
        assert f"'nonce-{nonce}'" in policy
        nonces.append(nonce)
        page_tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
        assert len(page_tokens) == 1
        tokens.extend(page_tokens)
    assert len(set(nonces)) == 3 and len(set(tokens)) == 3
    assert _same_but_token_and_nonce(pages[0], pages[1])
    assert responses[0].templates and not responses[1].templates


def test_a_kept_page_s_token_is_its_visitor_s_own() -> None:
    """The language switch posts the page's token: it works with the visitor's own cookie and
    not with another visitor's (the token is not shared between them)."""
    project = ProjectFactory()
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    pages = {}
    for name, client in (("alice", alice), ("bob", bob)):
        response = client.get(project.get_absolute_url())
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
        assert token is not None
        pages[name] = token.group(1)
    assert not bob.get(project.get_absolute_url()).templates  # bob's came from the cache
    switch = reverse("set_language")
    assert (
        alice.post(switch, {"language": "de", "csrfmiddlewaretoken": pages["bob"]}).status_code
        == 403
    )
    assert (
        bob.post(switch, {"language": "de", "csrfmiddlewaretoken": pages["bob"]}).status_code == 302
    )
    assert (
        alice.post(switch, {"language": "de", "csrfmiddlewaretoken": pages["alice"]}).status_code
        == 302
    )


def test_kept_and_rendered_responses_carry_the_same_headers(client: Client) -> None:
    project = ProjectFactory()
    rendered = client.get(project.get_absolute_url())
    served = Client().get(project.get_absolute_url())
    assert rendered.templates and served.templates == []
    assert set(rendered.headers) == set(served.headers)
    for header in ("Content-Type", "Content-Language", "Vary", "X-Frame-Options"):
        assert rendered[header] == served[header], header
    assert "csrftoken" in served.cookies  # the token in the page is this visitor's cookie's


def test_each_language_has_its_own_page(client: Client) -> None:
    project = ProjectFactory()
    english_url = project.get_absolute_url()
    with translation.override("de"):
        german_url = project.get_absolute_url()
    for _ in range(2):
        english, german = client.get(english_url), client.get(german_url)
        assert '<html lang="en">' in english.content.decode()
        assert "About the project" in english.content.decode()
        assert '<html lang="de">' in german.content.decode()
        assert "Über das Projekt" in german.content.decode()
        assert english["Content-Language"] == "en" and german["Content-Language"] == "de"
    assert english.templates == [] and german.templates == []


def test_a_signed_in_person_gets_their_own_page_and_visitors_never_see_it(
    client: Client, citizen: Any
) -> None:
    project = ProjectFactory(voting=True)
    option = ProposalFactory(project=project, title="Ausprobierbox am Markt")
    fill(client, project)

    me = Client()
    me.force_login(citizen)
    mine = me.get(project.get_absolute_url())
    assert mine.templates  # rendered for them
    page = mine.content.decode()
    assert (
        "Sign out" in page
        and f'action="{reverse("proposals:vote-new", args=[project.slug, option.pk])}"' in page
    )

    vote_cast(user=citizen, proposal=option)
    page = me.get(project.get_absolute_url()).content.decode()
    assert "Withdraw my support" in page

    visitor = client.get(project.get_absolute_url()).content.decode()
    assert "Sign out" not in visitor and "Withdraw my support" not in visitor
    assert "Sign in to vote." in visitor


def test_an_author_sees_their_pending_proposal_and_visitors_do_not(client: Client) -> None:
    project = ProjectFactory(moderation=Project.Moderation.PRE)
    author = UserFactory()
    fill(client, project)
    proposal_create(
        author=author, project=project, title="Mein wartender Vorschlag", location=INSIDE
    )
    me = Client()
    me.force_login(author)
    assert "Mein wartender Vorschlag" in visit(me, project)
    assert "Mein wartender Vorschlag" not in visit(client, project)
    assert "Mein wartender Vorschlag" not in visit(Client(), project)


def test_a_message_waiting_for_a_visitor_is_shown_to_them(client: Client, citizen: Any) -> None:
    project = ProjectFactory()
    fill(Client(), project)
    client.force_login(citizen)
    client.post(reverse("account_logout"))  # leaves "You have signed out." for the next page
    page = client.get(project.get_absolute_url())
    assert page.templates and "You have signed out." in page.content.decode()
    assert "You have signed out." not in visit(client, project)  # shown once


def test_filters_and_pages_of_the_list_are_rendered_for_their_query(client: Client) -> None:
    project = ProjectFactory()
    accepted = ProposalFactory(project=project, title="Angenommen", status=Proposal.Status.ACCEPTED)
    ProposalFactory(project=project, title="Eingereicht")
    fill(client, project)
    filtered = client.get(project.get_absolute_url(), {"status": accepted.status})
    assert filtered.templates
    page = filtered.content.decode()
    assert "Angenommen" in page and "Eingereicht" not in page


def test_a_phase_that_begins_with_the_clock_shows_at_once(client: Client, monkeypatch: Any) -> None:
    project = ProjectFactory()  # collecting ideas for ten more days
    fill(client, project)
    later = timezone.now() + timedelta(days=11)
    monkeypatch.setattr(timezone, "now", lambda: later)
    page = visit(client, project)
    assert "Participation has ended; see what came of it." in page


def test_another_project_s_write_keeps_this_page(client: Client) -> None:
    project, other = ProjectFactory(), ProjectFactory()
    fill(client, project)
    ProposalFactory(project=other)
    assert kept(client.get(project.get_absolute_url()))


# Every write that changes what the page shows, each through the path that makes it.
# (name, set-up returning the project and a state, the write, what the page shows afterwards)
Write = Callable[[dict[str, Any]], None]


def _voting(**kwargs: Any) -> dict[str, Any]:
    project = ProjectFactory(
        voting=True, results_visibility=Project.ResultsVisibility.LIVE, **kwargs
    )
    option = ProposalFactory(project=project, title="Pfaff-Areal")
    return {"project": project, "option": option, "voter": UserFactory(), "planner": planner()}


def _ideas(**kwargs: Any) -> dict[str, Any]:
    project = ProjectFactory(**kwargs)
    proposal = ProposalFactory(project=project, title="Trinkbrunnen")
    return {"project": project, "proposal": proposal, "planner": planner()}


def _votes_of(page: str) -> list[str]:
    return re.findall(r'<dd class="votes">(\d+)</dd>', page)


def _statuses_of(page: str) -> list[str]:
    return re.findall(r"<dt>Status</dt><dd>([^<]+)</dd>", page)


def _comments_of(page: str) -> list[str]:
    return re.findall(r'<dd class="comments">(\d+)</dd>', page)


def _with_vote(s: dict[str, Any]) -> None:
    vote_cast(user=s["voter"], proposal=s["option"])


def _with_comment(s: dict[str, Any]) -> None:
    s["comment"] = CommentFactory(proposal=s["proposal"])


WRITES: list[tuple[str, Callable[[], dict[str, Any]], Write, Callable[[str], bool]]] = [
    (
        "a citizen's new pin",
        _ideas,
        lambda s: proposal_create(
            author=UserFactory(), project=s["project"], title="Neue Idee", location=INSIDE
        ),
        lambda page: "Neue Idee" in page,
    ),
    (
        "a pre-moderated pin approved",
        lambda: {
            **_ideas(moderation=Project.Moderation.PRE),
            "pending": None,
        },
        lambda s: proposal_moderate(
            actor=s["planner"],
            proposal=ProposalFactory(
                project=s["project"], title="Geprüft", visibility=Proposal.Visibility.PENDING
            ),
            action="approve",
        ),
        lambda page: "Geprüft" in page,
    ),
    (
        "a proposal hidden by moderation",
        _ideas,
        lambda s: proposal_moderate(
            actor=s["planner"], proposal=s["proposal"], action="hide", reason="Doppelt"
        ),
        lambda page: "Trinkbrunnen" not in page,
    ),
    (
        "a review with an official response",
        _ideas,
        lambda s: proposal_transition(
            actor=s["planner"],
            proposal=s["proposal"],
            to_status=Proposal.Status.UNDER_REVIEW,
            response_text="Wir prüfen.",
            office="Referat Stadtentwicklung",
        ),
        lambda page: _statuses_of(page) == ["Under review"],
    ),
    (
        "the author's edit",
        _ideas,
        lambda s: proposal_update(
            user=s["proposal"].author,
            proposal=s["proposal"],
            title="Trinkbrunnen am Markt",
            location=INSIDE,
        ),
        lambda page: "Trinkbrunnen am Markt" in page,
    ),
    (
        "the author's deletion",
        _ideas,
        lambda s: proposal_delete(user=s["proposal"].author, proposal=s["proposal"]),
        lambda page: "Trinkbrunnen" not in page,
    ),
    (
        "a comment",
        _ideas,
        lambda s: comment_create(author=UserFactory(), proposal=s["proposal"], body="Ja!"),
        lambda page: _comments_of(page) == ["1"],
    ),
    (
        "a comment hidden by moderation",
        lambda: (lambda s: (_with_comment(s), s)[1])(_ideas()),
        lambda s: comment_moderate(
            actor=s["planner"], comment=s["comment"], action="hide", reason="Beleidigend"
        ),
        lambda page: _comments_of(page) == ["0"],
    ),
    (
        "a vote (live results)",
        _voting,
        _with_vote,
        lambda page: _votes_of(page) == ["1"] and "1 votes in all" in page,
    ),
    (
        "a vote withdrawn",
        lambda: (lambda s: (_with_vote(s), s)[1])(_voting()),
        lambda s: vote_withdraw(user=s["voter"], proposal=s["option"]),
        lambda page: _votes_of(page) == ["0"],
    ),
    (
        "paper ballots recorded",
        _voting,
        lambda s: tally_record(
            actor=s["planner"],
            project=s["project"],
            event_name="Altstadtfest",
            event_date=timezone.localdate(),
            ballots=4,
            counted_by="Team",
            counts={s["option"].pk: 4},
        ),
        lambda page: "Altstadtfest" in page and "4 votes in all" in page,
    ),
    (
        "the project's settings",
        _ideas,
        lambda s: project_update(
            actor=s["planner"], project=s["project"], changes={"summary": "Neu beschrieben."}
        ),
        lambda page: "Neu beschrieben." in page,
    ),
    (
        "a new category (the admin)",
        _ideas,
        lambda s: Category.objects.create(project=s["project"], name="Grünflächen", slug="gruen"),
        lambda page: "Grünflächen" in page,
    ),
    (
        "a city site in the area (the import)",
        _ideas,
        lambda s: site_save(name="Schillerplatz", location=INSIDE),
        lambda page: "Site of the city" in page,
    ),
    (
        "a bulk update (a queryset, as admin actions do)",
        _ideas,
        lambda s: Proposal.objects.filter(pk=s["proposal"].pk).update(title="Umbenannt"),
        lambda page: "Umbenannt" in page,
    ),
    (
        "raw SQL",
        _ideas,
        lambda s: connection.cursor().execute(
            "UPDATE proposals_proposal SET status = 'accepted' WHERE id = %s", [s["proposal"].pk]
        ),
        lambda page: _statuses_of(page) == ["Accepted"],
    ),
]


@pytest.mark.parametrize(
    ("setup", "write", "shows"), [w[1:] for w in WRITES], ids=[w[0] for w in WRITES]
)
def test_a_write_shows_on_the_next_visit(
    client: Client, setup: Callable[[], dict[str, Any]], write: Write, shows: Callable[[str], bool]
) -> None:
    state = setup()
    project = state["project"]
    fill(client, project)
    assert not shows(visit(client, project))
    write(state)
    after = client.get(project.get_absolute_url())
    assert after.templates  # rendered anew, not the kept page
    assert shows(after.content.decode())


def test_a_site_leaving_the_area_shows_on_the_next_visit(client: Client) -> None:
    project = ProjectFactory()
    site = SiteFactory()
    fill(client, project)
    assert "Site of the city" in visit(client, project)
    site.delete()
    assert "Site of the city" not in visit(client, project)


def _version(project: Project) -> int:
    return ProjectDataVersion.objects.get(project_id=project.pk).version


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE proposals_project SET body = body WHERE id = %(project)s",
        "UPDATE proposals_category SET name = name WHERE project_id = %(project)s",
        "DELETE FROM proposals_category WHERE project_id = %(project)s",
        "UPDATE proposals_proposal SET title = title WHERE project_id = %(project)s",
        "UPDATE proposals_comment SET body = body WHERE proposal_id = %(proposal)s",
        "DELETE FROM proposals_comment WHERE proposal_id = %(proposal)s",
        "UPDATE proposals_vote SET weight = weight WHERE project_id = %(project)s",
        "DELETE FROM proposals_vote WHERE project_id = %(project)s",
        "UPDATE proposals_papertallycount SET votes = votes WHERE proposal_id = %(proposal)s",
        "UPDATE proposals_papertally SET place = place WHERE project_id = %(project)s",
        "UPDATE locations_site SET name = name",
        "UPDATE proposals_proposalphoto SET alt_text = alt_text WHERE proposal_id = %(proposal)s",
    ],
)
def test_every_table_the_page_reads_changes_the_data_version(sql: str) -> None:
    # Results public while voting: the page shows vote totals, so votes change it too.
    project = ProjectFactory(
        voting=True,
        voting_mode=VotingMode.SUPPORT,
        results_visibility=Project.ResultsVisibility.LIVE,
    )
    proposal = ProposalFactory(project=project)
    Category.objects.create(project=project, name="K", slug="k")
    CommentFactory(proposal=proposal)
    SiteFactory()
    ProposalPhoto.objects.create(
        proposal=proposal,
        uploaded_by=proposal.author,
        image="p.jpg",
        thumbnail="p-t.jpg",
        width=1,
        height=1,
    )
    vote_cast(user=UserFactory(), proposal=proposal)
    tally_record(
        actor=planner(),
        project=project,
        event_name="Fest",
        event_date=timezone.localdate(),
        ballots=1,
        counted_by="Team",
        counts={proposal.pk: 1},
    )
    before = _version(project)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"project": project.pk, "proposal": proposal.pk})
        assert cursor.rowcount > 0
    assert _version(project) != before


def test_while_the_results_are_secret_votes_keep_the_visitors_page(client: Client) -> None:
    """The page for visitors shows no vote totals then: a vote, a change of weight and a
    withdrawal leave its data version, and the kept page is served on, the same page."""
    project = ProjectFactory(
        voting=True, voting_mode=VotingMode.BUDGET, votes_per_person=3, max_votes_per_option=3
    )
    option = ProposalFactory(project=project, title="Pfaff-Areal")
    voter = UserFactory()
    fill(client, project)
    before, page = _version(project), visit(client, project)
    vote_cast(user=voter, proposal=option)
    vote_cast(user=voter, proposal=option)  # budget: the same row, weight 2
    vote_withdraw(user=voter, proposal=option)
    assert _version(project) == before
    after = client.get(project.get_absolute_url())
    assert kept(after)
    assert _same_but_token_and_nonce(after.content.decode(), page)
    # Rendered anew, the page is the same: the kept one hid nothing.
    pagecache.forget_all()
    assert _same_but_token_and_nonce(visit(client, project), page)


@pytest.mark.parametrize(
    ("ends_in", "changes"),
    [(timedelta(seconds=30), True), (timedelta(minutes=5), False)],
    ids=["in the last minute", "earlier"],
)
def test_a_vote_just_before_voting_closes_changes_the_data_version(
    ends_in: timedelta, changes: bool
) -> None:
    """A vote's transaction may commit just after voting closed, when visitors already see the
    results: in the last minute votes change the version even while the results are secret."""
    now = timezone.now()
    project = ProjectFactory(
        voting=True, voting_start=now - timedelta(days=1), voting_end=now + ends_in
    )
    option = ProposalFactory(project=project)
    before = _version(project)
    vote_cast(user=UserFactory(), proposal=option)
    assert (_version(project) != before) is changes


def test_the_vote_trigger_asks_the_results_rule_as_it_is_now() -> None:
    """Migration 0010 froze the rule's SQL in the trigger; a change of the rule needs a new
    migration, and this fails until it has one."""
    frozen = importlib.import_module("proposals.migrations.0010_vote_touch_when_shown")
    assert projects_showing_votes_sql() == frozen.SHOWN
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT prosrc FROM pg_proc WHERE proname = %s", ["proposals_touch_from_proposals_vote"]
        )
        (body,) = cursor.fetchone()
    assert f"project_id IN ({frozen.SHOWN})" in body


def test_a_statement_that_changes_nothing_keeps_the_data_version() -> None:
    project = ProjectFactory()
    before = _version(project)
    Comment.objects.filter(pk=-1).update(body="x")
    Proposal.objects.filter(project=project).delete()
    assert _version(project) == before


def test_versions_never_come_back() -> None:
    """A deleted project's number is never another's: a kept page can never match it."""
    gone = ProjectFactory()
    version = _version(gone)
    gone.delete()
    assert not ProjectDataVersion.objects.filter(project_id=gone.pk).exists()
    assert all(_version(ProjectFactory()) > version for _ in range(3))


def _bare_request() -> Any:
    request = RequestFactory().get("/en/projects/x/")
    request.user = AnonymousUser()
    SecurityHeadersMiddleware(lambda r: None).process_request(request)
    return request


@pytest.mark.parametrize(
    "leak",
    [lambda request: get_token(request), lambda request: str(request.csp_nonce)],
    ids=["csrf token", "nonce"],
)
def test_a_page_that_asked_for_the_real_token_or_nonce_is_not_kept(
    leak: Callable[[Any], str],
) -> None:
    pagecache.render_shared(_bare_request(), ("fine",), "429.html", lambda: ({}, 200))
    request = _bare_request()
    response = pagecache.render_shared(
        request, ("leaky",), "429.html", lambda: ({"leaked": leak(request)}, 200)
    )
    assert response.status_code == 200
    assert pagecache.CSRF_SLOT.encode() not in response.content
    keys = [key[-1] for key in pagecache._pages]
    assert "fine" in keys and "leaky" not in keys


def test_kept_pages_stay_within_their_bytes(settings: Any) -> None:
    size = len(
        pagecache.render_shared(_bare_request(), None, "429.html", lambda: ({}, 200)).content
    )
    settings.PAGE_CACHE_BYTES = size * 5 // 2  # room for two pages
    for n in range(3):
        pagecache.render_shared(_bare_request(), (n,), "429.html", lambda: ({}, 200))
    assert [key[-1] for key in pagecache._pages] == [1, 2]  # the least recently used went


def test_no_page_is_kept_when_the_cache_is_off(settings: Any, client: Client) -> None:
    settings.PAGE_CACHE_BYTES = 0
    project = ProjectFactory()
    for _ in range(2):
        assert client.get(project.get_absolute_url()).templates
    assert not pagecache._pages

"""Feeds (valid Atom, only public content), the embed page's headers, the follow button, the
area form's refusals and the implementation pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from proposals import review
from proposals.alerts import services
from proposals.alerts.models import Subscription
from proposals.models import Proposal
from tests.factories import AreaFactory, ProjectFactory, ProposalFactory, UserFactory, planner

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def _atom(response) -> ET.Element:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own server's output
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None, required
    return root


def _titles(root: ET.Element) -> list[str]:
    return [e.findtext(f"{ATOM}title") or "" for e in root.findall(f"{ATOM}entry")]


def test_feeds_are_atom_and_show_only_public_content(client):
    project = ProjectFactory()
    public = ProposalFactory(project=project, title="Sichtbar")
    ProposalFactory(project=project, title="Wartet", visibility=Proposal.Visibility.PENDING)
    ProposalFactory(project=project, title="Versteckt", visibility=Proposal.Visibility.HIDDEN)
    hidden_later = ProposalFactory(project=project, title="Später versteckt")
    city = planner()
    review.proposal_transition(
        actor=city, proposal=public, to_status="under_review", response_text="Geprüft", office="Amt"
    )
    review.proposal_transition(
        actor=city,
        proposal=hidden_later,
        to_status="under_review",
        response_text="Geheim",
        office="Amt",
    )
    Proposal.objects.filter(pk=hidden_later.pk).update(visibility=Proposal.Visibility.HIDDEN)

    titles = _titles(_atom(client.get(reverse("alerts:feed-project", args=[project.slug]))))
    joined = " ".join(titles)
    assert "Sichtbar" in joined
    # The response's entry ("<title>: <status>"), beside the new proposal's ("Neuer Vorschlag: …").
    assert any(t.startswith("Sichtbar: ") for t in titles)
    for secret in ("Wartet", "Versteckt", "Später versteckt"):
        assert secret not in joined

    district = AreaFactory()
    area_titles = " ".join(
        _titles(_atom(client.get(reverse("alerts:feed-district", args=[district.slug]))))
    )
    assert "Sichtbar" in area_titles and "Wartet" not in area_titles
    bbox = client.get(reverse("alerts:feed-bbox") + "?bbox=7.74,49.43,7.79,49.45")
    assert "Sichtbar" in " ".join(_titles(_atom(bbox)))
    far = client.get(reverse("alerts:feed-bbox") + "?bbox=8.0,49.0,8.1,49.1")
    assert _titles(_atom(far)) == []
    assert client.get(reverse("alerts:feed-bbox") + "?bbox=nonsense").status_code == 400

    proposal_feed = _atom(client.get(reverse("alerts:feed-proposal", args=[public.pk])))
    assert len(proposal_feed.findall(f"{ATOM}entry")) == 1
    assert client.get(reverse("alerts:feed-proposal", args=[hidden_later.pk])).status_code == 404
    unpublished = ProjectFactory(is_published=False)
    assert client.get(reverse("alerts:feed-project", args=[unpublished.slug])).status_code == 404


def test_pages_link_their_feed(client):
    proposal = ProposalFactory()
    for url, feed in (
        (
            proposal.project.get_absolute_url(),
            reverse("alerts:feed-project", args=[proposal.project.slug]),
        ),
        (proposal.get_absolute_url(), reverse("alerts:feed-proposal", args=[proposal.pk])),
    ):
        html = client.get(url).content.decode()
        assert f'<link rel="alternate" type="application/atom+xml" href="{feed}"' in html


def test_embed_page_frame_ancestors_and_no_cookies(client, settings):
    project = ProjectFactory()
    settings.EMBED_FRAME_ANCESTORS = ["https://www.kaiserslautern.de"]
    response = client.get(reverse("alerts:embed", args=[project.slug]))
    assert response.status_code == 200
    assert "frame-ancestors https://www.kaiserslautern.de" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    assert not response.cookies
    # Every other page stays unframeable.
    other = client.get(project.get_absolute_url())
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]
    settings.EMBED_FRAME_ANCESTORS = []
    closed = client.get(reverse("alerts:embed", args=[project.slug]))
    assert "frame-ancestors 'none'" in closed["Content-Security-Policy"]
    assert (
        client.get(
            reverse("alerts:embed", args=[ProjectFactory(is_published=False).slug])
        ).status_code
        == 404
    )


def test_follow_button_and_area_form(client):
    proposal = ProposalFactory()
    person = UserFactory(username="person")
    follow_url = reverse("alerts:follow", args=["vorschlag", proposal.pk])
    assert client.post(follow_url).status_code == 302  # to the login
    assert not Subscription.objects.exists()
    client.force_login(person)
    assert client.post(follow_url, {"follow": "1"}).status_code == 302
    assert Subscription.objects.filter(user=person, proposal=proposal).count() == 1
    assert 'aria-pressed="true"' in client.get(proposal.get_absolute_url()).content.decode()
    client.post(follow_url, {"follow": "0"})
    assert not Subscription.objects.filter(user=person).exists()

    pending = ProposalFactory(visibility=Proposal.Visibility.PENDING)
    assert client.post(reverse("alerts:follow", args=["vorschlag", pending.pk])).status_code == 404

    area_url = reverse("alerts:area-new")
    refused = client.post(area_url, {"kind": "radius", "radius_m": "10"})
    assert refused.status_code == 400
    errors = refused.context["area_form"].errors
    assert set(errors) == {"site", "radius_m"}
    drawn = client.post(area_url, {"kind": "drawn", "drawn": "POLYGON((0 0, 1 1))"})
    assert drawn.status_code == 400 and "drawn" in drawn.context["area_form"].errors
    huge = client.post(
        area_url, {"kind": "drawn", "drawn": "POLYGON((7 49, 8 49, 8 50, 7 50, 7 49))"}
    )
    assert huge.status_code == 400 and "drawn" in huge.context["area_form"].errors
    assert not Subscription.objects.exists()
    district = AreaFactory()
    ok = client.post(area_url, {"kind": "district", "district": district.pk})
    assert ok.status_code == 302
    assert Subscription.objects.get(user=person).district == district
    assert client.get(reverse("alerts:settings")).status_code == 200


def test_implementation_pages_list_accepted_public_proposals(client):
    project = ProjectFactory()
    accepted = ProposalFactory(project=project, title="Angenommen", status="accepted")
    ProposalFactory(project=project, title="Eingereicht")
    ProposalFactory(
        project=project, title="Verborgen", status="accepted", visibility=Proposal.Visibility.HIDDEN
    )
    services.progress_add(actor=planner(), proposal=accepted, text="Begonnen", percent=10)
    for url in (
        reverse("alerts:implementation"),
        reverse("alerts:project-implementation", args=[project.slug]),
    ):
        html = client.get(url).content.decode()
        assert "Angenommen" in html
        assert "Eingereicht" not in html and "Verborgen" not in html
        assert "10 %" in html


def test_an_accepted_proposal_links_to_the_implementation_list(client):
    accepted = ProposalFactory(status="accepted")
    submitted = ProposalFactory(project=accepted.project)
    link = reverse("alerts:project-implementation", args=[accepted.project.slug])
    assert link in client.get(accepted.get_absolute_url()).content.decode()
    assert link not in client.get(submitted.get_absolute_url()).content.decode()

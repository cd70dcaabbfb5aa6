"""Public names instead of addresses; a person's own data export; deleting one's account."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from accounts.models import Profile
from accounts.selectors import account_data
from accounts.services import account_delete, profile_update
from proposals.models import Comment, Proposal, ProposalResponse, Vote
from proposals.services import comment_create, proposal_create, vote_cast
from tests.accounts.conftest import PASSWORD
from tests.factories import INSIDE, ProjectFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db
EMAIL = "hanna.heimlich@example.org"


@pytest.fixture
def hanna(db: Any) -> Any:
    user = UserFactory(username="hanna", email=EMAIL)
    profile_update(user=user, display_name="Hanna H.")
    return user


@pytest.fixture
def contributions(hanna: Any) -> dict[str, Any]:
    project = ProjectFactory(slug="stadt-raum-wir")
    proposal = proposal_create(author=hanna, project=project, title="Boule", location=INSIDE)
    comment = comment_create(author=hanna, proposal=proposal, body="Mit Bänken bitte")
    voting = ProposalFactory(project=ProjectFactory(voting=True), title="Markt")
    vote = vote_cast(user=hanna, proposal=voting)
    return {"project": project, "proposal": proposal, "comment": comment, "vote": vote}


def test_the_email_address_is_in_no_public_page_or_api(
    client: Any, hanna: Any, contributions: dict[str, Any]
) -> None:
    project, proposal = contributions["project"], contributions["proposal"]
    pages = {
        "project page": project.get_absolute_url(),
        "proposal page": proposal.get_absolute_url(),
        "home": "/",
        "API proposals": f"/api/v1/proposals/?project={project.slug}",
        "API proposal": f"/api/v1/proposals/{proposal.pk}/",
        "API comments": f"/api/v1/comments/?proposal={proposal.pk}",
        "API projects": "/api/v1/projects/",
        "OGC items": "/ogc/collections/proposals/items",
        "OGC item": f"/ogc/collections/proposals/items/{proposal.pk}",
        "OGC items HTML": "/ogc/collections/proposals/items?f=html",
    }
    for viewer in (None, UserFactory(username="nachbarin")):
        if viewer is not None:
            client.force_login(viewer)
        for name, url in pages.items():
            response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
            body = response.content.decode()
            assert EMAIL not in body, name
            assert "hanna.heimlich" not in body, name
    html = client.get(proposal.get_absolute_url()).content.decode()
    assert "Hanna H." in html  # the comment's author, by display name
    comments = client.get(f"/api/v1/comments/?proposal={proposal.pk}").json()
    assert comments["results"][0]["author"] == "Hanna H."


def test_profile_page_changes_the_display_name(client: Any, hanna: Any) -> None:
    client.force_login(hanna)
    page = client.get("/konto/profil/")
    assert page.status_code == 200
    assert "Hanna H." in page.content.decode()
    assert EMAIL not in page.content.decode()
    saved = client.post("/konto/profil/", {"display_name": "  Hanna   vom Markt "})
    assert saved.status_code == 302
    assert Profile.objects.get(user=hanna).display_name == "Hanna vom Markt"

    Profile.objects.create(user=UserFactory(), display_name="Besetzt")
    taken = client.post("/konto/profil/", {"display_name": "besetzt"})
    assert taken.status_code == 400
    assert "display_name" in taken.context["form"].errors
    assert Profile.objects.get(user=hanna).display_name == "Hanna vom Markt"


def test_profile_page_links_the_notification_settings(client: Any, hanna: Any) -> None:
    client.force_login(hanna)
    html = client.get("/konto/profil/").content.decode()
    for path in ("/benachrichtigungen/", "/konto/email/", "/konto/daten/", "/konto/loeschen/"):
        assert f'href="{path}"' in html, path


def test_export_holds_the_persons_own_data(
    client: Any, hanna: Any, contributions: dict[str, Any]
) -> None:
    ProposalFactory(title="Fremd")  # someone else's
    client.force_login(hanna)
    response = client.get("/konto/daten/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data == {**account_data(hanna), "exported_at": data["exported_at"]}
    assert data["account"]["email"] == EMAIL and data["account"]["username"] == "hanna"
    assert data["email_addresses"] == [{"email": EMAIL, "verified": True, "primary": True}]
    assert data["profile"] == {"display_name": "Hanna H.", "shown_as": "Hanna H."}
    assert [p["title"] for p in data["proposals"]] == ["Boule"]
    assert data["proposals"][0]["location"]["coordinates"] == [INSIDE.x, INSIDE.y]
    assert [c["body"] for c in data["comments"]] == ["Mit Bänken bitte"]
    assert [(v["proposal"], v["weight"]) for v in data["votes"]] == [
        (contributions["vote"].proposal_id, 1)
    ]
    assert client.post("/konto/daten/").status_code == 405


def test_export_needs_a_login(client: Any) -> None:
    assert client.get("/konto/daten/").status_code == 302


def test_deletion_anonymises_contributions_and_removes_votes(
    hanna: Any, contributions: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as info:
        account_delete(user=hanna, password="falsch")
    assert set(info.value.message_dict) == {"password"}
    assert Vote.objects.filter(user=hanna).exists()

    account_delete(user=hanna, password=PASSWORD)
    assert not get_user_model().objects.filter(username="hanna").exists()
    assert not Profile.objects.exists() and not EmailAddress.objects.filter(email=EMAIL).exists()
    assert Vote.objects.count() == 0
    proposal = Proposal.objects.get(pk=contributions["proposal"].pk)
    comment = Comment.objects.get(pk=contributions["comment"].pk)
    assert proposal.author_id is None and comment.author_id is None


def test_deletion_page_asks_for_the_password_and_signs_out(
    client: Any, hanna: Any, contributions: dict[str, Any]
) -> None:
    client.force_login(hanna)
    assert client.get("/konto/loeschen/").status_code == 200
    wrong = client.post("/konto/loeschen/", {"password": "falsch", "confirm": "on"})
    assert wrong.status_code == 400
    assert "password" in wrong.context["form"].errors
    unconfirmed = client.post("/konto/loeschen/", {"password": PASSWORD})
    assert unconfirmed.status_code == 400
    assert get_user_model().objects.filter(pk=hanna.pk).exists()

    done = client.post("/konto/loeschen/", {"password": PASSWORD, "confirm": "on"})
    assert done.status_code == 302
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(pk=hanna.pk).exists()
    html = client.get(contributions["proposal"].get_absolute_url()).content.decode()
    assert "Gelöschtes Konto" in html
    assert "Hanna H." not in html


def test_staff_on_record_cannot_delete_themselves(planner_user: Any) -> None:
    ProposalResponse.objects.create(
        proposal=ProposalFactory(),
        from_status="submitted",
        to_status="accepted",
        text="Wird umgesetzt.",
        office="Referat Stadtentwicklung",
        responder=planner_user,
    )
    with pytest.raises(ValidationError):
        account_delete(user=planner_user, password=PASSWORD)
    assert get_user_model().objects.filter(pk=planner_user.pk).exists()

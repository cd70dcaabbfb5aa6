"""Photos moderated in the workspace like text: hidden with a reason from the review page
through proposals.photos.photo_moderate (audited), refused field by field, only for planners,
and the review and moderation pages keep their query counts however many photos there are."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from infra.images import clean_image
from proposals.models import Proposal, ProposalPhoto
from proposals.photos import NewPhoto, photo_moderate, store_photos
from tests.factories import ProjectFactory, ProposalFactory, planner
from tests.images import jpeg_with_gps
from tests.proposals.test_photos import status

pytestmark = pytest.mark.django_db


def add_photos(proposal: Proposal, n: int = 1, alt: str = "") -> list[ProposalPhoto]:
    store_photos(
        proposal,
        proposal.author,
        [NewPhoto(clean_image(io.BytesIO(jpeg_with_gps(320, 240))), alt) for _ in range(n)],
    )
    return list(ProposalPhoto.objects.filter(proposal=proposal).order_by("-pk")[:n])


def url(photo: ProposalPhoto) -> str:
    return f"/planung/fotos/{photo.pk}/moderieren/"


def review(proposal: Proposal) -> str:
    return f"/planung/vorschlaege/{proposal.pk}/"


def test_a_planner_hides_a_photo_with_a_reason_and_restores_it(
    client: Any, planner_user: Any
) -> None:
    proposal = ProposalFactory()
    (photo,) = add_photos(proposal, alt="Bank vor dem Rathaus")
    public = Client()
    assert status(public, photo.thumbnail_url) == 200
    client.force_login(planner_user)

    page = client.get(review(proposal)).content.decode()
    assert photo.thumbnail_url in page and 'alt="Bank vor dem Rathaus"' in page

    done = client.post(
        url(photo), {"action": "hide", "reason": "Gesicht erkennbar", "next": review(proposal)}
    )
    assert done.status_code == 302 and done["Location"] == review(proposal)
    photo.refresh_from_db()
    assert (photo.is_hidden, photo.moderation_reason) == (True, "Gesicht erkennbar")
    assert status(public, photo.thumbnail_url) == 404
    assert status(public, photo.get_absolute_url()) == 404
    entry = AuditEntry.objects.get(action="photo.hide")
    assert (entry.actor, entry.object_id, entry.reason) == (
        planner_user,
        str(photo.pk),
        "Gesicht erkennbar",
    )
    page = client.get(review(proposal)).content.decode()
    assert "Ausgeblendet</strong>: Gesicht erkennbar" in page
    assert f"Foto #{photo.pk} durch die Moderation ausgeblendet. Grund: Gesicht erkennbar" in page
    assert "Foto wieder zeigen" in page

    assert client.post(url(photo), {"action": "restore"}).status_code == 302
    photo.refresh_from_db()
    assert (photo.is_hidden, photo.moderation_reason) == (False, "")
    assert status(public, photo.thumbnail_url) == 200
    assert AuditEntry.objects.filter(action="photo.restore", object_id=str(photo.pk)).count() == 1


def test_people_who_are_not_planners_cannot_moderate_a_photo(client: Any, citizen: Any) -> None:
    proposal = ProposalFactory(author=citizen)
    (photo,) = add_photos(proposal)
    data = {"action": "hide", "reason": "Ich will das nicht mehr"}

    anonymous = client.post(url(photo), data)
    assert anonymous.status_code == 302 and "/planung/fotos/" in anonymous["Location"]
    client.force_login(citizen)  # the photo's own author, even
    assert client.post(url(photo), data).status_code == 403
    photo.refresh_from_db()
    assert not photo.is_hidden
    assert not AuditEntry.objects.filter(action__startswith="photo.").exists()


def test_hiding_without_a_reason_is_refused_at_the_field_and_changes_nothing(
    client: Any, planner_user: Any
) -> None:
    proposal = ProposalFactory()
    other, photo = add_photos(proposal, n=2)
    client.force_login(planner_user)

    refused = client.post(url(photo), {"action": "hide", "reason": "   "})

    assert refused.status_code == 400
    page = refused.content.decode()
    # The error stands at this photo's reason field, named by it, and at no other photo.
    assert (
        f'<ul class="field__errors" id="reason-p{photo.pk}_error">'
        "<li>Sagen Sie, warum das Foto ausgeblendet wird"
    ) in page
    assert f'aria-describedby="reason-p{photo.pk}_error"' in page
    assert f"reason-p{other.pk}_error" not in page
    # Its forms send back to the review page, not to the POST address this page now stands at.
    for shown in (photo, other):
        form = re.search(
            rf'action="/planung/fotos/{shown.pk}/moderieren/".*?name="next" value="([^"]*)"',
            page,
            re.S,
        )
        assert form is not None and form.group(1) == review(proposal)
    photo.refresh_from_db()
    assert (photo.is_hidden, photo.moderation_reason) == (False, "")
    assert not AuditEntry.objects.filter(action__startswith="photo.").exists()
    # Restoring a shown photo and an unknown action are refused the same way.
    assert client.post(url(photo), {"action": "restore"}).status_code == 400
    assert client.post(url(photo), {"action": "delete", "reason": "x"}).status_code == 400
    assert client.post("/planung/fotos/999999/moderieren/", {"action": "hide"}).status_code == 404
    assert not AuditEntry.objects.filter(action__startswith="photo.").exists()


def test_review_and_moderation_pages_keep_their_query_count_with_more_photos(
    client: Any, planner_user: Any, django_assert_num_queries: Any
) -> None:
    project = ProjectFactory()
    proposal = ProposalFactory(project=project, visibility=Proposal.Visibility.PENDING)
    add_photos(proposal)
    client.force_login(planner_user)
    pages = (review(proposal), "/planung/moderation/")
    counts = {}
    for page in pages:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page).status_code == 200
        counts[page] = len(ctx.captured_queries)

    more = add_photos(proposal, n=2)
    photo_moderate(actor=planner(), photo=more[0], action="hide", reason="Werbung")
    second = ProposalFactory(project=project, visibility=Proposal.Visibility.PENDING)
    add_photos(second, n=2)

    for page, n in counts.items():
        with django_assert_num_queries(n):
            response = client.get(page)
        assert response.status_code == 200
        text = response.content.decode()
        assert all(photo.thumbnail_url in text for photo in more), page
    # The moderation queue shows pending proposals' photos with them, the hidden one also
    # among the recently hidden with its restore form.
    queue = client.get("/planung/moderation/").content.decode()
    for photo in ProposalPhoto.objects.filter(proposal=second):
        assert f"/planung/vorschlaege/{second.pk}/#photo-{photo.pk}" in queue
    assert f'action="/planung/fotos/{more[0].pk}/moderieren/"' in queue

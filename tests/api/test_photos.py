"""Photos through the REST API: multipart upload, the served bytes without metadata, refusals
as 400 (never 500), who may add and see them, and the body limit of the middleware."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from proposals.models import Proposal, ProposalPhoto
from tests.factories import ProjectFactory, ProposalFactory
from tests.images import (
    assert_no_metadata,
    jpeg_with_gps,
    noise_jpeg,
    png_header_only,
    webp_with_exif,
)

pytestmark = pytest.mark.django_db


def photos_url(proposal: Proposal) -> str:
    return reverse("api-v1:proposals-photos", kwargs={"id": proposal.pk})


def post(client: Client, proposal: Proposal, data: bytes, **extra: Any) -> Any:
    upload = SimpleUploadedFile("bild.jpg", data, content_type="image/jpeg")
    return client.post(photos_url(proposal), {"image": upload, **extra})


def test_the_author_uploads_a_photo_and_everyone_reads_it_without_metadata(
    client: Client, citizen: Any
) -> None:
    proposal = ProposalFactory(author=citizen)
    client.force_login(citizen)

    response = post(client, proposal, webp_with_exif(1000, 800), alt_text="Der Spielplatz")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["alt"] == "Der Spielplatz" and body["hidden"] is False
    assert (body["width"], body["height"]) == (1000, 800)
    client.logout()
    listed = client.get(photos_url(proposal)).json()
    assert [p["id"] for p in listed] == [body["id"]]
    file = client.get(body["url"])
    assert file.status_code == 200
    assert_no_metadata(b"".join(file.streaming_content))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<?php echo 'kein Bild'; ?>", "format"),
        (b"", "empty"),
        (png_header_only(40_000, 40_000), "too_many_pixels"),
        (jpeg_with_gps()[:2000], "damaged"),
    ],
    ids=["text", "empty", "bomb", "truncated"],
)
def test_a_bad_picture_is_a_400_naming_the_field(
    client: Client, citizen: Any, data: bytes, code: str
) -> None:
    proposal = ProposalFactory(author=citizen)
    client.force_login(citizen)

    response = post(client, proposal, data)

    assert response.status_code == 400
    assert list(response.json()) == ["image"]
    assert not ProposalPhoto.objects.exists()


def test_a_missing_file_is_a_400(client: Client, citizen: Any) -> None:
    proposal = ProposalFactory(author=citizen)
    client.force_login(citizen)

    response = client.post(photos_url(proposal), {"alt_text": "nur Text"})

    assert response.status_code == 400
    assert "image" in response.json()


def test_only_the_author_adds_photos(client: Client, citizen: Any, other_citizen: Any) -> None:
    proposal = ProposalFactory(author=citizen)

    anonymous = post(client, proposal, jpeg_with_gps())
    client.force_login(other_citizen)
    other = post(client, proposal, jpeg_with_gps())

    assert anonymous.status_code == 403
    assert other.status_code == 403
    assert not ProposalPhoto.objects.exists()


def test_the_limit_of_photos_is_a_400(client: Client, citizen: Any, settings: Any) -> None:
    settings.PHOTOS_PER_PROPOSAL = 1
    proposal = ProposalFactory(author=citizen)
    client.force_login(citizen)

    first = post(client, proposal, jpeg_with_gps())
    second = post(client, proposal, jpeg_with_gps())

    assert first.status_code == 201
    assert second.status_code == 400
    assert "photo" in second.json()


def test_a_pending_proposals_photos_are_not_listed_to_others(
    client: Client, citizen: Any, other_citizen: Any
) -> None:
    project = ProjectFactory()
    proposal = ProposalFactory(project=project, author=citizen, visibility="pending")
    client.force_login(citizen)
    assert post(client, proposal, jpeg_with_gps()).status_code == 201

    client.force_login(other_citizen)
    assert client.get(photos_url(proposal)).status_code == 404


def test_a_body_over_the_picture_limit_is_refused_unread(
    client: Client, citizen: Any, settings: Any
) -> None:
    settings.IMAGE_MAX_BYTES = 1000
    proposal = ProposalFactory(author=citizen)
    client.force_login(citizen)

    response = post(client, proposal, noise_jpeg(400, 400))  # > 64 KiB + 1000 bytes

    assert response.status_code == 413
    assert "detail" in response.json()

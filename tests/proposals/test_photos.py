"""Photos with proposals and the project image: real pictures carrying GPS EXIF, XMP, ICC and
text chunks go in through the form, the API and the admin's service; what comes out is checked
byte by byte (Pillow and exiftool) and served only to who may see it."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from accounts.selectors import account_data
from accounts.services import account_delete
from audit.models import AuditEntry
from infra.images import clean_image
from proposals.models import Project, Proposal, ProposalPhoto
from proposals.photos import NewPhoto, photo_add, photo_moderate
from proposals.services import project_update
from tests.factories import INSIDE, ProjectFactory, ProposalFactory
from tests.images import (
    assert_no_metadata,
    jpeg_with_gps,
    noise_jpeg,
    png_header_only,
    png_with_text,
    webp_with_exif,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # the factories' password
SOURCES = {"jpeg": jpeg_with_gps, "png": png_with_text, "webp": webp_with_exif}


def upload(data: bytes, name: str = "urlaub.jpg", content_type: str = "image/jpeg") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def release(response: Any) -> None:
    """Read a served file to its end, which closes it (the test client closes the response
    then; response.close() called here would close the test's database connection too)."""
    if response.streaming:
        b"".join(response.streaming_content)


def status(client: Any, url: str) -> int:
    """The status of a GET, its file closed."""
    response = client.get(url)
    release(response)
    return response.status_code


def served(client: Any, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "image/jpeg"
    return b"".join(response.streaming_content)


def form_data(**extra: Any) -> dict[str, Any]:
    return {"title": "Bank im Schatten", "lon": INSIDE.x, "lat": INSIDE.y, **extra}


def photo_for(proposal: Proposal, data: bytes | None = None, alt: str = "") -> ProposalPhoto:
    image = clean_image(io.BytesIO(data or jpeg_with_gps()))
    return photo_add(
        user=proposal.author, proposal=proposal, photo=NewPhoto(image=image, alt_text=alt)
    )


# ---- the mechanism (infra/images.py) ------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_every_accepted_format_comes_out_as_a_jpeg_without_any_metadata(kind: str) -> None:
    source = SOURCES[kind]()
    with Image.open(io.BytesIO(source)) as original:  # the test pictures do carry GPS
        assert original.getexif().get_ifd(0x8825)

    result = clean_image(io.BytesIO(source))

    assert result.source_format == {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[kind]
    assert_no_metadata(result.full.data)
    assert_no_metadata(result.thumbnail.data)


def test_a_picture_is_turned_upright_by_its_exif_orientation() -> None:
    # Orientation 6: the camera was turned; shown rotated 90° clockwise. The red quarter at the
    # stored top-left is then at the top-right.
    result = clean_image(io.BytesIO(jpeg_with_gps(300, 200, orientation=6)))

    with Image.open(io.BytesIO(result.full.data)) as image:
        assert image.size == (200, 300)
        red, green, blue = image.convert("RGB").getpixel((190, 10))  # type: ignore[misc]
        assert red > 180 and green < 80 and blue < 80


def test_a_large_picture_is_resized_with_a_thumbnail(settings: Any) -> None:
    result = clean_image(io.BytesIO(jpeg_with_gps(4000, 3000, quality=70)))

    assert (result.full.width, result.full.height) == (settings.IMAGE_MAX_EDGE, 1200)
    assert (result.thumbnail.width, result.thumbnail.height) == (480, 360)
    with Image.open(io.BytesIO(result.thumbnail.data)) as thumb:
        assert thumb.size == (480, 360)


# ---- through the HTML form ----------------------------------------------------------------


def test_a_photo_attached_in_the_form_is_served_without_metadata(client: Any, citizen: Any) -> None:
    project = ProjectFactory()
    client.force_login(citizen)

    response = client.post(
        reverse("proposals:proposal-new", kwargs={"slug": project.slug}),
        form_data(photo=upload(jpeg_with_gps(2400, 1800)), photo_alt="Die alte Linde am Platz"),
    )

    assert response.status_code == 302
    photo = ProposalPhoto.objects.get(proposal__project=project)
    assert (photo.width, photo.height) == (1600, 1200)
    assert photo.alt_text == "Die alte Linde am Platz"
    assert photo.uploaded_by == citizen
    page = client.get(photo.proposal.get_absolute_url()).content.decode()
    assert f'src="{photo.thumbnail_url}" alt="Die alte Linde am Platz"' in page
    client.logout()  # everyone may see a published proposal's photo
    assert_no_metadata(served(client, photo.get_absolute_url()))
    assert_no_metadata(served(client, photo.thumbnail_url))


def test_without_a_description_the_alt_text_names_the_proposal(client: Any, citizen: Any) -> None:
    proposal = ProposalFactory(author=citizen, title="Trinkbrunnen")
    photo = photo_for(proposal)

    page = client.get(proposal.get_absolute_url()).content.decode()

    assert f'src="{photo.thumbnail_url}" alt="Foto zum Vorschlag „Trinkbrunnen“"' in page


BAD_UPLOADS = {
    "text named .jpg": (b"Dies ist kein Bild, nur Text.\n" * 20, "Dies ist keine Bilddatei"),
    "empty": (b"", "Die übermittelte Datei ist leer"),
    "too many pixels (bomb header)": (png_header_only(30_000, 30_000), "zu viele Pixel"),
    "too many pixels (Pillow's bomb limit)": (png_header_only(100_000, 100_000), "zu viele Pixel"),
    "truncated": (jpeg_with_gps()[:3000], "beschädigt"),
    "tiny": (jpeg_with_gps(20, 20), "mindestens 64 Pixel"),
    "gif": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "JPEG, PNG oder WebP"),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_a_bad_picture_in_the_form_is_refused_and_nothing_is_stored(
    client: Any, citizen: Any, case: str
) -> None:
    data, message = BAD_UPLOADS[case]
    project = ProjectFactory()
    client.force_login(citizen)
    before = stored_files()

    response = client.post(
        reverse("proposals:proposal-new", kwargs={"slug": project.slug}),
        form_data(photo=upload(data)),
    )

    assert response.status_code == 400
    errors = response.context["proposal_form"].errors
    assert list(errors) == ["photo"]
    assert message in " ".join(errors["photo"])
    assert not Proposal.objects.filter(project=project).exists()
    assert stored_files() == before


def test_a_picture_over_the_size_limit_is_refused(client: Any, citizen: Any, settings: Any) -> None:
    settings.IMAGE_MAX_BYTES = 100_000
    data = noise_jpeg(400, 400)
    assert len(data) > settings.IMAGE_MAX_BYTES
    project = ProjectFactory()
    client.force_login(citizen)

    response = client.post(
        reverse("proposals:proposal-new", kwargs={"slug": project.slug}),
        form_data(photo=upload(data)),
    )

    assert response.status_code == 400
    assert "größer als 0,1 MB" in " ".join(response.context["proposal_form"].errors["photo"]) or (
        "größer als 0.1 MB" in " ".join(response.context["proposal_form"].errors["photo"])
    )
    assert not ProposalPhoto.objects.exists()


def test_the_author_adds_photos_when_editing_up_to_the_limit(
    client: Any, citizen: Any, settings: Any
) -> None:
    settings.PHOTOS_PER_PROPOSAL = 2
    proposal = ProposalFactory(author=citizen)
    photo_for(proposal)
    client.force_login(citizen)
    url = reverse(
        "proposals:proposal-edit", kwargs={"slug": proposal.project.slug, "pk": proposal.pk}
    )

    added = client.post(url, form_data(photo=upload(png_with_text(), "plan.png", "image/png")))
    refused = client.post(url, form_data(photo=upload(webp_with_exif(), "x.webp", "image/webp")))

    assert added.status_code == 302
    assert refused.status_code == 400
    assert "höchstens 2 Fotos" in str(refused.context["proposal_form"].errors)
    assert proposal.photos.count() == 2


# ---- who sees a photo ---------------------------------------------------------------------


def test_a_hidden_photo_is_served_to_its_author_and_planners_only(
    client: Any, citizen: Any, other_citizen: Any, planner_user: Any
) -> None:
    proposal = ProposalFactory(author=citizen)
    photo = photo_for(proposal)
    assert status(client, photo.get_absolute_url()) == 200

    photo_moderate(actor=planner_user, photo=photo, action="hide", reason="Zeigt ein Kennzeichen")

    entry = AuditEntry.objects.get(action="photo.hide")
    assert entry.actor == planner_user and entry.reason == "Zeigt ein Kennzeichen"
    assert status(client, photo.get_absolute_url()) == 404
    assert status(client, photo.thumbnail_url) == 404
    assert photo.thumbnail_url not in client.get(proposal.get_absolute_url()).content.decode()
    client.force_login(other_citizen)
    assert status(client, photo.get_absolute_url()) == 404
    client.force_login(citizen)
    response = client.get(photo.get_absolute_url())
    release(response)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "Zeigt ein Kennzeichen" in client.get(proposal.get_absolute_url()).content.decode()
    client.force_login(planner_user)
    assert status(client, photo.get_absolute_url()) == 200

    photo_moderate(actor=planner_user, photo=photo, action="restore")
    client.logout()
    assert status(client, photo.get_absolute_url()) == 200


def test_a_pending_proposals_photo_waits_with_it(
    client: Any, citizen: Any, other_citizen: Any, planner_user: Any
) -> None:
    project = ProjectFactory(moderation=Project.Moderation.PRE)
    client.force_login(citizen)
    client.post(
        reverse("proposals:proposal-new", kwargs={"slug": project.slug}),
        form_data(photo=upload(jpeg_with_gps())),
    )
    photo = ProposalPhoto.objects.get(proposal__project=project)
    assert photo.proposal.visibility == Proposal.Visibility.PENDING

    assert status(client, photo.get_absolute_url()) == 200
    client.force_login(planner_user)
    assert status(client, photo.get_absolute_url()) == 200
    client.force_login(other_citizen)
    assert status(client, photo.get_absolute_url()) == 404
    client.logout()
    assert status(client, photo.get_absolute_url()) == 404


def test_only_planners_moderate_photos(citizen: Any) -> None:
    photo = photo_for(ProposalFactory(author=citizen))

    with pytest.raises(PermissionDenied):
        photo_moderate(actor=citizen, photo=photo, action="hide", reason="x")

    assert not ProposalPhoto.objects.get(pk=photo.pk).is_hidden


def test_behind_nginx_the_app_hands_the_file_over_by_x_accel_redirect(
    client: Any, citizen: Any, settings: Any
) -> None:
    settings.MEDIA_ACCEL_REDIRECT = "/_protected_media/"
    photo = photo_for(ProposalFactory(author=citizen))

    response = client.get(photo.get_absolute_url())

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_protected_media/{photo.image.name}"
    assert response.content == b""


# ---- the account ---------------------------------------------------------------------------


def test_deleting_the_account_deletes_the_photos_and_their_files(
    citizen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    proposal = ProposalFactory(author=citizen)
    photo = photo_for(proposal, alt="Mein Garten")
    names = [photo.image.name, photo.thumbnail.name]
    assert all(default_storage.exists(n) for n in names)
    exported = account_data(citizen)["photos"]
    assert [(p["id"], p["description"]) for p in exported] == [(photo.pk, "Mein Garten")]

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=citizen, password=PASSWORD)

    assert not ProposalPhoto.objects.exists()
    assert Proposal.objects.filter(pk=proposal.pk).exists()  # the proposal stays, authorless
    assert not any(default_storage.exists(n) for n in names)


def test_deleting_a_proposal_deletes_its_files(
    client: Any, citizen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    proposal = ProposalFactory(author=citizen)
    photo = photo_for(proposal)
    client.force_login(citizen)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "proposals:proposal-delete",
                kwargs={"slug": proposal.project.slug, "pk": proposal.pk},
            )
        )

    assert not default_storage.exists(photo.image.name)
    assert not default_storage.exists(photo.thumbnail.name)


# ---- the project image ---------------------------------------------------------------------


def test_staff_set_a_project_image_with_its_description_audited(
    client: Any, planner_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = ProjectFactory()
    image = clean_image(io.BytesIO(png_with_text(1200, 500)))

    with pytest.raises(ValidationError) as missing_alt:
        project_update(actor=planner_user, project=project, changes={}, image=image)
    assert "image_alt" in missing_alt.value.message_dict
    assert not Project.objects.get(pk=project.pk).image

    project_update(
        actor=planner_user,
        project=project,
        changes={"image_alt": "Der Stiftsplatz im Sommer"},
        image=clean_image(io.BytesIO(png_with_text(1200, 500))),
    )

    project.refresh_from_db()
    entry = AuditEntry.objects.get(action="project.update")
    assert entry.after["image"] == project.image.name
    assert entry.after["image_alt"] == "Der Stiftsplatz im Sommer"
    page = client.get(project.get_absolute_url()).content.decode()
    assert f'<img src="{project.image_url}" alt="Der Stiftsplatz im Sommer"' in page
    assert_no_metadata(served(client, project.image_url))
    old = project.image.name

    with django_capture_on_commit_callbacks(execute=True):
        project_update(actor=planner_user, project=project, changes={}, image=False)
    assert not default_storage.exists(old)
    assert status(client, project.image_url) == 404


# ---- progress updates ----------------------------------------------------------------------


def test_a_progress_update_carries_a_described_photo_without_metadata(
    client: Any, planner_user: Any
) -> None:
    proposal = ProposalFactory(status=Proposal.Status.ACCEPTED)
    client.force_login(planner_user)
    url = reverse("alerts:progress-new", kwargs={"pk": proposal.pk})

    undescribed = client.post(
        url, {"text": "Die Bänke stehen.", "image_upload": upload(jpeg_with_gps())}
    )
    assert undescribed.status_code == 400
    assert list(undescribed.context["form"].errors) == ["image_alt"]
    published = client.post(
        url,
        {
            "text": "Die Bänke stehen.",
            "image_upload": upload(jpeg_with_gps()),
            "image_alt": "Zwei neue Bänke unter der Linde",
        },
    )

    assert published.status_code == 302
    update = proposal.progress_updates.get()
    entry = AuditEntry.objects.get(action="proposal.progress")
    assert entry.after["image"] == update.image.name
    client.logout()
    page = client.get(proposal.get_absolute_url()).content.decode()
    thumb = reverse("alerts:progress-image", kwargs={"pk": update.pk, "variant": "thumb"})
    assert f'src="{thumb}" alt="Zwei neue Bänke unter der Linde"' in page
    assert_no_metadata(served(client, thumb))
    Proposal.objects.filter(pk=proposal.pk).update(visibility=Proposal.Visibility.HIDDEN)
    assert status(client, thumb) == 404


def test_prune_media_deletes_only_old_files_no_row_refers_to(citizen: Any) -> None:
    photo = photo_for(ProposalFactory(author=citizen))
    orphan = default_storage.save("photos/verwaist.jpg", ContentFile(jpeg_with_gps()))
    fresh = default_storage.save("photos/frisch.jpg", ContentFile(jpeg_with_gps()))
    hour_ago = time.time() - 2 * 3600
    os.utime(default_storage.path(orphan), (hour_ago, hour_ago))
    os.utime(default_storage.path(photo.image.name), (hour_ago, hour_ago))
    out = io.StringIO()

    call_command("prune_media", stdout=out)

    assert not default_storage.exists(orphan)
    assert default_storage.exists(fresh)  # may belong to an upload still committing
    assert default_storage.exists(photo.image.name)
    assert default_storage.exists(photo.thumbnail.name)
    assert out.getvalue().startswith("1 ")
    default_storage.delete(fresh)


def test_the_worker_prunes_media_daily(citizen: Any) -> None:
    from procrastinate.contrib.django import app

    from proposals import tasks

    app.perform_import_paths()
    periodic = {t.task.name: t for t in app.periodic_registry.periodic_tasks.values()}
    assert periodic["proposals.prune_media"].cron == settings.MEDIA_PRUNE_CRON
    # A queue the worker that `make serve` starts actually serves.
    serve = (settings.BASE_DIR / "scripts" / "serve.sh").read_text()
    queues = re.search(r"procrastinate worker --queues=(\S+)", serve)
    assert queues is not None and tasks.prune_media.queue in queues.group(1).split(",")

    photo = photo_for(ProposalFactory(author=citizen))
    orphan = default_storage.save("photos/verwaist.jpg", ContentFile(jpeg_with_gps()))
    hour_ago = time.time() - 2 * 3600
    for name in (orphan, photo.image.name):
        os.utime(default_storage.path(name), (hour_ago, hour_ago))
    tasks.prune_media(timestamp=0)
    assert not default_storage.exists(orphan)
    assert default_storage.exists(photo.image.name)


def test_the_proposal_list_and_detail_carry_the_first_photo_everyone_may_see(
    client: Any, citizen: Any, planner_user: Any, django_assert_num_queries: Any
) -> None:
    """The map's popups show it: the small picture's path and its alt text, in the same query;
    none where a proposal has no photo or only hidden ones."""
    project = ProjectFactory()
    pictured, bare, hidden = (ProposalFactory(project=project, author=citizen) for _ in range(3))
    first = photo_for(pictured, alt="Die Linde am Stiftsplatz")
    photo_for(pictured, alt="Die zweite")
    photo_moderate(
        actor=planner_user,
        photo=photo_for(hidden, alt="Verborgen"),
        action="hide",
        reason="Ein Gesicht ist zu erkennen.",
    )
    url = f"/api/v1/proposals/?project={project.slug}"

    with django_assert_num_queries(1):
        features = client.get(url).json()["features"]

    properties = {f["id"]: f["properties"] for f in features}
    thumb = reverse("proposals:photo", kwargs={"pk": first.pk, "variant": "thumb"})
    assert properties[pictured.pk]["photo"] == thumb
    assert properties[pictured.pk]["photo_alt"] == "Die Linde am Stiftsplatz"
    for other in (bare, hidden):
        assert properties[other.pk]["photo"] is None
        assert properties[other.pk]["photo_alt"] is None
    detail = client.get(f"/api/v1/proposals/{pictured.pk}/").json()["properties"]
    assert detail["photo"] == thumb
    assert status(client, thumb) == 200

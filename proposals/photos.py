"""Pictures in participation: photos with proposals and the project image — their writes (stored
files included) and the reads every surface shares. The checks and re-encoding are
infra/images.py's; who may see a photo is rules.may_view_photo."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.types import Person, signed_in
from audit.services import log_action
from infra.images import OUTPUT_SUFFIX, CleanImage
from proposals import rules
from proposals.alerts.models import ProgressUpdate
from proposals.errors import refusal as _refusal
from proposals.models import Project, Proposal, ProposalPhoto

PHOTO_FOLDER = "photos"
PROJECT_IMAGE_FOLDER = "projects"
PROGRESS_IMAGE_FOLDER = "progress"
ALT_MAX_LENGTH = 300


@dataclass(frozen=True)
class NewPhoto:
    """A picture to attach: `image` comes from infra.images.clean_image, so it is checked."""

    image: CleanImage
    alt_text: str = ""


def save_image_files(folder: str, image: CleanImage) -> tuple[str, str]:
    # Random names: nothing about the person or the proposal, and nothing to guess.
    stem = f"{folder}/{uuid.uuid4().hex}"
    full = default_storage.save(stem + OUTPUT_SUFFIX, ContentFile(image.full.data))
    thumb = default_storage.save(stem + "-thumb" + OUTPUT_SUFFIX, ContentFile(image.thumbnail.data))
    return full, thumb


def delete_files_on_commit(names: Iterable[str | None]) -> None:
    """Remove stored files once the transaction that dropped their rows has committed (a
    rolled-back deletion keeps them, as it keeps the rows)."""
    kept = [n for n in names if n]
    if kept:
        transaction.on_commit(lambda: discard_files(kept))


def discard_files(names: Iterable[str | None]) -> None:
    """Remove files just written for a change that was refused."""
    for name in names:
        if name:
            default_storage.delete(name)


def photo_files(photos: QuerySet[ProposalPhoto]) -> list[str]:
    return [name for pair in photos.values_list("image", "thumbnail") for name in pair]


def check_photo_count(existing: int, adding: int) -> None:
    limit = settings.PHOTOS_PER_PROPOSAL
    if existing + adding > limit:
        raise _refusal(
            "photo",
            ngettext(
                "A proposal can have at most %(n)d photo.",
                "A proposal can have at most %(n)d photos.",
                limit,
            )
            % {"n": limit},
            "too_many",
        )


def store_photos(proposal: Proposal, uploader: Person, photos: Sequence[NewPhoto]) -> None:
    """Attach checked photos to `proposal` (inside the caller's transaction): the rows and their
    files, or — if a row is refused — neither."""
    check_photo_count(ProposalPhoto.objects.filter(proposal=proposal).count(), len(photos))
    for new in photos:
        full, thumb = save_image_files(PHOTO_FOLDER, new.image)
        photo = ProposalPhoto(
            proposal=proposal,
            uploaded_by=signed_in(uploader),
            image=full,
            thumbnail=thumb,
            width=new.image.full.width,
            height=new.image.full.height,
            alt_text=new.alt_text.strip(),
        )
        try:
            photo.full_clean()
            photo.save()
        except Exception:
            discard_files([full, thumb])
            raise


@transaction.atomic
def photo_add(*, user: Person, proposal: Proposal, photo: NewPhoto) -> ProposalPhoto:
    """The author adds a photo to their proposal (under the same rule as editing it)."""
    locked = Proposal.objects.select_for_update().select_related("project").get(pk=proposal.pk)
    rules.may_add_photo.enforce(user, locked)
    store_photos(locked, user, [photo])
    return ProposalPhoto.objects.filter(proposal=locked).latest("created_at", "pk")


@transaction.atomic
def photo_moderate(
    *, actor: Person, photo: ProposalPhoto, action: str, reason: str = ""
) -> ProposalPhoto:
    """hide (with a reason the author reads) or restore one photo; audited."""
    locked = (
        ProposalPhoto.objects.select_for_update(of=("self",))
        .select_related("proposal__project")
        .get(pk=photo.pk)
    )
    rules.may_moderate.enforce(actor, locked.proposal.project)
    reason = reason.strip()
    before = {"is_hidden": locked.is_hidden, "moderation_reason": locked.moderation_reason}
    if action == "hide":
        if not reason:
            raise _refusal(
                "reason", _("Say why the photo is hidden; its author reads it."), "required"
            )
        if locked.is_hidden:
            raise _refusal("action", _("This photo is already hidden."), "invalid")
        locked.is_hidden, locked.moderation_reason = True, reason
    elif action == "restore":
        if not locked.is_hidden:
            raise _refusal("action", _("Only hidden photos can be restored."), "invalid")
        locked.is_hidden, locked.moderation_reason = False, ""
    else:
        raise _refusal("action", _("Unknown action."), "invalid")
    locked.save(update_fields=["is_hidden", "moderation_reason"])
    log_action(
        actor=actor,
        action=f"photo.{action}",
        obj=locked,
        project=locked.proposal.project,
        before=before,
        after={"is_hidden": locked.is_hidden, "moderation_reason": locked.moderation_reason},
        reason=reason,
    )
    photo.is_hidden, photo.moderation_reason = locked.is_hidden, locked.moderation_reason
    return locked


def project_image_changes(project: Project, image: CleanImage | bool | None) -> dict[str, Any]:
    """The stored names for a project image: a new picture's files, or none when `image` is
    False (removed); the old files go once the change commits (called by project_update)."""
    old = [project.image.name, project.image_thumbnail.name]
    if image is None:
        return {}
    delete_files_on_commit(old)
    if image is False:
        return {"image": "", "image_thumbnail": ""}
    assert isinstance(image, CleanImage)  # noqa: S101 - narrowed for the type checker
    full, thumb = save_image_files(PROJECT_IMAGE_FOLDER, image)
    return {"image": full, "image_thumbnail": thumb}


def photos_visible_to(user: Person, proposal: Proposal) -> list[ProposalPhoto]:
    """The photos of a proposal `user` may see: hidden ones only for their author and planners
    (who see them marked as hidden). Asks rules.may_view_photo's conditions in SQL."""
    photos = ProposalPhoto.objects.filter(proposal=proposal)
    if not (rules.is_planner(user) or rules.is_author(user, proposal)):
        photos = photos.filter(is_hidden=False)
    result = list(photos)
    for photo in result:
        photo.proposal = proposal
    return result


def public_photo_filter(prefix: str = "") -> Q:
    """Photos everyone may see, as a filter (lists and popups show only these)."""
    return Q(**{f"{prefix}is_hidden": False})


def stored_names() -> set[str]:
    """Every picture file a row refers to (proposal photos, project and progress images)."""
    names: set[str] = set()
    for model, fields in (
        (ProposalPhoto, ("image", "thumbnail")),
        (Project, ("image", "image_thumbnail")),
        (ProgressUpdate, ("image", "image_thumbnail")),
    ):
        for row in model.objects.values_list(*fields):  # type: ignore[attr-defined]
            names.update(name for name in row if name)
    return names


def orphans_prune(*, older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Delete picture files no row refers to: left by a write whose transaction rolled back
    after the files were written, or by rows deleted by a cascade (a project deleted in the
    admin). Files younger than `older_than` are kept: their row may not be committed yet."""
    keep = stored_names()
    cutoff = timezone.now() - older_than
    removed = []
    for folder in (PHOTO_FOLDER, PROJECT_IMAGE_FOLDER, PROGRESS_IMAGE_FOLDER):
        if not default_storage.exists(folder):
            continue
        for filename in default_storage.listdir(folder)[1]:
            name = f"{folder}/{filename}"
            if name in keep or default_storage.get_modified_time(name) > cutoff:
                continue
            default_storage.delete(name)
            removed.append(name)
    return removed

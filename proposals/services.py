"""Write use cases of participation: each validates, checks its rule, and stores all or nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from geo.validation import as_storage_point
from locations.models import Site
from proposals import rules
from proposals.models import Category, Comment, Project, Proposal, Vote


@transaction.atomic
def proposal_create(
    *,
    author: Any,
    project: Project,
    title: str,
    description: str = "",
    location: GEOSGeometry | None = None,
    category: Category | None = None,
    site: Site | None = None,
    now: datetime | None = None,
) -> Proposal:
    """A citizen's pin (with a location) or a planner's option at a site (takes the site's point)."""
    if site is not None:
        rules.may_post_option.enforce(author, project, now)
        point = site.location
    else:
        rules.may_add_proposal.enforce(author, project, now)
        point = as_storage_point(location)
    if category is not None and category.project_id != project.pk:
        raise ValidationError(
            {"category": _("This category does not belong to the project.")}, code="invalid"
        )
    # Asked of PostGIS, against the stored perimeter, so the map, the API and this check agree.
    if not Project.objects.filter(pk=project.pk, perimeter__covers=point).exists():
        raise ValidationError(
            {"location": _("The place lies outside the project's area. Choose a place inside it.")},
            code="outside_perimeter",
        )
    pre_moderated = project.moderation == Project.Moderation.PRE and not rules.is_planner(author)
    proposal = Proposal(
        project=project,
        site=site,
        title=title.strip(),
        description=description.strip(),
        category=category,
        location=point,
        author=author,
        visibility=Proposal.Visibility.PENDING if pre_moderated else Proposal.Visibility.PUBLISHED,
    )
    proposal.full_clean()
    proposal.save()
    return proposal


@transaction.atomic
def comment_create(
    *,
    author: Any,
    proposal: Proposal,
    body: str,
    parent: Comment | None = None,
    now: datetime | None = None,
) -> Comment:
    rules.may_comment.enforce(author, proposal, now)
    if parent is not None:
        if parent.proposal_id != proposal.pk:
            raise ValidationError(
                {"parent": _("You can only reply to a comment on the same proposal.")},
                code="invalid",
            )
        if parent.parent_id is not None:
            # One level of replies keeps discussions readable (and the page simple to navigate).
            raise ValidationError(
                {"parent": _("Replies to replies are not possible; reply to the first comment.")},
                code="nested",
            )
    comment = Comment(proposal=proposal, parent=parent, author=author, body=body.strip())
    comment.full_clean()
    comment.save()
    return comment


def vote_cast(*, user: Any, proposal: Proposal, now: datetime | None = None) -> Vote:
    """A support vote: one per person and proposal, guaranteed by the database's constraint."""
    rules.may_vote.enforce(user, proposal, now)
    try:
        with transaction.atomic():
            return Vote.objects.create(project_id=proposal.project_id, proposal=proposal, user=user)
    except IntegrityError:
        raise ValidationError(
            {"proposal": _("You have already supported this proposal.")}, code="duplicate"
        ) from None


@transaction.atomic
def vote_withdraw(*, user: Any, proposal: Proposal, now: datetime | None = None) -> None:
    rules.may_vote.enforce(user, proposal, now)
    deleted, _by_model = Vote.objects.filter(user=user, proposal=proposal).delete()
    if not deleted:
        raise ValidationError(
            {"proposal": _("You have not voted for this proposal.")}, code="no_vote"
        )

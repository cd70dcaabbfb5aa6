"""The proposals as an export data set, and what `?project=` names in any export."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from geo.exports import ExportDataset, ExportLayer, ExportOptions, ExportScope
from geo.geojson import FeatureSpec
from proposals.models import Project, Proposal
from proposals.selectors import proposals_visible_to, with_counts

SHAPEFILE_NAMES = {
    "comment_count": "comments",
    "created_at": "created",
    "description": "descript",
}
NUMERIC = frozenset({"id", "vote_count", "comment_count", "is_option"})


def exported_proposal_rows(project: Project | None) -> tuple[QuerySet[Proposal], FeatureSpec]:
    """The proposals an export may carry and their properties.

    Today's rows and SQL, moved here unchanged from `geo/exports.py`. When the one public
    proposal row exists (`proposals/features.py`, issue 9 item 3), this function is the single
    place of the exports to point at it; everything else here only registers the data set.
    """
    # What the public sees, and nothing more: published proposals of published projects.
    proposals = with_counts(proposals_visible_to(AnonymousUser(), project=project))
    # Not named `is_option`: that is a property of the model, the annotation would shadow it.
    proposals = proposals.annotate(
        at_site=ExpressionWrapper(Q(site__isnull=False), output_field=BooleanField())
    ).order_by("pk")
    return proposals, FeatureSpec(
        geometry="location",
        properties={
            "id": "id",
            "title": "title",
            "description": "description",
            "project": "project__slug",
            "category": "category__name",
            "status": "status",
            "is_option": "at_site",
            "site": "site__slug",
            "vote_count": "vote_count",
            "comment_count": "comment_count",
            "created_at": "created_at",
        },
    )


def proposal_layers(options: ExportOptions) -> Sequence[ExportLayer]:
    project = options.project.subject if options.project else None
    assert project is None or isinstance(project, Project)  # noqa: S101 - our own lookup made it
    rows, spec = exported_proposal_rows(project)
    return [ExportLayer("proposals", rows, spec, "POINT", NUMERIC)]


def project_scope(slug: str) -> ExportScope | None:
    """`?project=<slug>`: the project's perimeter limits every data set."""
    project = Project.objects.filter(slug=slug).first()
    if project is None:
        return None
    return ExportScope(slug=project.slug, perimeter=project.perimeter, subject=project)


PROPOSALS = ExportDataset(name="proposals", layers=proposal_layers, shapefile_names=SHAPEFILE_NAMES)

"""The proposals as an export data set, and what `?project=` names in any export."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from geo.exports import ExportDataset, ExportLayer, ExportOptions, ExportScope
from geo.geojson import FeatureSpec
from proposals.features import proposal_export_source
from proposals.models import Project, Proposal

SHAPEFILE_NAMES = {
    "comment_count": "comments",
    "created_at": "created",
    "description": "descript",
}
NUMERIC = frozenset({"id", "vote_count", "comment_count", "is_option"})


def exported_proposal_rows(project: Project | None) -> tuple[QuerySet[Proposal], FeatureSpec]:
    """The proposals an export carries: the public proposal feature (`proposals/features.py`).

    What the public sees and nothing more, whoever downloads: published proposals of published
    projects, vote totals only where the results rule makes them public.
    """
    return proposal_export_source(None, project=project)


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

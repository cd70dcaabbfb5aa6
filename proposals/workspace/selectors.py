"""Reads of the planners' workspace: filtered proposals, the moderation queue, response history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.types import Person
from geo import analysis
from geo.models import Area
from locations.models import Site
from proposals.models import Comment, PaperTallyCount, Proposal, ProposalPhoto, Report
from proposals.selectors import proposals_visible_to, with_counts

# The workspace map gets at most this many proposals as GeoJSON; above it, vector tiles.
MAP_FEATURE_CAP = 5000


def workspace_proposals(user: Person, filters: Mapping[str, Any]) -> QuerySet[Proposal]:
    """Proposals a planner sees, narrowed by the cleaned filter form (any subset of fields)."""
    proposals = proposals_visible_to(user)
    if filters.get("project"):
        proposals = proposals.filter(project__slug=filters["project"])
    if filters.get("status"):
        proposals = proposals.filter(status=filters["status"])
    if filters.get("visibility"):
        proposals = proposals.filter(visibility=filters["visibility"])
    if filters.get("category"):
        proposals = proposals.filter(category_id=filters["category"])
    if filters.get("date_from"):
        proposals = proposals.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        proposals = proposals.filter(created_at__date__lte=filters["date_to"])
    if filters.get("q"):
        text = filters["q"]
        proposals = proposals.filter(Q(title__icontains=text) | Q(description__icontains=text))
    if filters.get("district"):
        district = Area.objects.filter(kind=Area.Kind.DISTRICT, slug=filters["district"])
        proposals = proposals.filter(location__coveredby=Subquery(district.values("geometry")[:1]))
    if filters.get("area") is not None:
        proposals = analysis.within_polygon(proposals, filters["area"])
    place = None
    if filters.get("site"):
        site = Site.objects.filter(slug=filters["site"]).only("location", "outline").first()
        if site is not None:
            place = site.outline if site.outline is not None else site.location
    elif filters.get("point") is not None:
        place = filters["point"]
    if place is not None and filters.get("distance"):
        proposals = analysis.within_distance(proposals, place, filters["distance"])
    return proposals


def for_table(proposals: QuerySet[Proposal]) -> QuerySet[Proposal]:
    """Everything a table row shows, in the same one query: counts, district, open reports."""
    district = Area.objects.filter(
        kind=Area.Kind.DISTRICT, geometry__covers=OuterRef("location")
    ).order_by("pk")
    open_reports = (
        Report.objects.filter(proposal=OuterRef("pk"), resolved_at__isnull=True)
        .values("proposal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # Paper votes of the current tallies (a corrected tally counts once, in its latest version):
    # the table shows online, paper and total as the results do.
    paper = (
        PaperTallyCount.objects.filter(proposal=OuterRef("pk"), tally__superseded_by__isnull=True)
        .values("proposal")
        .annotate(n=Sum("votes"))
        .values("n")
    )
    return with_counts(proposals.select_related("project", "category")).annotate(
        district_name=Subquery(district.values("name")[:1]),
        open_reports=Coalesce(Subquery(open_reports), Value(0), output_field=IntegerField()),
        paper_count=Coalesce(Subquery(paper), Value(0), output_field=IntegerField()),
    )


def moderation_queue() -> dict[str, Any]:
    """Pending proposals of pre-moderated projects (with their photos, which wait with them),
    everything with open reports, and what was hidden lately."""
    open_reports = Report.objects.filter(resolved_at__isnull=True)
    reports = list(
        open_reports.select_related(
            "reporter", "proposal__project", "comment__proposal__project", "comment__author"
        ).order_by("created_at", "pk")
    )
    pending = list(
        Proposal.objects.filter(visibility=Proposal.Visibility.PENDING)
        .select_related("project", "author", "category")
        .prefetch_related(Prefetch("photos", queryset=ProposalPhoto.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
    hidden_proposals = list(
        Proposal.objects.filter(visibility=Proposal.Visibility.HIDDEN, merged_into__isnull=True)
        .select_related("project")
        .order_by("-updated_at", "-pk")[:50]
    )
    hidden_comments = list(
        Comment.objects.filter(is_hidden=True)
        .select_related("proposal__project", "author")
        .order_by("-created_at", "-pk")[:50]
    )
    hidden_photos = list(
        ProposalPhoto.objects.filter(is_hidden=True)
        .select_related("proposal__project")
        .order_by("-created_at", "-pk")[:50]
    )
    return {
        "reports": reports,
        "pending": pending,
        "hidden_proposals": hidden_proposals,
        "hidden_comments": hidden_comments,
        "hidden_photos": hidden_photos,
    }


MERGE_RADIUS_M = 300
MERGE_CANDIDATES = 8


def merge_candidates(proposal: Proposal) -> list[Proposal]:
    """Proposals of the same project near this one, nearest first: what it may duplicate.

    Merged-away proposals are left out (they point elsewhere already); `distance_m` is the
    distance in metres on EPSG:25832.
    """
    others = Proposal.objects.filter(project_id=proposal.project_id, merged_into__isnull=True)
    return list(
        analysis.within_distance(
            others.exclude(pk=proposal.pk), proposal.location, MERGE_RADIUS_M
        ).select_related("category")[:MERGE_CANDIDATES]
    )

"""Reads of participation that pages and the API share."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Polygon
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from proposals import rules
from proposals.models import Comment, Project, Proposal, Vote

def projects_visible_to(user: Any) -> QuerySet[Project]:
    projects = Project.objects.all()
    return projects if rules.is_planner(user) else projects.filter(is_published=True)

def proposals_visible_to(user: Any, *, project: Project | None = None) -> QuerySet[Proposal]:
    """Published proposals of published projects; one's own pending ones; everything for planners."""
    proposals = Proposal.objects.all()
    if project is not None:
        proposals = proposals.filter(project=project)
    if rules.is_planner(user):
        return proposals
    visible = Q(visibility=Proposal.Visibility.PUBLISHED)
    if user.is_authenticated:
        visible |= Q(author=user) & ~Q(visibility=Proposal.Visibility.HIDDEN)
    return proposals.filter(visible, project__is_published=True)

def with_counts(proposals: QuerySet[Proposal], *, user: Any = None) -> QuerySet[Proposal]:
    """Vote and comment totals aggregated in SQL (subqueries, so the two never multiply)."""
    votes = (
        Vote.objects.filter(proposal=OuterRef("pk"))
        .values("proposal")
        .annotate(total=Sum("weight"))
        .values("total")
    )
    comments = (
        Comment.objects.filter(proposal=OuterRef("pk"), is_hidden=False)
        .values("proposal")
        .annotate(total=Count("pk"))
        .values("total")
    )
    annotated = proposals.annotate(
        vote_count=Coalesce(votes, Value(0), output_field=IntegerField()),
        comment_count=Coalesce(comments, Value(0), output_field=IntegerField()),
    )
    if user is not None and user.is_authenticated:
        annotated = annotated.annotate(
            has_voted=Exists(Vote.objects.filter(proposal=OuterRef("pk"), user=user))
        )
    return annotated

def proposals_in_bbox(proposals: QuerySet[Proposal], bbox: Polygon) -> QuerySet[Proposal]:
    """Proposals whose point lies in the box (GiST index: `&&`, then the exact test)."""
    return proposals.filter(location__intersects=bbox)

def vote_counts(project: Project) -> dict[int, int]:
    """Online votes per proposal of a project, summed in the database."""
    rows = (
        Vote.objects.filter(project=project)
        .values("proposal")
        .annotate(total=Sum("weight"))
        .values_list("proposal", "total")
    )
    return dict(rows)

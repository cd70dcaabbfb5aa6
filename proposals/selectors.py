"""Reads of participation that pages and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Polygon
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Rank

from proposals import rules
from proposals.models import Comment, PaperTally, PaperTallyCount, Project, Proposal, Vote


def projects_visible_to(user: Any) -> QuerySet[Project]:
    projects = Project.objects.all()
    return projects if rules.is_planner(user) else projects.filter(is_published=True)


def proposals_visible_to(user: Any, *, project: Project | None = None) -> QuerySet[Proposal]:
    """Published proposals of published projects, and own pending ones; planners see all."""
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


@dataclass(frozen=True)
class ResultRow:
    proposal_id: int
    title: str
    site_id: int | None
    online: int
    paper: int
    total: int
    share: float  # of all votes in the project, 0..1
    rank: int  # equal totals share a rank: ties are shown as ties


def current_tallies(project: Project) -> QuerySet[PaperTally]:
    """The latest version of each paper tally: those no correction has superseded."""
    return PaperTally.objects.filter(project=project, superseded_by__isnull=True)


def project_results(project: Project) -> list[ResultRow]:
    """Online, paper and total votes per option, ranked; every sum is computed by PostgreSQL."""
    online = (
        Vote.objects.filter(proposal=OuterRef("pk"))
        .values("proposal")
        .annotate(n=Sum("weight"))
        .values("n")
    )
    paper = (
        PaperTallyCount.objects.filter(proposal=OuterRef("pk"), tally__superseded_by__isnull=True)
        .values("proposal")
        .annotate(n=Sum("votes"))
        .values("n")
    )
    rows = (
        Proposal.objects.filter(project=project, visibility=Proposal.Visibility.PUBLISHED)
        .annotate(
            online=Coalesce(Subquery(online), 0, output_field=IntegerField()),
            paper=Coalesce(Subquery(paper), 0, output_field=IntegerField()),
        )
        .annotate(total=F("online") + F("paper"))
        .annotate(
            rank=Window(Rank(), order_by=F("total").desc()),
            grand_total=Window(Sum("total")),
        )
        .order_by("-total", "title", "pk")
        .values_list("pk", "title", "site_id", "online", "paper", "total", "rank", "grand_total")
    )
    return [
        ResultRow(
            proposal_id=pk,
            title=title,
            site_id=site_id,
            online=on,
            paper=pa,
            total=total,
            share=(total / grand) if grand else 0.0,
            rank=rank,
        )
        for pk, title, site_id, on, pa, total, rank, grand in rows
    ]


def my_votes(user: Any, project: Project) -> dict[int, int]:
    """A person's own votes in a project (proposal id → votes): nobody else's are ever shown."""
    if not user.is_authenticated:
        return {}
    return dict(Vote.objects.filter(project=project, user=user).values_list("proposal", "weight"))

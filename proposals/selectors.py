"""Reads of participation that pages and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.gis.db.models.functions import Intersection, PointOnSurface
from django.contrib.gis.geos import Point, Polygon
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Rank

from geo.models import Area
from locations.models import Site
from proposals import rules
from proposals.models import Comment, PaperTally, PaperTallyCount, Project, Proposal, Vote


def projects_visible_to(user: Any) -> QuerySet[Project]:
    projects = Project.objects.all()
    return projects if rules.is_planner(user) else projects.filter(is_published=True)


def proposals_visible_to(
    user: Any, *, project: Project | None = None, sight: rules.Sight = rules.Sight.LISTED
) -> QuerySet[Proposal]:
    """The proposals `user` sees at least as far as `sight` (the rule: `rules.proposal_sight`).

    LISTED (the default) is what lists, maps, tiles and exports show; REACHABLE adds those
    whose own address answers (the author's hidden ones, merged ones).
    """
    proposals = Proposal.objects.all()
    if project is not None:
        proposals = proposals.filter(project=project)
    seen = rules.proposal_sight_filter(user, sight)
    return proposals if seen is None else proposals.filter(seen)


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
    location: Point | None = None


def current_tallies(project: Project) -> QuerySet[PaperTally]:
    """The latest version of each paper tally: those no correction has superseded."""
    return PaperTally.objects.filter(project=project, superseded_by__isnull=True)


def results_queryset(project: Project) -> QuerySet[Any]:
    """Options of a project annotated with online, paper and total votes, rank and grand total.

    Every sum is computed by PostgreSQL; paper votes count only the current version of each
    tally. Equal totals share a rank (SQL RANK()), so ties show as ties.
    """
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
    return (
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
    )


def project_results(project: Project) -> list[ResultRow]:
    """The ranking of a project's options: online, paper, total, share and rank."""
    rows = results_queryset(project).values_list(
        "pk", "title", "site_id", "online", "paper", "total", "rank", "grand_total", "location"
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
            location=location,
        )
        for pk, title, site_id, on, pa, total, rank, grand, location in rows
    ]


def my_votes(user: Any, project: Project) -> dict[int, int]:
    """A person's own votes in a project (proposal id → votes): nobody else's are ever shown."""
    if not user.is_authenticated:
        return {}
    return dict(Vote.objects.filter(project=project, user=user).values_list("proposal", "weight"))


@dataclass(frozen=True)
class Place:
    """An entry of a project's gazetteer: a named place inside its area, and a point there."""

    key: str  # "site:<slug>" or "area:<slug>": what the place form field sends
    name: str
    group: str  # the kind, for grouping the list
    lon: float
    lat: float


def project_places(project: Project) -> list[Place]:
    """The city's sites and districts inside the project's area, to pick a place without a mouse.

    A district reaching beyond the area is represented by a point of its part inside the area
    (PostGIS's PointOnSurface of the intersection), so every entry is a place one may pin.
    """
    kinds = dict(Site.Kind.choices)
    places = [
        Place(f"site:{slug}", name, str(kinds.get(kind, kind)), point.x, point.y)
        for slug, name, kind, point in Site.objects.filter(location__coveredby=project.perimeter)
        .order_by("kind", "name")
        .values_list("slug", "name", "kind", "location")
    ]
    districts = (
        Area.objects.filter(kind=Area.Kind.DISTRICT, geometry__intersects=project.perimeter)
        .annotate(inside=PointOnSurface(Intersection("geometry", project.perimeter)))
        .order_by("name")
        .values_list("slug", "name", "inside")
    )
    group = str(Area.Kind.DISTRICT.label)
    places += [
        Place(f"area:{slug}", name, group, point.x, point.y)
        for slug, name, point in districts
        if point is not None and not point.empty
    ]
    return places


# A project map shows the city's sites inside its area; more than this would clutter it.
MAX_SITES_ON_MAP = 200


def sites_on_map(project: Project) -> QuerySet[Site]:
    """The city's sites touching the project's area, with only what the map draws."""
    return Site.objects.filter(location__intersects=project.perimeter).only(
        "name", "location", "outline"
    )[:MAX_SITES_ON_MAP]


@dataclass(frozen=True)
class CommentNode:
    comment: Comment
    replies: list[CommentNode]


def comment_tree(proposal: Proposal) -> list[CommentNode]:
    """The visible comments, top level first with their replies nested, in one query.

    A reply to a hidden comment stays hidden too: it is reached only through its parent.
    """
    comments = Comment.objects.filter(proposal=proposal, is_hidden=False).select_related(
        "author__profile"
    )
    children: dict[int | None, list[Comment]] = {}
    for comment in comments:
        children.setdefault(comment.parent_id, []).append(comment)

    def node(comment: Comment) -> CommentNode:
        return CommentNode(comment, [node(c) for c in children.get(comment.pk, [])])

    return [node(c) for c in children.get(None, [])]

"""Reads of participation that pages and the API share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.db.models.functions import Intersection, PointOnSurface
from django.contrib.gis.geos import Polygon
from django.db import connection, connections, router
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from accounts.types import Person
from geo.models import Area
from locations.models import Site
from proposals import rules
from proposals.models import (
    Comment,
    PaperTally,
    Project,
    ProjectDataVersion,
    Proposal,
    ProposalPhoto,
    Vote,
)


def projects_visible_to(user: Person) -> QuerySet[Project]:
    projects = Project.objects.all()
    return projects if rules.is_planner(user) else projects.filter(is_published=True)


# What a page kept for visitors is looked up by: the fields the rules of seeing a project and
# its phase read, and the data version. Constant SQL: composing the ORM query cost more than
# running it, on every visit; the perimeter and text, not needed to find the kept page, stay.
_HEAD_FIELDS = [
    "id",
    "slug",
    "is_published",
    "ideas_start",
    "ideas_end",
    "voting_start",
    "voting_end",
    "results_visibility",
]
_HEAD_SQL = (
    f"SELECT {', '.join(f'p.{field}' for field in _HEAD_FIELDS)}, v.version"  # noqa: S608
    f" FROM {Project._meta.db_table} AS p"
    f" LEFT JOIN {ProjectDataVersion._meta.db_table} AS v ON v.project_id = p.id"
    " WHERE p.slug = %s"
)


# Votes change what a visitor's project page shows only where it shows vote totals: where the
# results are public, or are about to be. The margin covers a vote whose transaction began
# before voting closed and commits after: it still changes the data version.
VOTES_SHOWN_MARGIN = "1 minute"


def projects_showing_votes_sql() -> str:
    """SQL text of the ids of the projects whose page for visitors shows vote totals now or
    within VOTES_SHOWN_MARGIN (`rules.results_public_sql` for someone not signed in).

    The votes' data-version trigger tests this (migration 0010 holds the text, frozen as
    migrations are; tests/proposals/test_project_page_cache.py keeps the two equal), so a vote
    while the results are secret leaves the visitors' kept page in place.
    """
    at = RawSQL(  # noqa: S611 -- a constant of this module, no input
        f"now() + interval '{VOTES_SHOWN_MARGIN}'", (), output_field=DateTimeField()
    )
    public = Project.objects.filter(rules.results_public_sql(AnonymousUser(), at))
    sql, params = public.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:  # psycopg fills in the parameters as literals
        return str(cursor.mogrify(sql, params))


def project_head(slug: str) -> tuple[Project, int | None] | None:
    """The project with only the fields that decide who sees it and what its phase is (the
    others load when asked, as with `.only()`), and its data version (None: not known).

    Read before anything the page shows, so what is read after it is at least as new as it;
    from the database the request reads from (config/replicas.py), as those reads are.
    """
    alias = router.db_for_read(Project)
    with connections[alias].cursor() as cursor:
        cursor.execute(_HEAD_SQL, [slug])
        row = cursor.fetchone()
    if row is None:
        return None
    return Project.from_db(alias, _HEAD_FIELDS, row[:-1]), row[-1]


def proposals_visible_to(
    user: Person, *, project: Project | None = None, sight: rules.Sight = rules.Sight.LISTED
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


def with_counts(proposals: QuerySet[Proposal], *, user: Person | None = None) -> QuerySet[Proposal]:
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


def with_first_photo(proposals: QuerySet[Proposal]) -> QuerySet[Proposal]:
    """Each proposal's first photo everyone may see (`photo_id`, `photo_alt`), for lists: in
    the same query, so a list of pictures costs no query per row."""
    first = ProposalPhoto.objects.filter(proposal=OuterRef("pk"), is_hidden=False).order_by(
        "created_at", "pk"
    )
    return proposals.annotate(
        photo_id=Subquery(first.values("pk")[:1]),
        photo_alt=Subquery(first.values("alt_text")[:1]),
    )


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


def proposal_vote_total(proposal_id: int) -> int:
    """Online votes on one proposal (the weights summed): what a voter sees after voting."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(weight), 0) FROM proposals_vote WHERE proposal_id = %s",
            [proposal_id],
        )
        return int(cursor.fetchone()[0])


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
    tied: bool  # another option has the same total


@dataclass(frozen=True)
class Results:
    """One page of a project's ranking, with the sums over all of its options."""

    options: int  # how many options the whole ranking has
    online: int
    paper: int
    rows: list[ResultRow]
    offset: int = 0

    @property
    def total(self) -> int:
        return self.online + self.paper

    def __iter__(self) -> Iterator[ResultRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def current_tallies(project: Project) -> QuerySet[PaperTally]:
    """The latest version of each paper tally: those no correction has superseded."""
    return PaperTally.objects.filter(project=project, superseded_by__isnull=True)


# The ranking in one statement. Each table is read once: online votes and current paper counts
# are summed per option in one GROUP BY, not a subquery per row. The options with votes are found
# from the votes alone (a vote or paper count belongs to an option of its own project; the few
# options not published are left out), so no option row is read for the ranks and sums: they come
# from a histogram of the totals (one row per distinct total). Only the options the page can
# contain are read, by primary key: those with at least the total of the page's last one. The
# options without votes share the total 0 and are counted, not listed, unless the page reaches
# them (their branch's LIMIT is then above 0; at 0 PostgreSQL does not run it).
# Paper counts only the current version of each tally (one no correction superseded).
_RANKING_SQL = """
WITH marks AS (
    SELECT proposal_id, SUM(online) AS online, SUM(paper) AS paper
    FROM (
        SELECT proposal_id, weight AS online, 0 AS paper
        FROM proposals_vote WHERE project_id = %(project)s
        UNION ALL
        SELECT c.proposal_id, 0, c.votes
        FROM proposals_papertallycount c JOIN proposals_papertally t ON t.id = c.tally_id
        WHERE t.project_id = %(project)s
          AND NOT EXISTS (SELECT 1 FROM proposals_papertally s WHERE s.supersedes_id = t.id)
    ) AS each_mark
    GROUP BY proposal_id
), positive AS MATERIALIZED (
    SELECT proposal_id AS id, online, paper, online + paper AS total
    FROM marks
    WHERE online + paper > 0
      AND proposal_id NOT IN (
          SELECT id FROM proposals_proposal
          WHERE project_id = %(project)s AND visibility = ANY(%(unpublished)s))
), histogram AS (
    SELECT total, COUNT(*) AS n, SUM(online) AS online, SUM(paper) AS paper
    FROM positive GROUP BY total
    UNION ALL
    SELECT 0, COUNT(*) - (SELECT COUNT(*) FROM positive), 0, 0
    FROM proposals_proposal WHERE project_id = %(project)s AND visibility = %(published)s
), totals AS (
    SELECT total, n, online, paper, SUM(n) OVER (ORDER BY total DESC) - n + 1 AS rank
    FROM histogram WHERE n > 0
), sums AS (
    SELECT COALESCE(SUM(n), 0) AS options, COALESCE(SUM(online), 0) AS online,
           COALESCE(SUM(paper), 0) AS paper
    FROM totals
), boundary AS (
    SELECT total FROM positive ORDER BY total DESC
    LIMIT 1 OFFSET GREATEST(COALESCE(%(end)s, 1) - 1, 0)
), candidates AS (
    (SELECT v.id, p.title, p.site_id, v.online, v.paper, v.total
     FROM positive v
     CROSS JOIN LATERAL (SELECT title, site_id FROM proposals_proposal WHERE id = v.id) AS p
     WHERE %(end)s IS NULL OR v.total >= COALESCE((SELECT total FROM boundary), 0))
    UNION ALL
    (SELECT p.id, p.title, p.site_id, 0, 0, 0 FROM proposals_proposal p
     WHERE p.project_id = %(project)s AND p.visibility = %(published)s
       AND NOT EXISTS (SELECT 1 FROM positive s WHERE s.id = p.id)
     ORDER BY p.title, p.id
     LIMIT CASE WHEN %(end)s IS NULL THEN NULL
                ELSE GREATEST(%(end)s - (SELECT COUNT(*) FROM positive), 0) END)
), page AS (
    SELECT * FROM candidates ORDER BY total DESC, title, id LIMIT %(limit)s OFFSET %(offset)s
)
SELECT sums.options, sums.online, sums.paper,
       page.id, page.title, page.site_id, page.online, page.paper, page.total,
       totals.rank, totals.n > 1
FROM sums LEFT JOIN (page JOIN totals USING (total)) ON TRUE
ORDER BY page.total DESC, page.title, page.id
"""


def ranking_sql(project: Project, *, limit: int | None = None, offset: int = 0) -> tuple[str, dict]:
    """The ranking's SQL and parameters: a row of sums, then one row per option of the page.

    Every row carries the sums over all options (options, online, paper); without options on the
    page (an empty project, or an offset past the end) there is one row of sums and nulls.
    """
    params = {
        "project": project.pk,
        "published": Proposal.Visibility.PUBLISHED,
        "unpublished": [
            v for v in Proposal.Visibility.values if v != Proposal.Visibility.PUBLISHED
        ],
        "limit": limit,  # LIMIT NULL: all
        "offset": max(offset, 0),
        "end": None if limit is None else max(offset, 0) + limit,
    }
    return _RANKING_SQL, params


def project_results(project: Project, *, limit: int | None = None, offset: int = 0) -> Results:
    """The ranking of a project's options (online, paper, total, share, rank, tie), one page of it.

    Sums, ranks and ties are over all options, whatever the page; `limit=None` gives them all.
    """
    sql, params = ranking_sql(project, limit=limit, offset=offset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        records = cursor.fetchall()
    options, online, paper = (int(v) for v in records[0][:3])
    rows = [row for record in records if (row := _result_row(record)) is not None]
    return Results(options=options, online=online, paper=paper, rows=rows, offset=max(offset, 0))


def iter_project_results(project: Project, *, chunk_size: int = 2000) -> Iterator[ResultRow]:
    """Every option of the ranking, through a server-side cursor: memory stays flat for any size."""
    sql, params = ranking_sql(project)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while records := cursor.fetchmany(chunk_size):
            for record in records:
                if (row := _result_row(record)) is not None:
                    yield row


def _result_row(record: tuple) -> ResultRow | None:
    _options, online, paper, pk, title, site_id, on, pa, total, rank, tied = record
    if pk is None:  # the row of sums alone: no option on this page
        return None
    grand = int(online) + int(paper)
    return ResultRow(
        proposal_id=pk,
        title=title,
        site_id=site_id,
        online=int(on),
        paper=int(pa),
        total=int(total),
        share=(int(total) / grand) if grand else 0.0,
        rank=int(rank),
        tied=tied,
    )


def iter_result_features(
    project: Project, *, limit: int | None = None, chunk_size: int = 2000
) -> Iterator[str]:
    """The ranking as GeoJSON Feature texts built by PostGIS (top `limit` options, or all)."""
    ranking, params = ranking_sql(project, limit=limit)
    sql = (
        "SELECT json_build_object('type', 'Feature', 'id', r.id, "  # noqa: S608 -- our own SQL
        "'geometry', ST_AsGeoJSON(p.location, 7, 0)::json, "
        "'properties', json_build_object('title', r.title, 'site', s.slug, "
        "'online', r.online, 'paper', r.paper, 'total', r.total, 'rank', r.rank))::text "
        f"FROM ({ranking}) AS r(options, all_online, all_paper, id, title, site_id, online, "
        "paper, total, rank, tied) "
        "JOIN proposals_proposal p ON p.id = r.id "
        "LEFT JOIN locations_site s ON s.id = r.site_id "
        "ORDER BY r.total DESC, r.title, r.id"
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while records := cursor.fetchmany(chunk_size):
            for (feature,) in records:
                yield feature


def my_votes(user: Person, project: Project) -> dict[int, int]:
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
    """The comments, top level first with their replies nested, in one query.

    Moderation hides exactly one comment: a hidden reply goes; a hidden comment others replied
    to stays as a note (its text never shown) above their replies, which count and show as
    everywhere else.
    """
    comments = Comment.objects.filter(proposal=proposal).select_related("author__profile")
    children: dict[int | None, list[Comment]] = {}
    for comment in comments:
        if comment.parent_id is None or not comment.is_hidden:
            children.setdefault(comment.parent_id, []).append(comment)

    def node(comment: Comment) -> CommentNode:
        return CommentNode(comment, [node(c) for c in children.get(comment.pk, [])])

    return [node(c) for c in children.get(None, []) if not c.is_hidden or children.get(c.pk)]


@dataclass(frozen=True)
class Participation:
    """What one person did: their proposals (with the city's responses), comments and votes."""

    proposals: list[Proposal]
    comments: list[Comment]
    votes: list[Vote]


MAX_PARTICIPATION_ROWS = 500


def participation_of(user: User) -> Participation:
    """A person's own proposals (with their photos), comments and votes, newest first, in five
    queries.

    Their own entries in any state (pending, hidden): the person may see what they wrote, and
    why moderation hid it.
    """
    proposals = list(
        Proposal.objects.filter(author=user)
        .select_related("project", "category")
        .prefetch_related("responses", "photos")
        .order_by("-created_at", "-pk")[:MAX_PARTICIPATION_ROWS]
    )
    comments = list(
        Comment.objects.filter(author=user)
        .select_related("proposal__project")
        .order_by("-created_at", "-pk")[:MAX_PARTICIPATION_ROWS]
    )
    votes = list(
        Vote.objects.filter(user=user)
        .select_related("proposal__project")
        .order_by("-created_at", "-pk")[:MAX_PARTICIPATION_ROWS]
    )
    return Participation(proposals=proposals, comments=comments, votes=votes)

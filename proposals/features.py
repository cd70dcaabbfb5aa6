"""A proposal as a public feature, defined once: its properties and the rows every surface serves.

REST (list and detail), OGC API - Features, vector tiles, the exports and the workspace all take
their proposal rows from `public_proposal_rows` (or `with_feature_columns` for a queryset of their
own) and their properties from `PROPERTIES`, each surface a named selection of them. Who sees a
proposal is `rules.proposal_sight`; whether its vote total shows is `rules.may_view_results`,
asked in the same statement through its SQL twin: a secret total is null, never a number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.types import Person
from geo.geojson import FeatureSpec
from proposals import rules
from proposals.links import url_template, url_template_sql
from proposals.models import Project, Proposal
from proposals.selectors import proposals_visible_to, with_counts, with_first_photo

if TYPE_CHECKING:
    from proposals.filters import ProposalFilter


@dataclass(frozen=True)
class Property:
    """One property: the column of `public_proposal_rows` it is read from, and its JSON type."""

    column: str
    schema: Mapping[str, Any]
    help: str | Promise = ""
    # Choices of a text property, for documents that list them (OpenAPI enums).
    choices: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def nullable(self) -> bool:
        return bool(self.schema.get("nullable"))


def _schema(kind: str, *, nullable: bool = False, **more: Any) -> dict[str, Any]:
    return {"type": kind, **({"nullable": True} if nullable else {}), **more}


VOTE_COUNT_HELP = _(
    "Online votes; null while the project keeps its results secret until voting closes."
)

# Name -> property, in the order features list them. Columns starting with `feature_` are
# annotations made by `with_feature_columns`; the others are fields (paths) of Proposal.
PROPERTIES: dict[str, Property] = {
    "id": Property("pk", _schema("integer")),
    "title": Property("title", _schema("string")),
    "description": Property("description", _schema("string")),
    "project": Property("project__slug", _schema("string"), _("The project's slug.")),
    "category": Property("category__name", _schema("string", nullable=True)),
    "category_color": Property(
        "category__color", _schema("string", nullable=True), _("Hex colour, #rrggbb.")
    ),
    "status": Property(
        "status", _schema("string"), _("The review status."), tuple(Proposal.Status.choices)
    ),
    "visibility": Property(
        "visibility",
        _schema("string"),
        _("The moderation state."),
        tuple(Proposal.Visibility.choices),
    ),
    "is_option": Property(
        "feature_is_option", _schema("boolean"), _("Put up by the city at one of its sites.")
    ),
    "site": Property("site__slug", _schema("string", nullable=True)),
    "vote_count": Property(
        "feature_vote_count", _schema("integer", nullable=True), VOTE_COUNT_HELP
    ),
    "comment_count": Property("comment_count", _schema("integer")),
    "created_at": Property("created_at", _schema("string", format="date-time")),
    "url": Property("feature_url", _schema("string"), _("The proposal's page.")),
    "photo": Property(
        "feature_photo",
        _schema("string", nullable=True),
        _("The small picture of the proposal's first photo (a path of this site), if it has one."),
    ),
    "photo_alt": Property(
        "feature_photo_alt",
        _schema("string", nullable=True),
        _("What that photo shows, for people who cannot see it."),
    ),
    "has_voted": Property(
        "has_voted", _schema("boolean"), _("Whether the requesting user voted for it.")
    ),
}

# What each surface shows (each kept as it was when the definitions were merged).
LIST = (
    "title", "project", "category", "category_color", "status", "is_option", "site",
    "vote_count", "comment_count", "created_at", "url", "photo", "photo_alt",
)  # fmt: skip
DETAIL = (*LIST, "description", "visibility", "has_voted")
OGC = (
    "title", "project", "category", "status", "is_option", "vote_count", "comment_count",
    "created_at",
)  # fmt: skip
EXPORT = (
    "id", "title", "description", "project", "category", "status", "is_option", "site",
    "vote_count", "comment_count", "created_at",
)  # fmt: skip
# `id` is also the MVT feature id (see api/v1/tiles.py).
TILE = ("id", "title", "category_color", "status", "vote_count")
# The workspace (planners) adds columns of its own on top of these.
WORKSPACE = (
    "title", "project", "status", "visibility", "category", "category_color", "vote_count",
    "comment_count", "created_at",
)  # fmt: skip
WORKSPACE_TILE = ("id", "title", "status", "vote_count")


@dataclass(frozen=True)
class Summary:
    """One property of a cluster: an SQL aggregate over the proposals it stands for.

    `column` is the column of `public_proposal_rows` it reads (None: the rows themselves);
    `aggregate` is SQL with `{}` where the tile's query names that column.
    """

    column: str | None
    aggregate: str
    schema: Mapping[str, Any]
    help: str | Promise = ""


# A cluster: the proposals of one cell of a vector tile's grid, where a tile at low zoom holds
# too many to draw one by one (api/v1/tiles.py). It stands for rows of `public_proposal_rows`,
# so it counts exactly what the person may see. No titles, totals or ids: a cluster is not a
# proposal. (The dominant category's colour was tried: `mode()` doubled a busy tile's time.)
CLUSTER: dict[str, Summary] = {
    "count": Summary(None, "count(*)", _schema("integer"), _("How many proposals it stands for.")),
}


def columns(names: Iterable[str]) -> dict[str, str]:
    """Property name -> column of the rows, for the properties `names`."""
    return {name: PROPERTIES[name].column for name in names}


def feature_spec(names: Iterable[str], **extra: str) -> FeatureSpec:
    """The FeatureSpec of a selection, with any surface-specific columns (`extra`) after it."""
    return FeatureSpec(geometry="location", properties={**columns(names), **extra})


LIST_SPEC = feature_spec(LIST)
DETAIL_SPEC = feature_spec(DETAIL)
OGC_SPEC = feature_spec(OGC)
EXPORT_SPEC = feature_spec(EXPORT)


def proposal_path_sql(slug_field: str = "project__slug", pk_field: str = "pk") -> Concat:
    """Each proposal's page path, built by the database from the reversed URL template."""
    template = url_template("proposals:proposal-detail", slug="{slug}", pk="{pk}")
    return url_template_sql(template, slug=slug_field, pk=pk_field)


def with_feature_columns(proposals: QuerySet[Proposal], *, user: Person) -> QuerySet[Proposal]:
    """The columns of PROPERTIES on `proposals`, every total aggregated in SQL.

    `vote_count` is null where `user` may not see the project's results (`rules.public_votes`):
    while voting runs, totals may stay secret until the end, so that they do not sway the vote.
    Columns a query does not select (`values_list`) cost nothing.
    """
    rows = with_first_photo(with_counts(proposals, user=user)).annotate(
        feature_vote_count=rules.public_votes(F("vote_count"), user),
        feature_is_option=ExpressionWrapper(Q(site__isnull=False), output_field=BooleanField()),
        feature_url=proposal_path_sql(),
        # The first photo everyone may see, as the project page's list shows it.
        feature_photo=Case(
            When(photo_id__isnull=True, then=Value(None)),
            default=url_template_sql(
                url_template("proposals:photo", pk="{pk}", variant="thumb"), pk="photo_id"
            ),
        ),
        feature_photo_alt=F("photo_alt"),
    )
    if not user.is_authenticated:
        rows = rows.annotate(has_voted=Value(False, output_field=BooleanField()))
    return rows


def public_proposal_rows(
    user: Person,
    *,
    projects: QuerySet[Project] | None = None,
    filters: ProposalFilter | None = None,
    sight: rules.Sight = rules.Sight.LISTED,
) -> QuerySet[Proposal]:
    """The proposals `user` sees (as far as `sight`), with every column of PROPERTIES.

    `projects` narrows to those projects; `filters` is a valid ProposalFilter (the list
    filters). One query: the results rule is part of it (`rules.public_votes`).
    """
    proposals = proposals_visible_to(user, sight=sight)
    if projects is not None:
        proposals = proposals.filter(project__in=projects)
    if filters is not None:
        proposals = filters.filter_queryset(proposals)
    return with_feature_columns(proposals, user=user)


def public_rows_key(
    user: Person,
    *,
    filters: ProposalFilter | None,
    sight: rules.Sight = rules.Sight.LISTED,
) -> tuple[Any, ...]:
    """Everything the SQL of `public_proposal_rows(user, filters=…)` depends on.

    Equal keys give the same SQL text, so a surface may compile it once and run it again
    (vector tiles do, for every tile of a map). The visibility rule enters as its own SQL
    filter, not as a guess at what it looks at; the person (has_voted) and the language
    (feature URLs) as columns carry them.
    """
    return (
        user.pk if user.is_authenticated else None,
        rules.proposal_sight_filter(user, sight),
        rules.is_planner(user),  # projects_visible_to, rules.public_votes
        tuple(sorted(filters.form.cleaned_data.items())) if filters is not None else None,
        get_language(),
    )


def proposal_export_source(
    user: Person | None = None, *, project: Project | None = None
) -> tuple[QuerySet[Proposal], FeatureSpec]:
    """The proposals data set for exports: its rows (by id) and how each becomes a feature.

    What `user` sees in lists (None: the public, e.g. a command-line export), with the EXPORT
    properties; vote totals only where the results rule lets `user` see them. Any CRS:
    `geo.geojson.iter_features(rows, spec, srid=25832)`, or `feature_sql(...)` for SQL text.
    """
    rows = public_proposal_rows(
        user if user is not None else AnonymousUser(),
        projects=Project.objects.filter(pk=project.pk) if project is not None else None,
    ).order_by("pk")
    return rows, EXPORT_SPEC

"""`manage.py generate_load`: synthetic proposals and votes for benchmarks, set-based in SQL."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from proposals.models import Category, Project, Proposal, Vote, VotingMode

USER_PREFIX = "load-user-"
# In support mode a synthetic person supports this many proposals at most: realistic enough,
# and it keeps the number of users needed for a million votes moderate.
DEFAULT_VOTES_PER_USER = 20
# One synthetic author per this many proposals, so authors repeat as they do in real projects.
PROPOSALS_PER_AUTHOR = 100


@dataclass(frozen=True)
class LoadResult:
    users: int
    proposals: int
    votes: int
    seconds: float


class Command(BaseCommand):
    help = (
        "Add synthetic published proposals, spread over a project's perimeter, and votes from "
        "synthetic users (load-user-<n>, no usable password). For benchmarks, never production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="Slug of the project to fill.")
        parser.add_argument("--proposals", type=int, default=0)
        parser.add_argument("--votes", type=int, default=0)
        parser.add_argument(
            "--votes-per-user",
            type=int,
            default=DEFAULT_VOTES_PER_USER,
            help="Support mode: proposals one synthetic user votes for, at most.",
        )
        parser.add_argument("--seed", type=int, help="Make the points and votes repeatable.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(_("There is no project with this name."))
        if options["proposals"] < 0 or options["votes"] < 0 or options["votes_per_user"] < 1:
            raise CommandError(_("The numbers must not be negative."))
        result = generate_load(
            project=project,
            proposals=options["proposals"],
            votes=options["votes"],
            votes_per_user=options["votes_per_user"],
            seed=options["seed"],
        )
        self.stdout.write(
            _(
                "%(proposals)d proposals and %(votes)d votes from %(users)d synthetic users "
                "in %(seconds).1f s."
            )
            % {
                "proposals": result.proposals,
                "votes": result.votes,
                "users": result.users,
                "seconds": result.seconds,
            }
        )


@transaction.atomic
def generate_load(
    *,
    project: Project,
    proposals: int,
    votes: int,
    votes_per_user: int = DEFAULT_VOTES_PER_USER,
    seed: int | None = None,
) -> LoadResult:
    """Insert the proposals and votes with a handful of INSERT … SELECT statements."""
    started = time.perf_counter()
    published = Proposal.objects.filter(
        project=project, visibility=Proposal.Visibility.PUBLISHED
    ).count()
    targets = published + proposals
    # Each synthetic user votes at most once per proposal (the unique constraint) and within
    # the project's rules: one option in single-choice mode, N in budget mode.
    per_user = {
        VotingMode.SINGLE: 1,
        VotingMode.BUDGET: project.votes_per_person or 1,
    }.get(project.voting_mode, votes_per_user)  # type: ignore[call-overload]
    per_user = min(per_user, targets)
    if votes and per_user == 0:
        raise CommandError(_("The project has no published proposals to vote for."))
    users = max(
        math.ceil(votes / per_user) if votes else 0,
        math.ceil(proposals / PROPOSALS_PER_AUTHOR),
    )
    params = {
        "project": project.pk,
        "users": users,
        "proposals": proposals,
        "votes": votes,
        "prefix": USER_PREFIX,
        # ST_GeneratePoints wants a positive seed; setseed one in [-1, 1].
        "seed": (seed or 0) % 2_147_483_646 + 1,
        "setseed": ((seed or 0) % 1_000_003) / 1_000_003,
    }
    with connection.cursor() as cursor:
        if seed is not None:
            cursor.execute("SELECT setseed(%(setseed)s)", params)
        if users:
            cursor.execute(_insert(get_user_model(), _USER_VALUES, _USERS_FROM, params), params)
        if proposals:
            points = (
                "ST_GeneratePoints(perimeter, %(proposals)s, %(seed)s)"
                if seed is not None
                else "ST_GeneratePoints(perimeter, %(proposals)s)"
            )
            source = _PROPOSALS_FROM.format(
                users=get_user_model()._meta.db_table,
                categories=Category._meta.db_table,
                projects=Project._meta.db_table,
                points=points,
            )
            cursor.execute(_insert(Proposal, _PROPOSAL_VALUES, source, params), params)
        created_votes = 0
        if votes:
            ctes = _VOTES_WITH.format(
                proposals=Proposal._meta.db_table, users=get_user_model()._meta.db_table
            )
            cursor.execute(_insert(Vote, _VOTE_VALUES, _VOTES_FROM, params, ctes), params)
            created_votes = cursor.rowcount
        # Fresh statistics, or the planner judges the next queries by the empty tables.
        cursor.execute(f"ANALYZE {Proposal._meta.db_table}")
        cursor.execute(f"ANALYZE {Vote._meta.db_table}")
    return LoadResult(users, proposals, created_votes, time.perf_counter() - started)


def _insert(
    model: type[Model], values: dict[str, str], source: str, params: dict, ctes: str = ""
) -> str:
    """INSERT … SELECT of `model`: the given SQL per column, every other column its default.

    Columns the generator does not know (added to the model later) get the model's default, so
    the generator keeps working as the models grow.
    """
    columns: list[str] = []
    expressions: list[str] = []
    for model_field in model._meta.concrete_fields:
        column = str(model_field.column)
        if model_field.primary_key:
            continue
        columns.append(column)
        if column in values:
            expressions.append(values[column])
            continue
        key = f"default_{column}"
        params[key] = model_field.get_db_prep_save(model_field.get_default(), connection)
        expressions.append(f"%({key})s")
    table = model._meta.db_table
    # Identifiers come from the models, values are parameters.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"{ctes} SELECT {', '.join(expressions)} {source} ON CONFLICT DO NOTHING"
    )


# An unusable password is "!" followed by random characters, as Django's make_password(None).
_USER_VALUES = {
    "password": "'!' || substr(md5(random()::text) || md5(random()::text), 1, 40)",
    "username": "%(prefix)s || n",
    "is_active": "true",
    "date_joined": "now()",
}
_USERS_FROM = "FROM generate_series(1, %(users)s) AS n"

# Points are drawn by PostGIS inside the perimeter; authors and categories at random.
_PROPOSAL_VALUES = {
    "project_id": "%(project)s",
    "title": "'Load test proposal ' || row_number() OVER ()",
    "category_id": "cats.ids[1 + floor(random() * coalesce(array_length(cats.ids, 1), 0))::int]",
    "location": "points.geom",
    "author_id": "authors.ids[1 + floor(random() * array_length(authors.ids, 1))::int]",
    "visibility": "'published'",
    "created_at": "now() - random() * interval '30 days'",
    "updated_at": "now()",
}
_PROPOSALS_FROM = """
FROM (
    SELECT array_agg(u.id ORDER BY n) AS ids
    FROM generate_series(1, %(users)s) AS n JOIN {users} u ON u.username = %(prefix)s || n
) AS authors, (
    SELECT array_agg(id ORDER BY id) AS ids FROM {categories} WHERE project_id = %(project)s
) AS cats, (
    SELECT (ST_Dump({points})).geom AS geom FROM {projects} WHERE id = %(project)s
) AS points
"""

# Vote k goes to user k mod U and, for that user, to the (k div U)-th proposal after a random
# offset in a shuffled list: a user's proposals are therefore all different (k div U < the
# number of proposals), so the unique constraint holds by construction.
_VOTE_VALUES = {
    "project_id": "%(project)s",
    "proposal_id": "targets.id",
    "user_id": "voters.id",
    "weight": "1",
    "created_at": "now() - random() * interval '10 days'",
}
_VOTES_WITH = """
WITH targets AS (
    SELECT id, row_number() OVER (ORDER BY random()) - 1 AS i
    FROM {proposals} WHERE project_id = %(project)s AND visibility = 'published'
), total AS (
    SELECT count(*) AS n FROM targets
), voters AS (
    SELECT u.id, s.num - 1 AS ui, floor(random() * total.n)::bigint AS off
    FROM generate_series(1, %(users)s) AS s(num)
    JOIN {users} u ON u.username = %(prefix)s || s.num
    CROSS JOIN total
)
"""
_VOTES_FROM = """
FROM generate_series(0, %(votes)s - 1) AS k
JOIN voters ON voters.ui = k %% %(users)s
CROSS JOIN total
JOIN targets ON targets.i = (voters.off + k / %(users)s) %% total.n
ORDER BY voters.id, targets.id
"""

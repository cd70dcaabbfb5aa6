"""Deep pages are found ids first: the same rows as a slice, computed columns only for them."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from api.pagination import page_of
from proposals.models import Proposal
from proposals.selectors import proposals_visible_to, with_counts
from tests.factories import ProjectFactory, ProposalFactory

pytestmark = pytest.mark.django_db


def test_ids_first_pages_are_the_slices_of_the_queryset():
    project = ProjectFactory()
    ProposalFactory.create_batch(7, project=project)
    rows = with_counts(Proposal.objects.filter(project=project)).order_by("-created_at", "-pk")
    for offset in range(9):
        for limit in (1, 3, 5):
            assert list(page_of(rows, offset, limit)) == list(rows[offset : offset + limit])


def test_a_deep_page_counts_votes_for_its_own_rows_only():
    rows = with_counts(Proposal.objects.all()).order_by("pk")
    ProposalFactory.create_batch(3)
    with CaptureQueriesContext(connection) as captured:
        list(page_of(rows, 2, 1))
    (sql,) = [q["sql"] for q in captured.captured_queries]
    ids = sql[sql.index("IN (SELECT") :]
    assert "proposals_vote" not in ids.split("LIMIT")[0]  # the skipped rows: keys only
    assert "proposals_vote" in sql[: sql.index("IN (SELECT")]  # the counts: for the page


def test_a_deep_page_in_id_order_finds_its_ids_in_one_index():
    """The ids of an OGC page (what everyone sees, in id order) are read from an index alone.

    Without the index, the skipped rows would be read from the table one by one.
    """
    ProposalFactory.create_batch(5)
    ids = proposals_visible_to(AnonymousUser()).order_by("pk").values("pk")[2:4]

    plan = plan_without_scans_or_sorts(ids)

    assert "Index Only Scan using proposal_visible_id" in plan, plan


def test_a_deep_page_newest_first_finds_its_ids_in_one_index():
    """The REST list's order (newest first) of one project: its ids from an index, no sort."""
    project = ProjectFactory()
    ProposalFactory.create_batch(5, project=project)
    rows = proposals_visible_to(AnonymousUser()).filter(project__slug=project.slug)
    ids = rows.order_by("-created_at", "-pk").values("pk")[2:4]

    plan = plan_without_scans_or_sorts(ids)

    assert "Index Only Scan Backward using proposal_visible_created" in plan, plan


def plan_without_scans_or_sorts(rows: QuerySet) -> str:
    """The query plan with sequential scans and sorts made too dear: the plan a large table
    gets, where neither reading every row nor sorting them is cheap."""
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())

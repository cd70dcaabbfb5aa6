"""Deep pages are found ids first: the same rows as a slice, computed columns only for them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.pagination import page_of
from proposals.models import Proposal
from proposals.selectors import with_counts
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

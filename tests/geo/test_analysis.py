"""Spatial analyses against numbers checked by hand on small, explicit fixture geometry.

Geometry is laid out in EPSG:25832 (metres) around Kaiserslautern and stored in EPSG:4326, so
each expected number follows from the layout: counts per square, 99 m against 101 m, cells.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection

from geo.analysis import (
    district_counts,
    duplicate_candidates,
    heat_cells,
    within_distance,
    within_polygon,
)
from proposals.models import Proposal
from proposals.selectors import with_counts
from tests.factories import (
    AreaFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db

# A grid origin in the city centre, in ETRS89 / UTM 32N, a multiple of 100 m (cell-aligned).
X0, Y0 = 410_000.0, 5_476_000.0


def at(dx: float, dy: float) -> Point:
    """The point dx, dy metres from the origin (EPSG:25832), as stored (EPSG:4326)."""
    return Point(X0 + dx, Y0 + dy, srid=25832).transform(4326, clone=True)


def square(dx: float, dy: float, size: float) -> MultiPolygon:
    poly = Polygon.from_bbox((X0 + dx, Y0 + dy, X0 + dx + size, Y0 + dy + size))
    poly.srid = 25832
    return MultiPolygon(poly, srid=25832).transform(4326, clone=True)


@pytest.fixture
def project() -> Any:
    return ProjectFactory(perimeter=square(-2000, -2000, 6000))


def test_counts_per_district_and_per_1000_residents(project: Any) -> None:
    # Two 1 km squares side by side: West [0, 1000] and East [1000, 2000] in x.
    west = AreaFactory(name="West", slug="west", geometry=square(0, 0, 1000), population=2000)
    east = AreaFactory(name="East", slug="east", geometry=square(1000, 0, 1000), population=500)
    AreaFactory(name="Empty", slug="empty", geometry=square(0, 1000, 1000), population=None)
    inside_west = [at(100, 100), at(500, 500), at(900, 900)]
    inside_east = [at(1100, 100), at(1900, 900)]
    proposals = [ProposalFactory(project=project, location=p) for p in inside_west + inside_east]
    ProposalFactory(project=project, location=at(-500, -500))  # in no district
    # On the corner both squares share (same coordinates in both after the transform): counted
    # once, for the district created first (West).
    on_border = ProposalFactory(project=project, location=at(1000, 0))
    VoteFactory(proposal=proposals[0])
    VoteFactory(proposal=proposals[0])
    VoteFactory(proposal=proposals[3])

    table = district_counts(
        with_counts(Proposal.objects.filter(project=project)), weight="vote_count"
    )

    rows = {r.slug: r for r in table.rows}
    assert (rows["west"].count, rows["east"].count, rows["empty"].count) == (4, 2, 0)
    assert rows["west"].per_1000 == 2.0  # 4 / 2000 * 1000
    assert rows["east"].per_1000 == 4.0  # 2 / 500 * 1000
    assert rows["empty"].per_1000 is None  # no population, no rate
    assert (rows["west"].weight, rows["east"].weight) == (2, 1)
    assert table.total == 7
    assert table.outside == 1
    assert rows["west"].area_id == west.pk and rows["east"].area_id == east.pk
    assert on_border.pk  # the border case is part of West's 4


def test_district_counts_only_count_what_the_queryset_holds(project: Any) -> None:
    AreaFactory(slug="west", geometry=square(0, 0, 1000), population=1000)
    ProposalFactory(project=project, location=at(10, 10), status=Proposal.Status.ACCEPTED)
    ProposalFactory(project=project, location=at(20, 20))
    accepted = Proposal.objects.filter(status=Proposal.Status.ACCEPTED)
    table = district_counts(accepted)
    assert [(r.slug, r.count, r.per_1000) for r in table.rows] == [("west", 1, 1.0)]


def test_within_distance_of_a_point_at_metre_precision(project: Any) -> None:
    near = ProposalFactory(project=project, title="near", location=at(99, 0))
    ProposalFactory(project=project, title="far", location=at(0, 101))
    diagonal = ProposalFactory(project=project, title="diagonal", location=at(70, 70))  # 98.99 m

    found = list(within_distance(Proposal.objects.all(), at(0, 0), 100))

    assert [p.title for p in found] == ["diagonal", "near"]  # nearest first
    assert found[0].pk == diagonal.pk and found[1].pk == near.pk
    assert found[0].distance_m.m == pytest.approx(98.995, abs=0.01)
    assert found[1].distance_m.m == pytest.approx(99.0, abs=0.01)
    assert within_distance(Proposal.objects.all(), at(0, 0), 101.01).count() == 3


def test_within_distance_of_a_site_measures_from_its_outline(project: Any) -> None:
    # A 100 m square site; a proposal 60 m east of its edge is 110 m from its centre.
    site = SiteFactory(location=at(50, 50), outline=square(0, 0, 100))
    ProposalFactory(project=project, title="east", location=at(160, 50))
    ProposalFactory(project=project, title="north", location=at(50, 190))  # 90 m from the edge
    place = site.outline
    assert [p.title for p in within_distance(Proposal.objects.all(), place, 75)] == ["east"]
    found = within_distance(Proposal.objects.all(), place, 95)
    assert [(p.title, round(p.distance_m.m)) for p in found] == [("east", 60), ("north", 90)]


def test_within_polygon(project: Any) -> None:
    ProposalFactory(project=project, title="inside", location=at(10, 10))
    ProposalFactory(project=project, title="on edge", location=at(50, 0))
    ProposalFactory(project=project, title="outside", location=at(90, 90))
    triangle = Polygon(((X0, Y0), (X0 + 100, Y0), (X0, Y0 + 100), (X0, Y0)), srid=25832)
    triangle.transform(4326)
    found = within_polygon(Proposal.objects.order_by("title"), triangle)
    assert [p.title for p in found] == ["inside", "on edge"]


def test_heat_cells_sum_on_a_50_m_grid(project: Any) -> None:
    # Snapping to a 50 m grid: (10, 10) and (20, 5) both go to (0, 0); (110, 0) to (100, 0).
    a = ProposalFactory(project=project, location=at(10, 10))
    ProposalFactory(project=project, location=at(20, 5))
    b = ProposalFactory(project=project, location=at(110, 0))
    for _ in range(3):
        VoteFactory(proposal=b)
    VoteFactory(proposal=a)
    proposals = with_counts(Proposal.objects.all())

    cells = heat_cells(proposals, cell_m=50)
    assert [c.weight for c in cells] == [2, 1]
    origin, east = at(0, 0), at(100, 0)
    assert (cells[0].lat, cells[0].lon) == pytest.approx((origin.y, origin.x), abs=1e-7)
    assert (cells[1].lat, cells[1].lon) == pytest.approx((east.y, east.x), abs=1e-7)

    by_votes = heat_cells(proposals, weight="vote_count", cell_m=50)
    assert [c.weight for c in by_votes] == [3, 1]  # votes; the cell without votes drops out


def test_duplicate_candidates_find_planted_duplicates_and_nothing_else(project: Any) -> None:
    other_project = ProjectFactory(perimeter=square(-2000, -2000, 6000))

    def make(title: str, dx: float, dy: float, p: Any = project) -> Proposal:
        return ProposalFactory(project=p, title=title, location=at(dx, dy))

    # Planted: near each other, nearly the same words.
    bench = make("Sitzbänke am Stiftsplatz", 0, 0)
    bench_dup = make("Sitzbank am Stiftsplatz", 12, 5)
    trees = make("Mehr Bäume in der Fackelstraße", 500, 500)
    trees_dup = make("Mehr Bäume in der Fackelstrasse", 530, 510)
    # Not duplicates: similar title but 300 m away; near but a different idea; other project.
    make("Sitzbänke am Stiftsplatz", 300, 0)
    make("Trinkbrunnen aufstellen", 5, 5)
    make("Mehr Bäume in der Fackelstraße", 505, 500, other_project)

    pairs = duplicate_candidates(Proposal.objects.all(), max_distance_m=50, min_similarity=0.5)

    found = {frozenset((p.first_id, p.second_id)) for p in pairs}
    assert found == {frozenset((bench.pk, bench_dup.pk)), frozenset((trees.pk, trees_dup.pk))}
    by_pair = {frozenset((p.first_id, p.second_id)): p for p in pairs}
    assert by_pair[frozenset((bench.pk, bench_dup.pk))].distance_m == pytest.approx(13.0, abs=0.01)
    assert all(0.5 <= p.similarity <= 1 for p in pairs)


def test_distance_queries_use_the_functional_index(project: Any) -> None:
    # Thousands of pins over 6 km and fresh statistics: the planner picks the index itself.
    author = UserFactory()
    Proposal.objects.bulk_create(
        Proposal(
            project=project, author=author, title=f"Idee {i}",
            location=at((i * 37) % 6000 - 2000, (i * 53) % 6000 - 2000),
        )
        for i in range(5000)
    )  # fmt: skip
    query = within_distance(Proposal.objects.all(), at(0, 0), 100).values("pk").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE proposals_proposal")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "proposal_location_metric" in plan

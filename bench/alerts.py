"""Alerts at scale: one event matched against 100,000 subscriptions.

- ours: `proposals.alerts.services.proposal_published` — the visibility rule, the one matching
  statement (follows, projects, districts, radius and drawn areas with their filters, settings)
  that also writes the notices, in a transaction rolled back after each turn;
- baselines, run by psycopg on its own connection (with the app's session options): the same
  spatial join as one plain SQL SELECT (who matches), and — like with like, since ours also
  applies the filters and settings and writes a notice per recipient — the very statement ours
  runs (`matching.MATCH_SQL`, rolled back too). The target is judged against the second; the
  first is printed beside it.

Taken in turns (A B A B …, same warm-up and repetitions), reported as the median of the
per-turn ratios (target ≤ 1.5x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import psycopg

from bench.common import bench_database_url, setup_django
from bench.data import interleaved_times, load_average, median_ratio, ms, raw_conninfo

DATABASE = "mitmachkarte_bench_alerts"
TARGET = 1.5

BASELINE = """
WITH e AS (SELECT p.id, p.project_id, p.category_id, p.location AS point,
                  ST_Transform(p.location, 25832) AS metric_point
           FROM proposals_proposal p WHERE p.id = %(proposal)s)
SELECT DISTINCT u.id, u.email
FROM (
    SELECT s.user_id FROM alerts_subscription s, e
    WHERE s.kind = 'proposal' AND s.proposal_id = e.id
    UNION ALL
    SELECT s.user_id FROM alerts_subscription s, e
    WHERE s.kind = 'project' AND s.project_id = e.project_id
    UNION ALL
    SELECT s.user_id FROM alerts_subscription s, e
    WHERE s.kind IN ('radius', 'drawn') AND ST_Intersects(s.region, e.metric_point)
    UNION ALL
    SELECT s.user_id FROM alerts_subscription s JOIN geo_area a ON a.id = s.district_id, e
    WHERE s.kind = 'district' AND ST_Intersects(a.geometry, e.point)
) m JOIN auth_user u ON u.id = m.user_id
WHERE u.is_active AND u.email <> '' AND u.id <> %(author)s
"""

# Synthetic subscriptions around Kaiserslautern's centre (7.70-7.83 E, 49.40-49.48 N): one per
# person, kinds mixed (16 districts; most project and proposal follows are of other ones);
# radius buffers and drawn boxes in EPSG:25832 as the app stores them.
FILL = """
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT '!', false, 'alert' || n, '', '', 'alert' || n || '@example.org', false, true, now()
FROM generate_series(1, %(n)s) AS n;

INSERT INTO alerts_subscription (user_id, kind, proposal_id, project_id, district_id, site_id,
                                 radius_m, region, created_at)
SELECT u.id,
       CASE WHEN u.id %% 10 < 3 THEN 'radius' WHEN u.id %% 10 < 5 THEN 'drawn'
            WHEN u.id %% 10 < 8 THEN 'district' WHEN u.id %% 10 < 9 THEN 'project'
            ELSE 'proposal' END,
       CASE WHEN u.id %% 10 = 9 THEN
            CASE WHEN u.id %% 1000 = 9 THEN %(proposal)s ELSE %(other_proposal)s END END,
       CASE WHEN u.id %% 10 = 8 THEN
            CASE WHEN u.id %% 100 = 8 THEN %(project)s ELSE %(other_project)s END END,
       CASE WHEN u.id %% 10 BETWEEN 5 AND 7 THEN (%(districts)s::bigint[])[1 + u.id %% 16] END,
       CASE WHEN u.id %% 10 < 3 THEN %(site)s END,
       CASE WHEN u.id %% 10 < 3 THEN 300 END,
       CASE WHEN u.id %% 10 < 3 THEN ST_Multi(ST_Buffer(ST_Transform(ST_SetSRID(ST_MakePoint(
                 7.70 + random() * 0.13, 49.40 + random() * 0.08), 4326), 25832), 300, 16))
            WHEN u.id %% 10 < 5 THEN ST_Multi(ST_Expand(ST_Transform(ST_SetSRID(ST_MakePoint(
                 7.70 + random() * 0.13, 49.40 + random() * 0.08), 4326), 25832), 400))
       END,
       now()
FROM auth_user u WHERE u.username LIKE 'alert%%';
ANALYZE auth_user; ANALYZE alerts_subscription; ANALYZE geo_area;
"""


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.alerts")
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7, help="pairs of the comparison")
    args, _ = parser.parse_known_args()

    # Links in the e-mails need an address; the bench settings run without debug.
    os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")
    database_url = bench_database_url(DATABASE)
    setup_django(database_url)
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.db import connection, transaction

    from geo.models import Area
    from locations.models import Site
    from proposals.alerts import services
    from proposals.alerts.matching import MATCH_SQL
    from proposals.alerts.models import Notice
    from proposals.models import Project, Proposal

    started = time.perf_counter()
    perimeter = MultiPolygon(Polygon.from_bbox((7.70, 49.40, 7.83, 49.48)), srid=4326)
    project = Project.objects.create(
        title="Alerts", slug="alerts", summary="Benchmark", perimeter=perimeter, is_published=True
    )
    districts = [
        Area.objects.create(
            name=f"Bezirk {i}",
            slug=f"bezirk-{i}",
            kind=Area.Kind.DISTRICT,
            geometry=MultiPolygon(
                Polygon.from_bbox(
                    (
                        7.70 + i % 4 * 0.0325,
                        49.40 + i // 4 * 0.02,
                        7.7325 + i % 4 * 0.0325,
                        49.42 + i // 4 * 0.02,
                    )
                ),
                srid=4326,
            ),
        ).pk
        for i in range(16)
    ]
    other_project = Project.objects.create(
        title="Other", slug="other", summary="Benchmark", perimeter=perimeter, is_published=True
    )
    site = Site.objects.create(
        name="Stiftsplatz", slug="stiftsplatz", location=Point(7.7689, 49.4447, srid=4326)
    )
    proposal = Proposal.objects.create(
        project=project, title="Bank", location=Point(7.7689, 49.4447, srid=4326)
    )
    other_proposal = Proposal.objects.create(
        project=other_project, title="Baum", location=Point(7.80, 49.47, srid=4326)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            FILL,
            {
                "n": args.subscriptions,
                "proposal": proposal.pk,
                "project": project.pk,
                "other_proposal": other_proposal.pk,
                "other_project": other_project.pk,
                "districts": districts,
                "site": site.pk,
            },
        )
    print(
        f"alerts: generated {args.subscriptions} subscriptions in "
        f"{time.perf_counter() - started:.1f} s; load average {load_average()}"
    )

    matched: list[int] = []

    def ours() -> None:
        with transaction.atomic():
            matched.append(services.proposal_published(proposal))
            transaction.set_rollback(True)

    with psycopg.connect(raw_conninfo(database_url)) as raw_conn:
        found: list[int] = []

        def raw() -> None:
            with raw_conn.cursor() as cursor:
                cursor.execute(BASELINE, {"proposal": proposal.pk, "author": -1})
                found.append(len(cursor.fetchall()))
            raw_conn.rollback()

        same_statement = {
            "event": Notice.Event.PUBLISHED.value,
            "proposal": proposal.pk,
            "response": None,
            "progress": None,
            "exclude": proposal.author_id,
            "to_followers": True,
            "to_voters": False,
        }

        def raw_write() -> None:
            with raw_conn.cursor() as cursor:
                cursor.execute(MATCH_SQL, same_statement)
                cursor.fetchall()
            raw_conn.rollback()

        times = interleaved_times(
            {"raw": raw, "raw_write": raw_write, "ours": ours}, args.repeats, warmup=2
        )
    if set(matched) != set(found) or not found[0]:
        raise SystemExit(f"alerts: ours matched {set(matched)}, the baseline {set(found)}")
    assert Notice.objects.count() == 0  # every turn was rolled back
    ratio = median_ratio(times, "ours", "raw_write")
    select_ratio = median_ratio(times, "ours", "raw")
    print(
        f"alerts: one event against {args.subscriptions} subscriptions ({found[0]} recipients), "
        f"median of {args.repeats} turns: raw spatial join (psycopg) "
        f"{ms(statistics.median(times['raw']))}, the same statement as ours (psycopg) "
        f"{ms(statistics.median(times['raw_write']))}, ours (match + notices) "
        f"{ms(statistics.median(times['ours']))}; load average {load_average()}"
    )
    print(f"alerts: ours/raw join without writing -> median ratio {select_ratio:.2f}x")
    print(
        f"alerts: ours/the same statement in raw SQL -> median ratio {ratio:.2f}x "
        f"(target ≤ {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'})"
    )


if __name__ == "__main__":
    main()

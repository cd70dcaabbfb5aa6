"""The public grid cells of map answers as a view, for OGC API - Features.

Same cells as `surveys.selectors._CELLS_SQL` (points by floor of the metric coordinates,
lines and areas through ST_SquareGrid, each response counted once per cell), cut at each
survey's `min_cell_count`. Written without CTEs so that a `survey_id IN (...)` filter on
the view reaches the tables instead of aggregating every survey first.
"""

import django.contrib.gis.db.models.fields
from django.db import migrations, models

VIEW = """
CREATE VIEW surveys_public_cell AS
SELECT ((question_id::bigint << 42) | ((i::bigint & 2097151) << 21) | (j::bigint & 2097151))
           AS id,
       survey_id,
       question_id,
       count(*)::int AS count,
       ST_Transform(ST_MakeEnvelope(
           i * size, j * size, (i + 1) * size, (j + 1) * size, 25832
       ), 4326)::geometry(Polygon, 4326) AS geometry
FROM (
    SELECT DISTINCT s.id AS survey_id, s.grid_size_m AS size, s.min_cell_count AS minimum,
           mf.question_id, mf.response_id, c.i, c.j
    FROM surveys_mapfeature mf
    JOIN surveys_response r ON r.id = mf.response_id AND r.is_current
    JOIN surveys_survey s ON s.id = r.survey_id
    CROSS JOIN LATERAL ST_Transform(COALESCE(mf.point, mf.line, mf.area), 25832) AS g(geom)
    CROSS JOIN LATERAL (
        SELECT floor(ST_X(g.geom) / s.grid_size_m)::int AS i,
               floor(ST_Y(g.geom) / s.grid_size_m)::int AS j
        WHERE mf.point IS NOT NULL
        UNION ALL
        SELECT sq.i, sq.j FROM ST_SquareGrid(s.grid_size_m, g.geom) AS sq
        WHERE mf.point IS NULL AND ST_Intersects(sq.geom, g.geom)
    ) AS c
) AS once_per_response
GROUP BY survey_id, size, minimum, question_id, i, j
HAVING count(*) >= minimum
"""


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [
        migrations.RunSQL(VIEW, "DROP VIEW surveys_public_cell"),
        migrations.CreateModel(
            name="PublicCell",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("count", models.IntegerField(verbose_name="responses")),
                (
                    "geometry",
                    django.contrib.gis.db.models.fields.PolygonField(
                        srid=4326, verbose_name="cell"
                    ),
                ),
                (
                    "question",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="surveys.question",
                    ),
                ),
                (
                    "survey",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="surveys.survey",
                    ),
                ),
            ],
            options={
                "verbose_name": "public grid cell",
                "verbose_name_plural": "public grid cells",
                "db_table": "surveys_public_cell",
                "managed": False,
            },
        ),
    ]

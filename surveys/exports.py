"""Survey exports for GIS staff: the answers as CSV (a row per response, a column per question,
map answers as WKT) and the drawn features as GeoJSON or GeoPackage (one layer per geometry
type) in EPSG:4326 or EPSG:25832. Never the respondent's identity: a response is a number.

GeoJSON comes from PostGIS through geo.geojson; GeoPackage is written by GDAL's ogr2ogr from
it. Not a data set of geo.exports' registry: that registry's exports are city-wide, scoped by
`?project=` (one scope lookup, the project's), carry the main layer only in GeoJSON and CSV
and have X/Y columns only for points; a survey's export is per survey, its CSV has a column
per question and its GeoJSON holds points, lines and areas together.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from geo.crs import METRIC_SRID, STORAGE_SRID
from geo.geojson import FeatureSpec, collection_chunks, iter_features
from surveys.models import Choice, Question, Survey
from surveys.selectors import map_features

FORMATS = ("csv", "geojson", "gpkg", "shp")
SRIDS = (STORAGE_SRID, METRIC_SRID)
LAYERS = {"points": "point", "lines": "line", "areas": "area"}


class ExportError(Exception):
    pass


def answers_csv(survey: Survey, *, srid: int = STORAGE_SRID) -> Iterator[str]:
    """The answers table as CSV text chunks: one row per counted response."""
    questions = list(survey.questions.order_by("position", "pk"))
    labels = dict(Choice.objects.filter(question__survey=survey).values_list("pk", "label"))
    header = ["response", "source", "event"]
    for q in questions:
        header.append(f"q{q.pk}")
        if q.is_map and q.feature_comment:
            header.append(f"q{q.pk}_comments")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    # Home locations leave only their grid cell's centre: never the point someone gave.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.id, r.source, r.event_name, a.question_id, a.text, a.number, a.choice_ids,
                   NULL, NULL
            FROM surveys_response r JOIN surveys_answer a ON a.response_id = r.id
            WHERE r.survey_id = %(survey)s AND r.is_current
            UNION ALL
            SELECT r.id, r.source, r.event_name, f.question_id, NULL, NULL, NULL,
                   ST_AsText(ST_Collect(CASE WHEN q.is_home_location THEN
                       ST_Transform(ST_SetSRID(ST_MakePoint(
                           (floor(ST_X(ST_Transform(f.point, 25832)) / s.grid_size_m) + 0.5)
                               * s.grid_size_m,
                           (floor(ST_Y(ST_Transform(f.point, 25832)) / s.grid_size_m) + 0.5)
                               * s.grid_size_m), 25832), %(srid)s)
                   ELSE ST_Transform(COALESCE(f.point, f.line, f.area), %(srid)s) END
                   ORDER BY f.id)),
                   string_agg(f.comment, ' | ' ORDER BY f.id)
            FROM surveys_response r JOIN surveys_mapfeature f ON f.response_id = r.id
            JOIN surveys_question q ON q.id = f.question_id
            JOIN surveys_survey s ON s.id = r.survey_id
            WHERE r.survey_id = %(survey)s AND r.is_current
            GROUP BY r.id, r.source, r.event_name, f.question_id
            ORDER BY 1
            """,
            {"survey": survey.pk, "srid": srid},
        )
        row: dict[str, str] = {}
        current = None
        for rid, source, event, qid, text, number, choice_ids, wkt, comments in cursor:
            if rid != current:
                if current is not None:
                    writer.writerow([row.get(h, "") for h in header])
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
                current = rid
                row = {"response": str(rid), "source": source, "event": event}
            key = f"q{qid}"
            if wkt is not None:
                row[key] = wkt
                if comments and comments.strip(" |"):
                    row[f"{key}_comments"] = comments
            elif choice_ids:
                row[key] = "; ".join(labels.get(c, "?") for c in choice_ids)
            elif number is not None:
                row[key] = f"{number:g}"
            else:
                row[key] = text or ""
        if current is not None:
            writer.writerow([row.get(h, "") for h in header])
    yield buffer.getvalue()


def layer_spec() -> FeatureSpec:
    return FeatureSpec(
        geometry="geom",
        properties={
            "question": "question_id",
            "question_text": "question_text",
            "response": "response_id",
            "comment": "comment",
        },
    )


def layer_features(survey: Survey, layer: str) -> object:
    column = LAYERS[layer]
    return (
        map_features(survey)
        .filter(**{f"{column}__isnull": False})
        .annotate(question_text=F("question__text"))
    )


def features_geojson(survey: Survey, *, srid: int = STORAGE_SRID) -> Iterator[str]:
    """Every counted drawn feature (home locations excepted) as one FeatureCollection."""
    members: dict[str, object] = {"name": f"survey-{survey.slug}"}
    if srid != STORAGE_SRID:
        members["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{srid}"}}
    texts = iter_features(
        map_features(survey).annotate(question_text=F("question__text")), layer_spec(), srid=srid
    )
    return collection_chunks(texts, members)


def open_gpkg(survey: Survey, *, srid: int = STORAGE_SRID) -> IO[bytes]:
    """A GeoPackage with the layers points, lines and areas; the file is gone once closed."""
    return _open_layers(survey, srid=srid, driver="GPKG")


def open_shapefiles(survey: Survey, *, srid: int = STORAGE_SRID) -> IO[bytes]:
    """A zip of three Shapefiles (points, lines, areas): one geometry type per file."""
    return _open_layers(survey, srid=srid, driver="ESRI Shapefile")


def _open_layers(survey: Survey, *, srid: int, driver: str) -> IO[bytes]:
    binary = shutil.which("ogr2ogr")
    if binary is None:
        raise ExportError(_("GDAL's ogr2ogr is not installed (package gdal-bin)."))
    with tempfile.TemporaryDirectory(prefix="mmk-survey-") as tmp:
        work = Path(tmp)
        target = work / (f"survey-{survey.slug}.gpkg" if driver == "GPKG" else "shp")
        for layer, column in LAYERS.items():
            source = work / f"{layer}.geojson"
            queryset = layer_features(survey, layer)
            with source.open("w", encoding="utf-8") as out:
                for chunk in collection_chunks(iter_features(queryset, layer_spec(), srid=srid)):  # type: ignore[arg-type]
                    out.write(chunk)
            geometry_type = {"point": "POINT", "line": "LINESTRING", "area": "POLYGON"}[column]
            args = [
                binary, "-f", driver, str(target), str(source), "-nln", layer,
                "-nlt", geometry_type, "-a_srs", f"EPSG:{srid}",
            ]  # fmt: skip
            if driver == "GPKG" and target.exists():
                args.insert(1, "-update")
            if driver != "GPKG":
                # dBASE names have at most 10 characters; text in UTF-8.
                columns = "question, question_text AS q_text, response, comment"
                # The layer name is one of LAYERS, never input.
                sql = f'SELECT {columns} FROM "{layer}"'  # noqa: S608
                args += ["-lco", "ENCODING=UTF-8", "-sql", sql]
            result = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
            if result.returncode != 0:
                raise ExportError(
                    _("GDAL could not write the file: %(error)s") % {"error": result.stderr.strip()}
                )
        if driver == "GPKG":
            return target.open("rb")
        archive = work / f"survey-{survey.slug}.shp.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for file in sorted(target.iterdir()):
                bundle.write(file, file.name)
        return archive.open("rb")


def question_columns(survey: Survey) -> list[tuple[str, Question]]:
    return [(f"q{q.pk}", q) for q in survey.questions.order_by("position", "pk")]

"""Helpers for tests of imports and exports: GIS files written and read by GDAL's own tools."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

from django.core.management import call_command


def feature(geometry: dict | None, **properties: object) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def rectangle(x1: float, y1: float, x2: float, y2: float) -> dict:
    ring = [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]
    return {"type": "Polygon", "coordinates": [ring]}


# A bow tie: its edges cross, so the polygon intersects itself.
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[7.76, 49.44], [7.77, 49.445], [7.77, 49.44], [7.76, 49.445], [7.76, 49.44]]],
}


def write_geojson(path: Path, *features: dict, crs: int | None = None) -> Path:
    collection: dict = {"type": "FeatureCollection", "features": list(features)}
    if crs is not None:
        collection["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs}"}}
    path.write_text(json.dumps(collection))
    return path


def ogr2ogr(*args: str) -> None:
    subprocess.run(["ogr2ogr", *args], capture_output=True, text=True, check=True)


def run(command: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def ogr_dump(source: str, *layer: str) -> dict:
    """The features of any GDAL-readable file as GeoJSON, coordinates untouched, read by GDAL."""
    result = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", source, *layer],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    collection = json.loads(result.stdout)
    # GDAL's GeoJSON writer moves a field named `id` to the feature's `id` member.
    for item in collection["features"]:
        if "id" in item:
            item["properties"].setdefault("id", item["id"])
    return collection


def ogrinfo(source: str, *layers: str) -> str:
    result = subprocess.run(
        ["ogrinfo", "-ro", "-so", *(["-al"] if not layers else []), source, *layers],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


def feature_count(info: str) -> int:
    line = next(line for line in info.splitlines() if line.startswith("Feature Count:"))
    return int(line.split(":")[1])


def epsg_of(info: str) -> int:
    """The EPSG code of the layer's CRS: the last ID[...] of its WKT is the CRS's own."""
    wkt = info.split("Layer SRS WKT:")[1].split("Data axis")[0]
    last = wkt.rstrip().rsplit('ID["EPSG",', 1)[1]
    return int(last.split("]")[0])

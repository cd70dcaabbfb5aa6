"""GDAL's own tools read the proposals endpoint over HTTP, as GIS staff would."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.factories import CategoryFactory, ProjectFactory, ProposalFactory, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = [
    "title",
    "project",
    "category",
    "category_color",
    "status",
    "is_option",
    "site",
    "vote_count",
    "comment_count",
    "created_at",
    "url",
]


def gdal_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"GDAL's {name} is not installed (Debian: apt-get install gdal-bin)")
    return path


def run(*args: str) -> str:
    completed = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.fixture
def project_url(live_server):  # type: ignore[no-untyped-def]
    project = ProjectFactory(slug="gdal-projekt")
    category = CategoryFactory(project=project, name="Grün")
    ProposalFactory.create_batch(6, project=project, category=category)
    ProposalFactory(project=project, site=SiteFactory(), title="Option der Stadt")
    ProposalFactory.create_batch(2)  # another project's: must not be counted
    return f"{live_server.url}/api/v1/proposals/?project={project.slug}&limit=1000"


def test_ogrinfo_reads_the_proposals(project_url):
    summary = run(gdal_tool("ogrinfo"), "-ro", "-al", "-so", project_url)
    assert re.search(r"^Feature Count: 7$", summary, re.MULTILINE), summary
    assert re.search(r"^Geometry: Point$", summary, re.MULTILINE), summary
    for field in FIELDS:
        assert re.search(rf"^{field}: \w+", summary, re.MULTILINE), (field, summary)
    assert "WGS 84" in summary


def test_ogr2ogr_copies_the_proposals_to_a_geopackage(project_url, tmp_path: Path):
    target = tmp_path / "vorschlaege.gpkg"
    run(gdal_tool("ogr2ogr"), "-f", "GPKG", str(target), project_url, "-nln", "proposals")
    summary = run(gdal_tool("ogrinfo"), "-ro", "-so", str(target), "proposals")
    assert re.search(r"^Feature Count: 7$", summary, re.MULTILINE), summary
    for field in FIELDS:
        assert re.search(rf"^{field}: \w+", summary, re.MULTILINE), (field, summary)
    rows = run(
        gdal_tool("ogrinfo"),
        "-ro",
        "-q",
        str(target),
        "-sql",
        "SELECT title FROM proposals WHERE is_option = 1",
    )
    assert "Option der Stadt" in rows

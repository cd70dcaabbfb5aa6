"""Schemathesis over the REST API and OGC API - Features: no server error, no mismatch.

The real server (Django's live server on PostGIS) answers generated requests, anonymous and
signed in; every response is checked against the OpenAPI document the API publishes. The
run is deterministic (derandomized, no example database) and bounded so it fits in a CI run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from api.ogc.params import MAX_LIMIT as OGC_MAX_LIMIT
from tests.factories import (
    CategoryFactory,
    CommentFactory,
    ProjectFactory,
    ProposalFactory,
    SiteFactory,
    UserFactory,
    VoteFactory,
)

ST = Path(sys.executable).parent / "st"
ROOT = Path(__file__).resolve().parents[2]
# Per operation and phase. With 25, the four runs make about 5,000 requests for ~60 s of CPU
# (measured: 57 s; 6 min of wall time with the machine's two cores loaded twelve-fold).
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))


@pytest.fixture
def data(transactional_db: Any) -> None:
    """Something behind every collection: projects in two phases, proposals, a comment."""
    collecting = ProjectFactory(slug="stadtraum")
    voting = ProjectFactory(slug="logistik", voting=True)
    CategoryFactory(project=collecting, slug="sport")
    proposals = [ProposalFactory(project=collecting) for _ in range(3)]
    options = [ProposalFactory(project=voting) for _ in range(2)]
    CommentFactory(proposal=proposals[0])
    VoteFactory(proposal=options[0])
    SiteFactory()


def session_headers(user: Any) -> list[str]:
    client = Client()
    client.force_login(user)
    csrf = get_random_string(32)
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}"
    return ["-H", f"Cookie: {cookie}", "-H", f"X-CSRFToken: {csrf}"]


def fuzz(url: str, headers: list[str], report: Path) -> dict[str, Any]:
    command = [
        str(ST), "run", url,
        "--checks", "all",
        # Schema-valid but refused: a bbox's corners must be ordered and span at most 20
        # degrees, a tile's x and y lie below 2^z. JSON Schema cannot relate two values, so
        # this check would fault every such refusal; the refusals themselves are tested.
        "--exclude-checks", "positive_data_acceptance",
        "--max-examples", str(MAX_EXAMPLES),
        # The same cases on every run (Schemathesis then uses no seed and no example database).
        "--generation-deterministic",
        "--workers", "1",
        "--no-color",
        # The session cookie is sent as a header: Schemathesis cannot leave it out.
        "--generation-with-security-parameters", "false",
        "--report", "ndjson",
        "--report-ndjson-path", str(report),
        *headers,
    ]  # fmt: skip
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.fuzz_hooks",
        "PYTHONPATH": str(ROOT),
        "MMK_OGC_MAX_LIMIT": str(OGC_MAX_LIMIT),
    }
    started = time.monotonic()
    result = subprocess.run(
        # Schemathesis keeps a cache in its working directory: under var/, not in the tree.
        command, capture_output=True, text=True, check=False, timeout=900, env=env,
        cwd=report.parent,
    )  # fmt: skip
    print(report.stem, round(time.monotonic() - started, 1), "s")
    # Kept for reading after a failure (var/ is ignored by git).
    (report.parent / f"{report.stem}.txt").write_text(result.stdout + result.stderr)
    return {"returncode": result.returncode, "stdout": result.stdout}


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("api", ["/api/schema/", "/ogc/api?f=json"], ids=["rest", "ogc"])
def test_fuzz(live_server, data, api, signed_in):
    headers = session_headers(UserFactory()) if signed_in else []
    name = ("rest" if "schema" in api else "ogc") + ("-in" if signed_in else "-anon")
    reports = ROOT / "var" / "fuzz"
    reports.mkdir(parents=True, exist_ok=True)
    result = fuzz(f"{live_server.url}{api}", headers, reports / f"{name}.ndjson")
    out = result["stdout"]
    assert result["returncode"] == 0, out[-5000:]
    # It tested something: every selected operation, and each generated case passed.
    selected = re.search(r"Selected: (\d+)/(\d+)", out)
    tested = re.search(r"Tested: (\d+)", out)
    cases = re.search(r"(\d+) generated, (\d+) passed", out)
    assert selected and tested and cases, out[-3000:]
    assert int(tested[1]) == int(selected[1]) == int(selected[2]) > 10
    assert int(cases[1]) == int(cases[2]) > 100

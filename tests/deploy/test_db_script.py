"""scripts/db.sh survives another server taking its chosen port between choice and start."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

from tests.deploy.conftest import ROOT, free_port


def test_the_cluster_moves_on_when_its_port_was_taken(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "db.sh", checkout / "scripts" / "db.sh")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MMK_PGPORT")}
    script = ["bash", str(checkout / "scripts" / "db.sh")]
    chosen = free_port()
    (checkout / "var").mkdir()
    (checkout / "var" / "pgport").write_text(f"{chosen}\n")  # the choice, made earlier
    # ...and then another server starts listening there.
    squatter = socket.create_server(("127.0.0.1", chosen))
    try:
        result = subprocess.run(
            [*script, "start"], env=env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, result.stdout + result.stderr
        port = int((checkout / "var" / "pgport").read_text())
        assert port != chosen
        version = subprocess.run(
            ["psql", "-X", "-tA", "-h", "127.0.0.1", "-p", str(port), "-U", "mitmachkarte",
             "-d", "mitmachkarte", "-c", "SELECT postgis_lib_version()"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
        assert version.strip().startswith("3.")
    finally:
        squatter.close()
        subprocess.run([*script, "drop"], env=env, capture_output=True, timeout=120)

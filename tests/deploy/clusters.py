"""Throw-away PostgreSQL clusters for the replica tests: a primary and a hot standby made from
it with pg_basebackup, in a temporary folder, on free ports of 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PGBIN = Path("/usr/lib/postgresql/15/bin")
ROLE = "mitmachkarte"


def _owner(args: list[str]) -> list[str]:
    # initdb and the server refuse to run as root: as root, they run as the postgres user.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str], timeout: float = 120) -> str:
    result = subprocess.run(
        _owner(args), cwd="/", capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Folder:
    """A temporary folder the cluster's owner may write to; removed by close()."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="mmk-clusters-"))
        if os.geteuid() == 0:
            shutil.chown(self.path, "postgres", "postgres")

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class Cluster:
    def __init__(self, folder: Folder, name: str, port: int) -> None:
        self.data = folder.path / name
        self.socket_dir = folder.path
        self.log = folder.path / f"{name}.log"
        self.port = port

    def url(self, database: str = ROLE) -> str:
        return f"postgis://{ROLE}@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        _run([str(PGBIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--locale=C.UTF-8"])  # fmt: skip

    def start(self) -> None:
        # Every statement is logged, with the database's name: the tests read which server
        # answered which query from these logs.
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
            " -c log_statement=all -c log_line_prefix='%m [%d] '"
        )
        _run([str(PGBIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
              "-o", options, "start"])  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            _run([str(PGBIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def psql(self, database: str, *commands: str) -> str:
        args = ["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"]
        args += ["-p", str(self.port), "-U", "postgres", "-d", database]
        for command in commands:
            args += ["-c", command]
        return _run(args)

    def make_standby(self, standby: Cluster) -> None:
        """A streaming replica of this cluster (-R writes its standby.signal and conninfo)."""
        _run([str(PGBIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port),
              "-U", "postgres", "-D", str(standby.data), "-R", "-X", "stream",
              "--checkpoint=fast"], timeout=300)  # fmt: skip

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

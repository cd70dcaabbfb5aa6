"""`make backup` / `make restore` lose nothing: row counts, the contents of every row, every
geometry and every sequence agree after a round trip, into a new database and back into the
damaged original."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from psycopg import sql

from tests.deploy.conftest import ROOT, database_url
from tests.factories import CommentFactory, VoteFactory


def libpq(url: str) -> str:
    return url.replace("postgis://", "postgresql://", 1)


def fingerprint(url: str) -> dict[str, Any]:
    """Per table: rows and a checksum of all of them; per geometry column: a checksum of the
    geometries (EWKB, SRID included); per sequence: its last value."""
    found: dict[str, Any] = {}
    with psycopg.connect(libpq(url)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                " AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys'"
            )
        ]
        for table in tables:
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                " FROM {} t"
            ).format(sql.Identifier(table))
            found[f"table {table}"] = conn.execute(query).fetchone()
        for table, column in conn.execute(
            "SELECT f_table_name, f_geometry_column FROM geometry_columns"
            " WHERE f_table_schema = 'public'"
        ):
            query = sql.SQL(
                "SELECT count({col}), md5(coalesce(string_agg(encode(ST_AsEWKB({col}), 'hex'),"
                " '|' ORDER BY encode(ST_AsEWKB({col}), 'hex')), '')) FROM {tbl}"
            ).format(col=sql.Identifier(column), tbl=sql.Identifier(table))
            found[f"geometry {table}.{column}"] = conn.execute(query).fetchone()
        for name, value in conn.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        ):
            found[f"sequence {name}"] = value
    return found


def make(target: str, url: str, backup: Path) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        ["make", "-s", target, f"BACKUP={backup}"], cwd=ROOT, env=env, check=True, timeout=300
    )


@pytest.fixture
def scratch_database(transactional_db: Any) -> Iterator[str]:
    """An empty database of our own beside the test database (PostGIS from template1)."""
    url = database_url(database_url().rsplit("/", 1)[1] + "_restore")
    name = url.rsplit("/", 1)[1]
    admin = database_url("postgres")
    with psycopg.connect(libpq(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url
    finally:
        with psycopg.connect(libpq(admin), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_backup_and_restore_lose_nothing(scratch_database: str, tmp_path: Path) -> None:
    call_command("load_demo", verbosity=0)
    VoteFactory.create_batch(3)
    CommentFactory.create_batch(3)
    source = database_url()
    before = fingerprint(source)
    # Something in every kind of place: rows, geometries of several types, the job queue.
    assert before["table proposals_proposal"][0] > 0
    assert before["geometry locations_site.location"][0] > 0
    assert before["table proposals_vote"][0] > 0
    backup = tmp_path / "mitmachkarte.dump"
    make("backup", source, backup)
    assert backup.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format

    # Into a new, empty database.
    make("restore", scratch_database, backup)
    assert fingerprint(scratch_database) == before

    # Back into the original after a loss: the restore replaces what is there.
    with psycopg.connect(libpq(source), autocommit=True) as conn:
        conn.execute("DELETE FROM proposals_vote")
        conn.execute("UPDATE proposals_proposal SET location = ST_Translate(location, 1e-4, 0)")
    assert fingerprint(source) != before
    make("restore", source, backup)
    assert fingerprint(source) == before

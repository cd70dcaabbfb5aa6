#!/usr/bin/env bash
# `make backup` / `make restore`: the whole database in PostgreSQL's custom format (pg_dump -Fc).
# The database is DATABASE_URL's, else the project's own cluster. Extensions (PostGIS, pg_trgm)
# are left out of the restore (with PostGIS's spatial_ref_sys): they belong to the superuser and
# are already in every database made from template1; everything else (tables, data, sequences,
# the job queue) is restored.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:-}
file=${2:-}
if [ -z "$cmd" ] || [ -z "$file" ]; then echo "usage: $0 backup|restore FILE" >&2; exit 2; fi

if [ -n "${DATABASE_URL:-}" ]; then
  url=${DATABASE_URL/#postgis:/postgresql:}
else
  url=postgresql://mitmachkarte@127.0.0.1:$(bash scripts/db.sh port)/mitmachkarte
fi
export PGOPTIONS="-c client_min_messages=warning"
where=${url%%\?*}; where=${where##*@}  # host:port/db, no password in what we print

case "$cmd" in
  backup)
    mkdir -p "$(dirname "$file")"
    # Written beside the target and renamed at the end: a failed dump never looks like a backup.
    pg_dump --format=custom --no-owner --no-privileges --dbname="$url" --file="$file.partial"
    mv "$file.partial" "$file"
    echo "Backed up $where to $file ($(du -h "$file" | cut -f1))."
    ;;
  restore)
    [ -s "$file" ] || { echo "No backup at $file" >&2; exit 1; }
    list=$(mktemp); trap 'rm -f "$list"' EXIT
    # PostGIS's own table of coordinate systems comes with the extension, and only a superuser
    # may write it: left out like the extensions themselves.
    pg_restore --list "$file" \
      | grep -v -E ' EXTENSION | COMMENT - EXTENSION | TABLE DATA public spatial_ref_sys ' > "$list"
    # One transaction: a restore that fails half-way leaves the database as it was.
    pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
      --exit-on-error --use-list="$list" --dbname="$url" "$file"
    echo "Restored $file into $where."
    ;;
  *) echo "usage: $0 backup|restore FILE" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The project's own PostGIS cluster under var/: start (creating it on first use), stop, drop.
# Never touches the machine's PostgreSQL service; with DATABASE_URL set it does nothing at all.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:-start}

role=mitmachkarte
dbname=mitmachkarte
root=$PWD/var
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
  # The cluster belongs to the postgres user, who cannot enter this checkout (under /root, say):
  # it lives in a folder of its own instead, one per checkout.
  root=/var/lib/mitmachkarte/$(printf %s "$PWD" | sha1sum | cut -c1-12)
fi
data=$root/pgdata
sock=$root/pgrun
log=$root/postgresql.log
pgbin=/usr/lib/postgresql/15/bin

portfile=$PWD/var/pgport

# The cluster's port: MMK_PGPORT, else the one this checkout chose before, else 54329 or, if
# something else listens there (another checkout's cluster, say), the next free port. The choice
# is kept in var/pgport, where the settings read it too.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
next_free() {
  local p=$1
  while listening "$p"; do p=$((p + 1)); done
  echo "$p"
}
keep_port() { mkdir -p "$(dirname "$portfile")" && echo "$1" > "$portfile"; }
choose_port() {
  if [ -n "${MMK_PGPORT:-}" ]; then echo "$MMK_PGPORT"; return; fi
  if [ -s "$portfile" ]; then cat "$portfile"; return; fi
  local p
  if [ -f "$data/postmaster.pid" ]; then
    p=$(sed -n 4p "$data/postmaster.pid")  # this checkout's cluster runs already: its port
  else
    p=$(next_free 54329)
  fi
  keep_port "$p"
  echo "$p"
}
if [ "$cmd" = port ]; then choose_port; exit 0; fi
port=$(choose_port)

if [ -n "${DATABASE_URL:-}" ]; then
  echo "DATABASE_URL is set: using that database, leaving any local cluster alone."
  exit 0
fi

as_owner() {
  # initdb refuses to run as root, so the cluster belongs to the postgres user when we are root.
  # From /, which the postgres user may always enter; every path here is absolute.
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
running() { as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; }
psql_super() { PGOPTIONS="-c client_min_messages=warning" as_owner psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres "$@"; }

case "$cmd" in
  start)
    mkdir -p "$root"
    if [ ! -f "$data/PG_VERSION" ]; then
      echo "Creating the project's PostGIS cluster in $data (port $port)"
      mkdir -p "$data" "$sock"
      [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data" "$sock"
      chmod 700 "$data"
      as_owner "$pgbin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! running; then
      mkdir -p "$sock"
      if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$sock"; touch "$log"; chown postgres "$log"; fi
      tries=0
      until as_owner "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 30 \
        -o "-p $port -k $sock -c listen_addresses=127.0.0.1" start >/dev/null; do
        # Another server took the port since it was chosen (between choice and start, or
        # since an earlier run): unless MMK_PGPORT names it, move on to the next free one.
        if [ -z "${MMK_PGPORT:-}" ] && listening "$port" && [ "$tries" -lt 20 ]; then
          tries=$((tries + 1))
          port=$(next_free $((port + 1)))
          keep_port "$port"
          echo "Port taken by another server; the project's PostGIS tries $port." >&2
          continue
        fi
        echo "The project's PostGIS did not start on port $port; the end of $log says:" >&2
        tail -n 5 "$log" >&2
        echo "(Another server on that port? Choose another one with MMK_PGPORT=…)" >&2
        exit 1
      done
      echo "Started the project's PostGIS on 127.0.0.1:$port"
    fi
    # Idempotent: the role may create databases (the test runner needs that) but is no superuser;
    # PostGIS lives in template1 so every database created from it, test databases too, has it.
    psql_super -d postgres -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$role')
      THEN CREATE ROLE $role LOGIN CREATEDB; END IF; END\$\$;"
    psql_super -d template1 -c "CREATE EXTENSION IF NOT EXISTS postgis" -c "CREATE EXTENSION IF NOT EXISTS pg_trgm"
    if [ -z "$(psql_super -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname='$dbname'")" ]; then
      psql_super -d postgres -c "CREATE DATABASE $dbname OWNER $role"
    fi
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ] && running; then
      as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null && echo "Stopped the project's PostGIS."
    fi
    ;;
  drop)
    "$0" stop
    rm -rf "$data" "$sock" "$log" "$portfile"
    rmdir "$root" 2>/dev/null || true
    echo "Dropped the project's PostGIS cluster."
    ;;
  *) echo "usage: $0 start|stop|drop|port" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The production start (`make serve`): gunicorn and the job queue's worker side by side; when
# either ends (or on Ctrl-C / SIGTERM), both are stopped. Set-up (migrations, static files) is
# done by the make target before.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PY:-.venv/bin/python}
bind=${BIND:-127.0.0.1:8000}

# Workers: WEB_CONCURRENCY (gunicorn reads it itself), else 2 per core plus one.
export WEB_CONCURRENCY=${WEB_CONCURRENCY:-$(($(nproc) * 2 + 1))}

"$py" manage.py procrastinate worker --queues=mail,housekeeping --concurrency="${QUEUE_CONCURRENCY:-4}" \
  --delete-jobs=successful &
worker=$!
"$py" -m gunicorn config.wsgi --bind "$bind" --access-logfile - \
  --timeout "${GUNICORN_TIMEOUT:-60}" --graceful-timeout 20 --forwarded-allow-ips="${FORWARDED_ALLOW_IPS:-127.0.0.1}" &
web=$!

stop() { kill -TERM "$web" "$worker" 2>/dev/null || true; }
trap stop INT TERM
# Whichever ends first, the other follows: a server without its worker would queue mail forever.
wait -n "$web" "$worker" || true
stop
wait "$web" "$worker" 2>/dev/null || true

#!/bin/sh
# Bring the database up to date, then become uvicorn: `exec` makes it PID 1, so the SIGTERM
# from `docker stop` reaches it and it shuts down cleanly. Nothing here echoes the
# environment, which holds secrets (TRADESTATS_ADMIN_KEY, passwords in DATABASE_URL).
set -eu
# Each worker writes its metrics here, so /metrics adds up all of them.
PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/tradestats-metrics}"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
export PROMETHEUS_MULTIPROC_DIR
alembic upgrade head
python3 -m app.seed
# The app writes its own JSON access log, and no Server header names the software.
# LOG_CONFIG (app/logging.json in the image) makes uvicorn's own lines JSON too.
set -- --no-access-log --no-server-header
if [ -n "${LOG_CONFIG:-}" ]; then set -- "$@" --log-config "$LOG_CONFIG"; fi
exec uvicorn app.main:app --host "${HOST:-0.0.0.0}" --port "$PORT" --workers "$WORKERS" "$@"

#!/bin/sh
# Bring the database up to date, then become uvicorn: `exec` makes it PID 1, so the SIGTERM
# from `docker stop` reaches it and it shuts down cleanly. Nothing here echoes the
# environment, which holds secrets (TRADESTATS_ADMIN_KEY, passwords in DATABASE_URL).
set -eu

# A command given to `docker run` (`python3 -m app.cli keys list`) runs instead.
if [ "$#" -gt 0 ]; then
    exec "$@"
fi

# uvicorn takes a port past 65535 modulo 65536 and says it listens on the one given.
case "${PORT:-}" in
    '' | *[!0-9]*) bad_port=1 ;;
    *) [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] && bad_port=0 || bad_port=1 ;;
esac
if [ "$bad_port" = 1 ]; then
    echo "error: PORT=${PORT:-} is not a port: give 1 to 65535" >&2
    exit 2
fi
# uvicorn takes WORKERS=0 or -1 as one worker, silently.
case "${WORKERS:-}" in
    '' | *[!0-9]* | 0*) echo "error: WORKERS=${WORKERS:-} is not a number of processes: give 1 or more" >&2; exit 2 ;;
esac

# Until then this shell is PID 1, which ignores SIGTERM unless it traps it: `docker stop`
# would wait out its 10 s and kill. Each step runs in the background so the trap can stop it.
child=
step() {
    "$@" &
    child=$!
    wait "$child"
}
trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; fi; exit 143' TERM INT

# Each worker writes its metrics here, so /metrics adds up all of them. Only the files
# prometheus_client writes are cleared: the folder may be one the operator chose, with
# other files in it (the database, say).
PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/tradestats-metrics}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -type f \( -name 'counter_*.db' \
    -o -name 'gauge_*.db' -o -name 'histogram_*.db' -o -name 'summary_*.db' \) -delete
export PROMETHEUS_MULTIPROC_DIR
step alembic upgrade head
step python3 -m app.seed
# Several workers would each stop on a revoked TRADESTATS_ADMIN_KEY, and uvicorn restart them
# for ever: one check first (app/preflight.py). The steps above checked every other setting.
if [ "$WORKERS" -gt 1 ]; then step python3 -m app.preflight; fi
trap - TERM INT

# asyncio's own event loop, never uvloop (README, Performance: why). The app writes its own
# JSON access log, and no Server header names the software. LOG_CONFIG
# (app/logging.json in the image) makes uvicorn's own lines JSON too.
set -- --loop asyncio --no-access-log --no-server-header
if [ -n "${LOG_CONFIG:-}" ]; then set -- "$@" --log-config "$LOG_CONFIG"; fi
exec uvicorn app.main:app --host "${HOST:-0.0.0.0}" --port "$PORT" --workers "$WORKERS" "$@"

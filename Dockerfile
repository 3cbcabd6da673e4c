# The tradestats API: migrate, seed, then serve with uvicorn. See README, "Docker".
# BASE is an argument so that a machine with no registry can build from a local image.
ARG BASE=python:3.12-slim

# Build stage: a virtualenv with the pinned dependencies and nothing else.
FROM ${BASE} AS build
# Only the lock file, so that a change to the code does not reinstall the dependencies.
COPY requirements.lock /tmp/requirements.lock
RUN python3 -m venv /venv \
    && /venv/bin/pip install --no-cache-dir --disable-pip-version-check \
        -r /tmp/requirements.lock

# Runtime stage: the same base, the virtualenv, the code, and a user that is not root.
FROM ${BASE}
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/tradestats.db \
    PORT=8000 \
    WORKERS=1 \
    LOG_CONFIG=/app/app/logging.json
# The database lives in /data, the only place the app may write. The user's id is fixed and
# numeric, so that an orchestrator can check that it is not root.
RUN useradd --user-group --uid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin tradestats \
    && mkdir /data \
    && chown 10001:10001 /data
COPY --from=build /venv /venv
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY seed ./seed
COPY docker/entrypoint.sh ./docker/
COPY app ./app
# Bytecode made once, here: at run time nothing may write it (PYTHONDONTWRITEBYTECODE, and
# /app is not the user's), so each start would compile every module again (50 ms or more).
RUN python3 -m compileall -q app migrations
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
# slim has no curl. urlopen raises, so python exits non-zero, on an error status or no answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/healthz', timeout=4)"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]

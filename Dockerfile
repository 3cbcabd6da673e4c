# A minimal image: migrate, seed, then serve. (Hardening is tracked in its own issue.)
ARG BASE=python:3.12-slim
FROM ${BASE}
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/tradestats.db
COPY requirements.lock ./
RUN python3 -m venv /venv && /venv/bin/pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY seed ./seed
VOLUME ["/data"]
EXPOSE 8000
CMD ["/bin/sh", "-c", "/venv/bin/alembic upgrade head && /venv/bin/python -m app.seed && exec /venv/bin/uvicorn app.main:app --host 0.0.0.0 --port 8000"]

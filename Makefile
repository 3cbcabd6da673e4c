# Two commands: `make run` serves the API, `make test` runs the suite. Both set up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 1

.PHONY: run serve test soak browser bench bench-smoke wrk lint audit format migrate seed examples lock clean

run: migrate seed serve

# With several workers, a setting they refuse is checked once first (app/preflight.py).
# asyncio's own event loop, never uvloop: README, Performance says why.
serve: $(VENV)/.runtime
	$(if $(filter-out 1,$(WORKERS)),$(BIN)/python -m app.preflight)
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT) --workers $(WORKERS) \
		--loop asyncio --no-access-log --no-server-header $(if $(LOG_CONFIG),--log-config $(LOG_CONFIG))

migrate: $(VENV)/.runtime
	$(BIN)/alembic upgrade head

seed: $(VENV)/.runtime
	$(BIN)/python -m app.seed

test: $(VENV)/.dev browser
	$(BIN)/pytest $(PYTEST_ARGS)

# A bounded load test: mixed reads and writes for SOAK_SECONDS against 2 uvicorn workers on
# loopback (tests/test_soak.py; the suite runs it for 6 s). Figures: test-artifacts/soak.json.
SOAK_SECONDS ?= 60
soak: $(VENV)/.dev
	SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/pytest tests/test_soak.py -q -s $(PYTEST_ARGS)

# Debian's Chromium for tests/test_browser.py, installed when it is missing and we are root
# with apt-get. Otherwise those tests skip (or fail, when REQUIRE_BROWSER_TEST=1).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium >/dev/null; } \
			|| echo "could not install chromium: the browser tests will skip"; \
	fi

# The benchmark of issue 7 (bench/): tradestats against Datasette on the same SQLite file.
# `bench` builds about 3.6M observations (minutes) and fails when a target is missed;
# `bench-smoke` runs the same harness on 180 in under a minute and never fails on speed.
BENCH_VENV := .venv-bench

bench: $(VENV)/.runtime $(BENCH_VENV)/.installed wrk
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-smoke: $(VENV)/.runtime $(BENCH_VENV)/.installed wrk
	$(BIN)/python -m bench --smoke

# Debian's wrk, the load generator, installed as `browser` installs chromium. Without it
# the harness falls back to a weaker Python load generator and says so in its table.
wrk:
	@if ! command -v wrk >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's wrk for the benchmark"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq wrk >/dev/null; } \
			|| echo "could not install wrk: the benchmark uses its Python stand-in"; \
	fi

# Datasette, the benchmark peer, in a venv of its own: never among the app's dependencies.
$(BENCH_VENV)/.installed: $(VENV)/.python bench/requirements.lock
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --upgrade pip
	$(BENCH_VENV)/bin/pip install -q -r bench/requirements.lock
	touch $@

lint: $(VENV)/.dev
	$(BIN)/ruff check app bench migrations tests
	$(BIN)/ruff format --check app bench migrations tests
	$(BIN)/mypy app bench

# Known vulnerabilities in the pinned dependencies, from PyPI's advisory data. The lock
# files pin every package, so nothing needs resolving (--no-deps) or installing.
audit: $(VENV)/.dev
	$(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off \
		--vulnerability-service pypi -r requirements.lock -r requirements-dev.lock

format: $(VENV)/.dev
	$(BIN)/ruff check --fix app bench migrations tests
	$(BIN)/ruff format app bench migrations tests

# Rewrite the documented examples (app/api/examples.json) from a freshly seeded database.
examples: $(VENV)/.dev
	$(BIN)/python -m tests.make_examples

# The venv, created with the pinned versions. Re-made when a lock file changes.
$(VENV)/.python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "tradestats needs Python 3.11 or newer (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	touch $@

$(VENV)/.runtime: $(VENV)/.python requirements.lock pyproject.toml
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(BIN)/pip install -q -r requirements-dev.lock
	touch $@

# Re-pin every dependency from the ranges in pyproject.toml.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q .
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^tradestats' > requirements.lock
	.lock-venv/bin/pip install -q '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^tradestats' > requirements-dev.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) $(BENCH_VENV) data bench/data .pytest_cache

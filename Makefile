# The README's commands. Everything installs into .venv; data lives under var/.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install lock demo serve test test-sqlite test-postgres test-browser lint bench bench-postgres bench-visits bench-visits-postgres bench-directory bench-directory-postgres bench-entitlements bench-entitlements-postgres bench-api bench-api-postgres system-deps clean

# The whole dependency tree comes from the lock, every file checked against its hash
# (requirements.lock: pip-compile --generate-hashes of pyproject.toml, dev extra included);
# then Yiyang itself, with the locked setuptools and nothing fetched. Update: docs/architecture.md §9.
$(BIN)/yiyang: pyproject.toml requirements.lock requirements-build.lock
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Yiyang needs Python >= 3.11")'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-build.lock -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

# Re-resolve the lock after changing a pin in pyproject.toml (needs network to PyPI; pip-tools
# is a developer's tool, installed here only, not part of the tree).
lock: $(BIN)/yiyang
	$(BIN)/pip install --quiet pip-tools==7.6.2
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

install: $(BIN)/yiyang
	$(BIN)/yiyang migrate --no-input

demo: install
	YIYANG_PORT=$(PORT) $(BIN)/yiyang demo
	@echo ""
	@echo "打开 http://127.0.0.1:$(PORT)/ 登录（Ctrl+C 停止）"
	$(BIN)/yiyang serve --port $(PORT)

serve: install
	$(BIN)/yiyang serve --port $(PORT)

# Debian packages the suite needs: PostgreSQL server, Chromium, a CJK font.
system-deps:
	@bash scripts/system-deps.sh

test: install system-deps lint test-sqlite test-postgres

# pytest-xdist: TEST_WORKERS processes share the tests, each with its own test database. The
# browser journeys run after, on their own: one Chromium and one live server at a time, with
# nothing competing for the cores under their timeouts.
TEST_WORKERS ?= 2

test-sqlite: install
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not browser"
	$(BIN)/pytest -q -m browser

# With a streaming replica of the throw-away server, so the replica's tests run (tests/test_replica.py).
test-postgres: install
	YIYANG_PG_REPLICA=1 bash scripts/with-postgres.sh $(BIN)/pytest -q -n $(TEST_WORKERS) -m "not browser"

test-browser: install
	$(BIN)/pytest -q -m browser

# ruff, the layer contracts of pyproject.toml (import-linter), and mypy on the apps.
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/import_elders.py --rows 1000000

# The same on a throw-away PostgreSQL server (docs/benchmarks.md).
bench-postgres: install
	bash scripts/with-postgres.sh $(BIN)/python benchmarks/import_elders.py --rows 1000000

# The monthly visit rate over 1,000,000 elders and ≈12,000,000 visits: the maintained aggregate
# next to a raw recount, both in the same run, checked equal (docs/benchmarks.md). Smaller:
# make bench-visits VISITS_ARGS="--elders 100000 --months 6"
VISITS_ARGS ?= --elders 1000000 --months 12
bench-visits: install
	$(BIN)/python benchmarks/visits.py $(VISITS_ARGS)

bench-visits-postgres: install
	bash scripts/with-postgres.sh $(BIN)/python benchmarks/visits.py $(VISITS_ARGS)

# A full entitlement recompute over 1,000,000 elders next to a raw pass over the same columns,
# with an API registration every 0.5 s meanwhile (docs/benchmarks.md). Smaller:
# make bench-entitlements ENT_ARGS="--elders 200000"
ENT_ARGS ?= --elders 1000000
bench-entitlements: install
	$(BIN)/python benchmarks/entitlements.py $(ENT_ARGS)

bench-entitlements-postgres: install
	bash scripts/with-postgres.sh $(BIN)/python benchmarks/entitlements.py $(ENT_ARGS)

# The elder API under load: 200,000 elders, a real gunicorn server, 50 clients for 30 s on the list,
# the detail, the entitlements and /healthz; bar: each p99 <= 3 x /healthz's (docs/benchmarks.md).
# Smaller: make bench-api API_ARGS="--elders 20000"
API_ARGS ?= --elders 200000 --clients 50 --seconds 30
bench-api: install
	$(BIN)/python benchmarks/api_load.py $(API_ARGS)

bench-api-postgres: install
	bash scripts/with-postgres.sh $(BIN)/python benchmarks/api_load.py $(API_ARGS)

# The resource directory's nearest-first search among 50,000 services (docs/benchmarks.md).
bench-directory: install
	$(BIN)/python benchmarks/directory.py

bench-directory-postgres: install
	bash scripts/with-postgres.sh $(BIN)/python benchmarks/directory.py

clean:
	rm -rf $(VENV) build *.egg-info

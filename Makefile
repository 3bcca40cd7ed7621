# The README's commands. Everything installs into .venv; data lives under var/.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install demo serve test test-sqlite test-postgres test-browser lint bench bench-postgres system-deps clean

$(BIN)/yiyang: pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Yiyang needs Python >= 3.11")'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

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

test-postgres: install
	bash scripts/with-postgres.sh $(BIN)/pytest -q -n $(TEST_WORKERS) -m "not browser"

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

clean:
	rm -rf $(VENV) build *.egg-info

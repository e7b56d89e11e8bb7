# zhili: two commands for a new user.
#   make demo   set up everything and serve http://127.0.0.1:8000 with a worker (SQLite)
#   make test   ruff, mypy, then the whole suite on SQLite and on PostgreSQL

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=

.PHONY: demo test install lint typecheck test-sqlite test-postgres messages clean

$(BIN)/zhili: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "zhili needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/zhili

install: $(BIN)/zhili

demo: install
	$(BIN)/zhili demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy zhili

test-sqlite: install
	DATABASE_URL=sqlite:///:memory: $(BIN)/pytest -n 2 $(PYTEST_ARGS)

# PostgreSQL is not optional when it answers on 127.0.0.1:5432 (it always does in CI).
test-postgres: install
	@if $(BIN)/python -c 'import psycopg,sys; psycopg.connect("$(PG_URL)", connect_timeout=3).close()' 2>/dev/null; then \
		DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2 $(PYTEST_ARGS); \
	elif [ -n "$$CI" ]; then echo "PostgreSQL does not answer on $(PG_URL) but CI needs it"; exit 1; \
	else echo "== PostgreSQL does not answer on 127.0.0.1:5432: PostgreSQL run skipped (not allowed in CI)"; fi

test: lint typecheck test-sqlite test-postgres

messages: install
	cd zhili && ../$(BIN)/python ../manage.py makemessages -l zh_Hans --no-obsolete
	$(BIN)/python manage.py compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

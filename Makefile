# One command per chore; CI runs `make lint test` through .ci/run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Exact versions of every dependency (pip-compile of pyproject.toml, all extras); `make lock` remakes it.
LOCK := requirements.lock
export OPENCAT_DATA_DIR ?= var
PORT ?= 8000
HOST ?= 127.0.0.1
# `make test`'s pytest workers: the cores this process may use, plus two.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)) + 2)')

.PHONY: install dev serve test test-sqlite lint fmt bench bench-inprocess soak lock clean

$(BIN)/opencat: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[postgres,s3]'
	touch $@

$(VENV)/.dev: $(BIN)/opencat
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[postgres,s3,dev]'
	touch $@

install: $(BIN)/opencat

dev: $(VENV)/.dev

serve: install
	$(BIN)/python -m compileall -q src
	$(BIN)/opencat db upgrade
	$(BIN)/opencat load-demo --if-empty
	$(BIN)/opencat serve --host $(HOST) --port $(PORT)

# The coverage report's last lines; it fails under pyproject's fail_under (a pipe into tail would
# hide that).
# One pytest process per core and two more (pytest-xdist): the system tests wait on their servers
# and sleep through outages, and the extra workers use that time. On two cores (one machine, one
# afternoon): two workers 6 min 3 s, three 5 min 58 s, four 5 min 5-26 s, five 5 min 39 s, six
# 6 min 11 s (docs/performance.md, "The test suite, a fifth pass"). Work stealing: a worker that
# runs out takes half of the busiest one's queue, so the run does not end on one worker finishing
# long system tests alone. pytest-cov gathers the workers' coverage.
# Byte-compiled first: where PYTHONDONTWRITEBYTECODE is set (CI's machines), every process the tests
# start (servers, workers, CLI commands) would otherwise compile the whole package again (~0.6 s each).
# pytest itself runs without PYTHONDONTWRITEBYTECODE: it then keeps the test modules as rewritten
# for its assertions (in __pycache__, ignored by git), and a second run collects in 6.5 s, not 17.7.
test: dev
	$(BIN)/python -m compileall -q src
	$(BIN)/coverage erase
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest --db=all -n $(TEST_WORKERS) --dist worksteal --cov --cov-report=
	@$(BIN)/coverage report --skip-covered > $(VENV)/coverage.txt; status=$$?; tail -n 3 $(VENV)/coverage.txt; exit $$status

test-sqlite: dev
	$(BIN)/pytest --db=sqlite -q

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Through HTTP, against a floor (needs wrk: apt-get install -y wrk); PostgreSQL too when
# OPENCAT_BENCH_POSTGRES_URL names a server. Options: make bench BENCH_ARGS="--seconds 5".
bench: dev
	@command -v wrk >/dev/null || { echo "make bench needs wrk, the load generator: apt-get install -y wrk (Debian, Ubuntu)"; exit 1; }
	$(BIN)/python -m bench $(BENCH_ARGS)

# The in-process breakdown (no HTTP): reads, resources, uploads, RDF, search.
bench-inprocess: dev
	$(BIN)/python -m bench inprocess

# Ten minutes of mixed traffic on two workers (not in CI); e.g. SOAK_ARGS="--database postgresql --duration 120".
soak: dev
	$(BIN)/python -m tests.system.soak $(SOAK_ARGS)

# After a change of dependencies in pyproject.toml: resolve again, in a throwaway venv with pip-tools
# (existing pins are kept; LOCK_ARGS=--upgrade moves everything to the newest allowed).
lock:
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --quiet 'pip-tools>=7.4,<8'
	$(VENV)-lock/bin/pip-compile --quiet $(LOCK_ARGS) --strip-extras --extra postgres --extra s3 --extra dev \
		--no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml
	rm -rf $(VENV)-lock

clean:
	rm -rf $(VENV) $(VENV)-clients var .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache

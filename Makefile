# The single entry point. `make run` serves the example service; `make test`
# installs into .venv and runs the tests (compiled, then pure), then the
# benchmark gate.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8080
BENCH_DIR ?= benchmarks/results
BENCH_RUNS ?= 1 2 3
PYTEST_ARGS ?=

.PHONY: help install install-dev run test test-compiled test-pure test-unit test-integration test-cov type-check bench bench-gate bench-upstream lint format wheel packages load services services-stop container-test fleet-test clean

help:
	@echo "make run       serve the example service on http://127.0.0.1:$(PORT)/"
	@echo "make test      install, run the tests (compiled and pure) and the benchmark gate"
	@echo "make services  start PostgreSQL, Redis, Mosquitto, RabbitMQ and the CouchDB and ClickHouse stand-ins"
	@echo "make bench     benchmarks only; make bench-gate checks their ratios"
	@echo "make lint      ruff check + format check + mypy;  make format  rewrite in place"
	@echo "make test-unit / test-integration   pure logic only / real services and envoxyd only"
	@echo "make test-cov  coverage of both builds, HTML report in htmlcov/"
	@echo "make type-check  mypy;  make install-dev  the [dev] extra (+ pre-commit hooks)"
	@echo "make packages  sdists + wheels of envoxy and envoxyd into dist/"
	@echo "make wheel     manylinux wheels per interpreter into wheelhouse/, tested as installed"
	@echo "make container-test  the image's runtime contract in Linux namespaces (root)"
	@echo "make fleet-test      several envoxyd hosts in network namespaces on one broker (root)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Compiled modules are required here: a failed compile must not pass silently.
install: $(PY)
	ENVOXY_REQUIRE_EXTENSIONS=1 $(PY) -m pip install --quiet -e '.[test,clickhouse]' -e vendors/envoxyd

install-dev: $(PY)
	ENVOXY_REQUIRE_EXTENSIONS=1 $(PY) -m pip install --quiet -e '.[dev]' -e vendors/envoxyd
	$(VENV)/bin/pre-commit install

run: install
	$(VENV)/bin/envoxyd --http :$(PORT) --set conf=examples/hello/envoxy.json

test: install test-compiled test-pure bench-gate

test-compiled:
	$(PY) -m pytest tests $(PYTEST_ARGS)

test-pure:
	ENVOXY_NO_EXTENSIONS=1 $(PY) -m pytest tests/speedups tests/unit $(PYTEST_ARGS)

test-unit: install
	$(PY) -m pytest tests -m unit $(PYTEST_ARGS)

test-integration: install
	$(PY) -m pytest tests -m integration $(PYTEST_ARGS)

# Python-level coverage of both builds, combined (the compiled twins' own
# lines are not traced: their parity with the pure twins is what the speedups
# suite proves); the envoxyd processes the daemon tests start are not traced.
test-cov: install
	$(PY) -m pip install --quiet 'coverage[toml]>=7.4'
	rm -rf .coverage .coverage.* htmlcov
	$(PY) -m coverage run --parallel-mode -m pytest tests $(PYTEST_ARGS)
	ENVOXY_NO_EXTENSIONS=1 $(PY) -m coverage run --parallel-mode -m pytest tests/speedups tests/unit $(PYTEST_ARGS)
	$(PY) -m coverage combine
	$(PY) -m coverage report --skip-covered --sort=cover
	$(PY) -m coverage html
	@echo "coverage report: htmlcov/index.html"

type-check:
	$(PY) -m mypy src vendors/envoxyd/src

# Three runs: the gate takes each benchmark's best time across them (this
# shared VM has spells of half speed lasting a second or two; one once covered
# the same benchmark in both of two runs).
bench:
	@mkdir -p $(BENCH_DIR)
	@for run in $(BENCH_RUNS); do \
		$(PY) -m pytest benchmarks -o testpaths=benchmarks -o python_files='bench_*.py' \
			--benchmark-json=$(BENCH_DIR)/run-$$run.json --benchmark-min-rounds=30 \
			--benchmark-max-time=0.5 --benchmark-min-time=0.0002 -q || exit 1; \
	done

# A gate under its floor is measured again, twice, for the failing groups' files
# only, and gated once more on every run: a real regression fails again; a
# slow spell of the VM that covered one side of a ratio in all three runs (seen
# in a clean-clone CI: the compiled encoder at 42 us instead of 25 in every
# run, its peer not) does not.
RUN_FILES = $(foreach run,$(BENCH_RUNS),$(BENCH_DIR)/run-$(run).json)
bench-gate: bench
	@$(PY) benchmarks/gate.py $(RUN_FILES) --retry-files $(BENCH_DIR)/retry.txt || { \
		echo "benchmark gate: measuring $$(cat $(BENCH_DIR)/retry.txt) again, twice"; \
		for run in again-1 again-2; do \
			$(PY) -m pytest $$(cat $(BENCH_DIR)/retry.txt) -o testpaths=benchmarks \
				-o python_files='bench_*.py' \
				--benchmark-json=$(BENCH_DIR)/run-$$run.json \
				--benchmark-min-rounds=30 --benchmark-max-time=0.5 \
				--benchmark-min-time=0.0002 -q || exit 1; \
		done; \
		$(PY) benchmarks/gate.py $(RUN_FILES) \
			$(BENCH_DIR)/run-again-1.json $(BENCH_DIR)/run-again-2.json; \
	}

lint: type-check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format:
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

wheel:
	scripts/build_wheels.sh

# What a release uploads next to the manylinux wheels: both sdists, and a
# wheel of each built here (envoxy's for this interpreter).
packages: $(PY)
	$(PY) -m pip install --quiet 'build>=1.2'
	rm -rf dist/envoxy-* dist/envoxyd-*
	ENVOXY_REQUIRE_EXTENSIONS=1 $(PY) -m build --outdir dist .
	$(PY) -m build --outdir dist vendors/envoxyd
	@ls -1 dist/*.tar.gz dist/*.whl

# ours vs upstream envoxy 0.7.1 from PyPI, same interpreter, same public-API
# workloads, interleaved; the table goes into docs/BENCHMARKS.md
bench-upstream:
	$(PYTHON) benchmarks/upstream/run.py

# envoxyd vs a bare WSGI callable vs Flask under wrk (apt-get install wrk)
load: install
	$(PY) benchmarks/http_load.py

services:
	scripts/services.sh start

# The image's runtime contract and the systemd unit, in Linux namespaces (root;
# no container engine needed). Part of `make test` too.
container-test: install
	$(PY) -m pytest tests/deploy/test_container.py tests/deploy/test_systemd_unit.py $(PYTEST_ARGS)

# Several envoxyd hosts in network namespaces on the shared brokers (root).
fleet-test: install
	$(PY) -m pytest -s tests/deploy/test_fleet.py $(PYTEST_ARGS)

services-stop:
	scripts/services.sh stop

clean:
	rm -rf build dist wheelhouse .pytest_cache .ruff_cache benchmarks/results
	find src -name '*.so' -delete -o -name '*.c' -path 'src/*' -delete

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

.PHONY: help install run test test-compiled test-pure bench bench-gate lint format wheel load services services-stop clean

help:
	@echo "make run       serve the example service on http://127.0.0.1:$(PORT)/"
	@echo "make test      install, run the tests (compiled and pure) and the benchmark gate"
	@echo "make services  start PostgreSQL, Redis, Mosquitto, RabbitMQ and the CouchDB and ClickHouse stand-ins"
	@echo "make bench     benchmarks only; make bench-gate checks their ratios"
	@echo "make lint      ruff check + format check;  make wheel  build wheels into wheelhouse/"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Compiled modules are required here: a failed compile must not pass silently.
install: $(PY)
	ENVOXY_REQUIRE_EXTENSIONS=1 $(PY) -m pip install --quiet -e '.[test,clickhouse]' -e vendors/envoxyd

run: install
	$(VENV)/bin/envoxyd --http :$(PORT) --set conf=examples/hello/envoxy.json

test: install test-compiled test-pure bench-gate

test-compiled:
	$(PY) -m pytest tests $(PYTEST_ARGS)

test-pure:
	ENVOXY_NO_EXTENSIONS=1 $(PY) -m pytest tests/speedups tests/unit $(PYTEST_ARGS)

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

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy src vendors/envoxyd/src

format:
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

wheel:
	scripts/build_wheels.sh

# envoxyd vs a bare WSGI callable vs Flask under wrk (apt-get install wrk)
load: install
	$(PY) benchmarks/http_load.py

services:
	scripts/services.sh start

services-stop:
	scripts/services.sh stop

clean:
	rm -rf build dist wheelhouse .pytest_cache .ruff_cache benchmarks/results
	find src -name '*.so' -delete -o -name '*.c' -path 'src/*' -delete

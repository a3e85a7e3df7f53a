# soak: `make demo` runs a short soak of the reference bot; `make test` runs the tests.
# Every target sets up what it needs first, and setting up twice does nothing the second time.
VENV := .venv
PY := $(VENV)/bin/python
BOT := examples/reference-bot
SETUP_STAMP := $(VENV)/.setup-done
BOT_STAMP := $(BOT)/node_modules/.package-lock.json
REPORT_JS := harness/report/js
REPORT_JS_STAMP := $(REPORT_JS)/node_modules/.package-lock.json
PYTHON ?= python3

.PHONY: setup demo test lint format bench docs clean bench-detect

setup: $(SETUP_STAMP) $(BOT_STAMP) $(REPORT_JS_STAMP)
	@scripts/ensure-redis.sh
	@scripts/ensure-chromium.sh

$(SETUP_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

$(BOT_STAMP): $(BOT)/package.json $(BOT)/package-lock.json
	cd $(BOT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The chart library report.html inlines (uPlot), pinned by its lock file.
$(REPORT_JS_STAMP): $(REPORT_JS)/package.json $(REPORT_JS)/package-lock.json
	cd $(REPORT_JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	$(VENV)/bin/soak run profiles/smoke.toml

# pytest exits 5 when it collected no tests: that must fail, not pass quietly.
# Two pytest workers: most of the suite's time is whole runs waiting out their duration, so two at a
# time roughly halve it on a 2-core machine. TEST_JOBS=0 runs in one process.
TEST_JOBS ?= 2
test: setup
	@$(PY) -m pytest -n $(TEST_JOBS) --dist worksteal --durations=30; code=$$?; \
	if [ $$code -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$code

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	@scripts/ensure-wrk.sh
	$(PY) -m benchmarks

# The detection matrix (hours; resumable): make bench-detect DETECT_ARGS="--cells 'heap-*,clean-0[12]'"
bench-detect: setup
	$(PY) -m benchmarks.detect $(DETECT_ARGS)

# docs/profile.md is generated from the profile's models; tests/unit/test_docs.py fails when it is stale.
docs: setup
	$(PY) -m harness.docs

clean:
	rm -rf $(VENV) $(BOT)/node_modules $(REPORT_JS)/node_modules

# fundledger: `make demo` and `make test` build the environment themselves when it is missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := reports/examples/demo.db

.PHONY: demo serve test tools bench bench-large peers lint typecheck lock messages clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

tools:
	@.ci/install-tools

# The sample ledger, its PDFs, and screenshots of its web pages (reports/examples/web; they need
# Chromium: as root it is installed from Debian, otherwise they are skipped with a line saying so).
demo: $(STAMP)
	@.ci/install-tools chromium
	$(BIN)/python -m fundledger.demo --db $(DEMO_DB)
	$(BIN)/python -m fundledger.demo_web --db $(DEMO_DB) --out reports/examples/web

# The sample ledger in the browser, at http://127.0.0.1:8000/ (users and password: make demo).
serve: $(STAMP)
	@test -f $(DEMO_DB) || { echo "serve: $(DEMO_DB) does not exist; run make demo first" >&2; exit 1; }
	$(BIN)/fundledger --db sqlite:///$(DEMO_DB) serve

# Runs the whole suite. First the programs it needs beyond Python's wheels (.ci/install-tools:
# as root they are installed from Debian; otherwise what is missing is named and its tests skip).
# PostgreSQL tests use FUNDLEDGER_TEST_POSTGRES_URL when it is set; otherwise a throw-away
# server is started with .ci/start-postgres if PostgreSQL is installed. The source is compiled
# first: where PYTHONDONTWRITEBYTECODE is set (as on the CI machine) each of the hundreds of
# `fundledger` processes the tests start would otherwise compile it again (a quarter of each).
test: tools $(STAMP)
	@if [ -z "$$FUNDLEDGER_TEST_POSTGRES_URL" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		export FUNDLEDGER_TEST_POSTGRES_URL=$$(.ci/start-postgres) || exit 1; \
	fi; \
	$(BIN)/python -m compileall -q src migrations && \
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)
	$(BIN)/ruff check src tests migrations benchmarks
	$(BIN)/ruff format --check src tests migrations benchmarks
	$(BIN)/mypy

# Benchmarks are measured here, never as timed tests. PostgreSQL too when
# FUNDLEDGER_BENCH_POSTGRES_URL names a database the benchmark may empty.
bench: $(STAMP) peers
	$(BIN)/python benchmarks/import_ecb_history.py
	$(BIN)/python benchmarks/import_donations.py
	$(BIN)/python benchmarks/report_campaign.py
	$(BIN)/python benchmarks/issue_receipts.py
	cd benchmarks && ../$(BIN)/python rates_fetch.py
	cd benchmarks && ../$(BIN)/python startup.py
	cd benchmarks && ../$(BIN)/python peers.py
	$(BIN)/python benchmarks/search_and_list.py
	$(BIN)/python benchmarks/web_pages.py
	cd benchmarks && ../$(BIN)/python upkeep.py
	$(BIN)/python benchmarks/web_import.py
	cd benchmarks && ../$(BIN)/python tax_import.py

# 10 million gifts on PostgreSQL (FUNDLEDGER_BENCH_POSTGRES_URL, a database it may empty):
# several minutes and a few GiB of disk, so apart from `make bench`.
bench-large: $(STAMP)
	cd benchmarks && ../$(BIN)/python large.py

# The tools benchmarks/peers.py measures beside fundledger (never needed by make test); the
# project's own pinned versions stay as they are.
peers: $(STAMP)
	command -v ledger >/dev/null && command -v hledger >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ledger hledger; }
	$(BIN)/python -c "import beancount, beanquery" 2>/dev/null || \
		$(BIN)/pip install -q -c constraints.txt "beancount==3.2.3" "beanquery==0.2.0"

lint: $(STAMP)
	$(BIN)/ruff check src tests migrations benchmarks
	$(BIN)/ruff format --check src tests migrations benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# Re-pin every dependency to the newest versions the constraints of pyproject.toml allow.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	{ echo "# Exact versions for a reproducible environment; regenerate with 'make lock'."; \
	  .lock-venv/bin/pip freeze --exclude-editable; } > constraints.txt
	rm -rf .lock-venv

# After changing a translatable string in src/fundledger/reports or src/fundledger/web: brings the
# he/ar catalogs up to date (new strings appear untranslated; tests/unit/test_i18n.py and
# tests/unit/test_web_i18n.py fail until they are filled in).
MESSAGES_TEMPLATE := .venv/fundledger.pot
WEB_MESSAGES_TEMPLATE := .venv/fundledger-web.pot
messages: $(STAMP)
	$(BIN)/pybabel -q extract -w 100 --no-location -k _ -k pgettext:1c,2 -k ngettext:1,2 -k npgettext:1c,2,3 \
		-o $(MESSAGES_TEMPLATE) src/fundledger/reports
	$(BIN)/pybabel -q update -w 100 --no-fuzzy-matching --ignore-pot-creation-date --ignore-obsolete -D fundledger \
		-d src/fundledger/reports/locale -i $(MESSAGES_TEMPLATE)
	$(BIN)/pybabel -q extract -F src/fundledger/web/babel.cfg -w 100 --no-location -k _ -k gettext \
		-k ngettext:1,2 -k N_ -o $(WEB_MESSAGES_TEMPLATE) src/fundledger/web
	$(BIN)/pybabel -q update -w 100 --no-fuzzy-matching --ignore-pot-creation-date --ignore-obsolete -D web \
		-d src/fundledger/web/locale -i $(WEB_MESSAGES_TEMPLATE)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

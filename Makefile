# The two commands a new machine needs: `make run` (the pipeline on the sample) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
export CDP_WAREHOUSE ?= $(CURDIR)/data/warehouse/cdp.duckdb
export DBT_PROFILES_DIR := $(CURDIR)

# Sample size: `make sample PERSONS=100000` for a bigger one.
PERSONS ?= 5000
DAYS ?= 30
SEED ?= 42

.PHONY: help install sample dbt-parse dagster-home run full-refresh test test-fast test-spark lint ui ui-screenshot docs customer bench accuracy eval eval-outside eval-scenarios spark clean

help:
	@echo "make run     set up, make the sample exports if missing, materialize every asset"
	@echo "make test    set up, then run the test suite"
	@echo "make test-fast  the unit tests only (no dbt, no Dagster job run)"
	@echo "make test-spark  the pipeline built on local Spark beside DuckDB, customers compared"
	@echo "make full-refresh  make run, with dbt's incremental models rebuilt from all of raw"
	@echo "make lint    ruff (Python) and sqlfluff (dbt SQL)"
	@echo "make ui      the Dagster web UI on http://127.0.0.1:3000"
	@echo "make docs    after make run: add the dbt docs to the site and serve it on http://127.0.0.1:8080"
	@echo "make customer  after make run: look a customer up by e-mail, phone or id on http://127.0.0.1:8081"
	@echo "make bench   the whole pipeline and one more day, timed per stage beside DuckDB's floor (PERSONS=100000)"
	@echo "make spark   the sample built on local Apache Spark and on DuckDB, timed, and their customers compared"
	@echo "make accuracy  standardized values against the sample's ground truth (after make run)"
	@echo "make eval    identity and golden records against the truth (after make run), then each scenario"
	@echo "make eval-outside  identity on outside labelled data (FEBRL; DATASET=febrl1|2|3) beside plain Splink"
	@echo "make eval-scenarios  identity on generated look-alikes of outside data (ONLY=contact_free,...) beside plain Splink"

install: $(STAMP)

# pip's few hundred lines go to .venv/install.log; the terminal gets its progress.
# The Spark engine (CDP_ENGINE=spark; its test runs in `make test`) needs pyspark and Java.
$(STAMP): pyproject.toml scripts/ensure_java.sh
	@echo "setting up $(VENV): the platform, dbt, Dagster, Great Expectations, Spark and the dev tools"
	@scripts/ensure_java.sh
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python scripts/pip_progress.py $(VENV)/install.log -- --upgrade pip
	@# a venv made before sqlglot was pinned below 29 may hold its compiled build, which
	@# would shadow the pure-Python modules (pyproject.toml, sqlglot)
	@$(BIN)/python -m pip uninstall -y -q sqlglotc >> $(VENV)/install.log 2>&1 || true
	@$(BIN)/python scripts/pip_progress.py $(VENV)/install.log -- -e ".[dev,spark]"
	@touch $(STAMP)

# The sample is generated on first use, deterministically; an outside landing zone
# (CDP_LANDING_DIR) is taken as it is and nothing is generated into it.
sample: install
	@if [ -n "$$CDP_LANDING_DIR" ]; then \
		echo "CDP_LANDING_DIR=$$CDP_LANDING_DIR: using its exports, generating nothing"; \
	elif [ -f data/landing/.complete ]; then \
		echo "sample exports present in data/landing"; \
	else \
		$(BIN)/cdp-generate --persons $(PERSONS) --days $(DAYS) --seed $(SEED) --out data --force \
		&& touch data/landing/.complete; \
	fi

# Dagster reads the dbt manifest when it loads the code location.
# A full parse with absolute paths: Dagster runs dbt from the project folder, and a partial
# parse would keep the relative seed paths of any earlier run from elsewhere.
# The var names the warehouse as the pipeline's dbt steps do, so their parse starts from this one.
# Parsed again only when a file of the project (or a folder: a file added or removed), the
# profile, the installed packages or the warehouse changed since (the warehouse is kept in
# target/.parsed_warehouse).
MANIFEST := dbt_project/target/manifest.json
PARSED_WAREHOUSE := dbt_project/target/.parsed_warehouse
DBT_FILES := $(shell find dbt_project \( -name target -o -name logs -o -name dbt_packages \) -prune -o -print)
$(shell mkdir -p dbt_project/target && (echo '$(CDP_WAREHOUSE)' | cmp -s - $(PARSED_WAREHOUSE) || echo '$(CDP_WAREHOUSE)' > $(PARSED_WAREHOUSE)))

dbt-parse: $(MANIFEST)

$(MANIFEST): $(STAMP) $(DBT_FILES) profiles.yml $(PARSED_WAREHOUSE)
	$(BIN)/dbt parse --project-dir $(CURDIR)/dbt_project --profiles-dir $(CURDIR) --no-partial-parse --quiet \
		--vars '{"warehouse": "$(CDP_WAREHOUSE)"}'
	@touch $(MANIFEST)

# The sample's tables built on local Apache Spark and on DuckDB by the same steps, each timed,
# then the customers of the two builds compared (README, "Scaling out"); in data/engines.
spark: sample
	$(BIN)/python -m cdp.spark build --landing $${CDP_LANDING_DIR:-data/landing} --work data/engines

# Dagster's instance: no usage statistics, no onboarding dialog in the UI.
dagster-home:
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\nnux:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml

run: sample dbt-parse dagster-home
	@$(BIN)/python -m cdp.config check
	@$(BIN)/python -m cdp.privacy ensure-key
	$(BIN)/python -m orchestration.run

# The same run, with dbt's incremental models rebuilt from all of raw.
full-refresh: sample dbt-parse dagster-home
	@$(BIN)/python -m cdp.config check
	@$(BIN)/python -m cdp.privacy ensure-key
	$(BIN)/python -m orchestration.run --config-json \
		'{"ops": {"dbt_transform": {"config": {"full_refresh": true}}, "dbt_marts": {"config": {"full_refresh": true}}}}'

# On every core: each test file runs whole on one worker (its module fixtures run once), and
# the workers share the pipeline's first build (tests/first_build.py). The Spark engine's
# build beside DuckDB's is `make test-spark` (CI runs both).
test: install dbt-parse
	$(BIN)/pytest -m "not spark" -n auto --dist loadfile --no-loadscope-reorder

# The pipeline built on local Apache Spark and on DuckDB, its customers compared (Java needed:
# `make install` sees to it).
test-spark: install dbt-parse
	$(BIN)/pytest -m spark

# The unit tests: no dbt, no Dagster job run (markers in pyproject.toml).
test-fast: install dbt-parse
	$(BIN)/pytest -m unit -n auto --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DBT_TARGET_PATH=$(CURDIR)/dbt_project/target/sqlfluff $(BIN)/sqlfluff lint dbt_project

# `dagster dev` parses the dbt project itself when it starts, with the `dbt` on PATH.
ui: dbt-parse dagster-home
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

# With `make ui` running, by headless Chromium: the asset graph by layer (docs/asset_graph.png)
# and the upstream lineage of the consent mart, asset by asset with checks (docs/asset_lineage.png).
ui-screenshot: install
	$(BIN)/python scripts/ui_screenshot.py http://127.0.0.1:3000/asset-groups docs/asset_graph.png
	$(BIN)/python scripts/ui_screenshot.py \
	  "http://127.0.0.1:3000/assets/marts/customer_consent?view=lineage&lineageScope=upstream&lineageDepth=2" \
	  docs/asset_lineage.png

# The documentation portal: the data-quality overview and Data Docs (built by `make run`), the
# dbt docs (models, columns, lineage) and the analyst guide, as static files in data/docs.
DOCS_PORT ?= 8080
docs: dbt-parse
	$(BIN)/dbt docs generate --static --project-dir $(CURDIR)/dbt_project --profiles-dir $(CURDIR) \
		--target-path $(CURDIR)/data/dbt_docs --quiet
	@mkdir -p data/docs/dbt
	cp data/dbt_docs/static_index.html data/docs/dbt/index.html
	$(BIN)/python -m cdp.quality publish
	$(BIN)/python -m cdp.quality serve --port $(DOCS_PORT)

# One customer at a glance (docs/customer_lookup.md); CUSTOMER_FLAGS=--pseudonymized for a
# user without access to personal data.
customer: install
	$(BIN)/cdp-customer serve $(CUSTOMER_FLAGS)

# Measurement only: compares the staging layer with data/truth, which the pipeline never reads.
accuracy: install
	$(BIN)/cdp-accuracy --warehouse $(CDP_WAREHOUSE) --truth data/truth

# The sample's figures (beside plain Splink, with the refusals and the threshold curve), then
# every scenario's.
eval: install dbt-parse
	$(BIN)/cdp-eval --warehouse $(CDP_WAREHOUSE) --truth data/truth
	$(BIN)/cdp-eval-scenarios --out data/eval

# Identity on labelled data nobody here wrote (FEBRL, landed as CRM exports), beside a plain
# Splink model: a warehouse of its own under data/eval, never the sample's.
eval-outside: install dbt-parse
	$(BIN)/cdp-eval-outside --dataset $(or $(DATASET),febrl3) --out data/eval

# Identity on generated exports made to look like outside data (no contact identifiers, typo'd
# copies, movers; cdp-generate --scenario), each in a warehouse of its own under data/eval.
eval-scenarios: install dbt-parse
	$(BIN)/cdp-eval-scenarios --out data/eval $(if $(ONLY),--only $(ONLY))

# A benchmark, not a test: 100,000 persons unless PERSONS is given (PERSONS=1000000).
BENCH_PERSONS := $(if $(filter command% environment%,$(origin PERSONS)),$(PERSONS),100000)
bench: install dbt-parse
	$(BIN)/cdp-bench --persons $(BENCH_PERSONS) --days $(DAYS) --seed $(SEED)

clean:
	rm -rf data/landing data/truth data/warehouse data/dagster_home data/exports data/bench data/docs data/dbt_docs data/quality data/eval data/engines

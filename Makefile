# wirestream — the two set-up commands are `make run` and `make test`; each installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONUNBUFFERED := 1

.PHONY: install prometheus run test test-unit test-integration test-faults test-cluster chaos soak fuzz lint format bench train-ner clean

install: $(STAMP)

# The recogniser's C decoder is built by the editable install: a change to it reinstalls.
$(STAMP): pyproject.toml setup.py services/wirestream/enricher/_crf.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

# The main job: a local broker (or $$KAFKA_BOOTSTRAP), the pipeline, sample data flowing through it.
run: install
	$(BIN)/wirestream demo

# The metrics tests run a real Prometheus and promtool: Debian's package, installed when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
prometheus:
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || { \
	  echo "installing Debian's prometheus package (server and promtool) for the tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  $(SUDO) apt-get install -y -qq --no-install-recommends prometheus; }

# Unit and integration tests; integration tests start one real Kafka broker for the session.
test: install lint prometheus
	$(BIN)/pytest -m "not faults"

test-unit: install
	$(BIN)/pytest tests/unit

test-integration: install
	$(BIN)/pytest tests/integration

test-faults: install
	$(BIN)/pytest -m "faults and not volume"

# Not in CI: the fault runs at volume. test-faults runs the same tests on a few hundred raw
# records; these on 20,000 (brokers lost on a three-node cluster) and 50,000 (chaos).
# WIRESTREAM_FAULT_ENRICHERS=dateline,agencies,countries,topics runs the services without the
# entity model (its CRF bounds the throughput on two cores); the whole chain by default.
test-cluster: install
	WIRESTREAM_FAULT_RECORDS=20000 nice $(BIN)/pytest -m "faults or volume" tests/faults/test_broker_loss.py

chaos: install
	WIRESTREAM_FAULT_RECORDS=50000 nice $(BIN)/pytest -m faults tests/faults/test_chaos.py

# Not in CI: the three services at a steady rate with a small dedup window, RSS, lag and p99
# sampled (bench/soak.py); SOAK_MINUTES=30 is the issue's length.
SOAK_MINUTES ?= 30
SOAK_RATE ?= 4
soak: install
	mkdir -p .run
	nice $(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES) --rate $(SOAK_RATE) | tee .run/soak.json

# Not in CI: a million coverage-guided inputs through the normalizer (every format) and the
# item decoder (tests/faults/fuzz_normalizer.py); CI runs 30,000 in test-faults. The corpus
# grows in .run/fuzz-corpus, seeded from tests/faults/fuzz_corpus.
FUZZ_RUNS ?= 1000000
fuzz: install
	mkdir -p .run/fuzz-corpus
	nice $(BIN)/python tests/faults/fuzz_normalizer.py -runs=$(FUZZ_RUNS) -timeout=20 \
	  -rss_limit_mb=1536 -max_len=65536 -print_final_stats=1 \
	  .run/fuzz-corpus tests/faults/fuzz_corpus

lint: install
	$(BIN)/ruff check services tests bench setup.py
	$(BIN)/ruff format --check services tests bench setup.py

format: install
	$(BIN)/ruff format services tests bench setup.py
	$(BIN)/ruff check --fix services tests bench setup.py

bench: install
	$(BIN)/python -m bench

# Retrains the name recogniser's shipped models from the CoNLL and GermEval files (read from
# $$WIRESTREAM_NER_DATA, default ~/.cache/wirestream/ner-data, downloaded when missing) and
# scores them on the test splits; about 2 minutes of CPU per language. NER_CORPUS=open trains
# on the openly licensed corpora instead (enricher README: their licences and scores).
NER_CORPUS ?= shipped
train-ner: install
	$(BIN)/pip install --quiet -e '.[train]'
	nice $(BIN)/python -m wirestream.enricher.entities_training --corpus $(NER_CORPUS)

# Stops a broker left by `wirestream kafka start --detach` before its record in .run goes.
clean:
	if [ -x $(BIN)/wirestream ]; then $(BIN)/wirestream kafka stop; fi
	rm -rf $(VENV) .pytest_cache .ruff_cache .run build *.egg-info

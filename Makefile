# The NKT FAQ assistant. Quick start: `make shell` (talk to it), `make test` (every test).
# Each target does the set-up it needs: a Python 3.10 venv, pinned packages, the
# project's spaCy pipeline, and a model trained on the current data.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# rasa without libraries' deprecation notices (scripts/rasa_cli.py)
RASA := $(BIN)/python -m scripts.rasa_cli
# a server in the terminal's foreground: Ctrl-C stops it with one line and status 0
FOREGROUND := $(BIN)/python -m scripts.foreground
MODEL := models/nkt.tar.gz
PIPELINE := nlp/build/en_nkt/config.cfg
ENCODER := nlp/build/encoder/minilm-static.npy
NODE_MODULES := node_modules/.package-lock.json
# what the model depends on, listed once (scripts/training_inputs.py; any python3 runs it)
TRAINING_INPUTS := $(shell python3 -m scripts.training_inputs)
ifeq ($(strip $(TRAINING_INPUTS)),)
$(error `python3 -m scripts.training_inputs` listed no training inputs: run make from the project's folder, with Python 3 installed as python3)
endif
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PROMPT_TOOLKIT_NO_CPR ?= 1
export RASA_TELEMETRY_ENABLED ?= false
# Rasa 3.6's dependencies print pages of deprecation warnings at every start; they are not ours to
# fix (scripts/rasa_cli.py keeps out those that Sanic's and twilio's filters let through)
export PYTHONWARNINGS ?= ignore::DeprecationWarning,ignore::PendingDeprecationWarning
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
# `make run`/`make api`: Sanic workers of the rasa server (they share the SQLite stores of
# endpoints.yml); the web widget and Slack run one (socket.io sessions and Slack's retry
# memory live in one process)
RASA_WORKERS ?= 2

.PHONY: help install build train validate shell run web api slack actions test test-unit typecheck lint evaluate bench soak purge report check-article clean
.PHONY: audit api-token

help:
	@echo "make shell     talk to the assistant in the terminal (sets everything up first)"
	@echo "make test      run every test: lint, types, data validation, unit, conversation and end-to-end"
	@echo "make test-unit the tests that need no server and no trained model (about a minute)"
	@echo "make typecheck mypy over actions/, common/, nlp/, channels/, stores/"
	@echo "make install   create $(VENV) with Python 3.10 and the pinned packages"
	@echo "make build     build the project's spaCy pipeline (nlp/build/en_nkt)"
	@echo "make train     train the model ($(MODEL)) if data, config or domain changed"
	@echo "make check-article  after editing the article: passages changed, gone, new, and what to do (ACCEPT=1 records it)"
	@echo "make validate  rasa data validate"
	@echo "make run       rasa server (REST on 127.0.0.1:5005, RASA_WORKERS=2 Sanic workers) + action server"
	@echo "make api       make run with Rasa's HTTP API on, behind a token: RASA_API_TOKEN=... make api"
	@echo "make web       the article with the chat widget on http://127.0.0.1:8080/ (+ rasa and action servers)"
	@echo "make slack     the bot on Slack (needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; README, Slack)"
	@echo "make evaluate  score the trained bot on every split of eval/ (first quoted passage; per split)"
	@echo "make bench     latency and throughput of the bot over REST on loopback"
	@echo "make purge     delete conversations older than RETENTION_DAYS (30) from the tracker store"
	@echo "make report    what visitors asked, answered, declined, found helpful: reports/*.html (SINCE=7d)"
	@echo "make soak      16 users for 5 minutes: throughput, errors, memory growth (SOAK_MINUTES=…)"
	@echo "make audit     pip-audit on constraints.txt from .rasa/audit-venv; says so when its service is unreachable"

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt scripts/find-python310 scripts/install
	@VENV=$(VENV) scripts/install
	@touch $@

# the web widget's one dependency, socket.io-client, from npm (package-lock.json)
$(NODE_MODULES): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the web widget: apt-get install npm (or Node.js 18+)" >&2; exit 1; }
	@scripts/step "The web widget's socket.io client (npm ci)" npm ci --no-audit --no-fund --ignore-scripts --loglevel=error

install: $(VENV)/.installed $(NODE_MODULES)

$(PIPELINE): $(VENV)/.installed nlp/build.py nlp/patterns.jsonl nlp/places.txt
	@scripts/step "Building the project's spaCy pipeline (nlp/build/en_nkt)" $(BIN)/python -m nlp.build nlp/build/en_nkt

# the sentence encoder distilled to static token vectors (common/encoder.py; about 3 minutes, once)
$(ENCODER): $(VENV)/.installed common/encoder.py
	@scripts/step "Distilling the sentence encoder to static vectors (about 3 minutes, once)" $(BIN)/python -m common.encoder

build: $(PIPELINE) $(ENCODER)

# rasa's own cache retrains only what changed; the stamp spares the TensorFlow
# start-up when nothing did.
# the list of training inputs, rewritten only when it changes: a deleted or renamed data file
# retrains too (a file's removal leaves no newer prerequisite behind)
TRAINING_LIST := .rasa/training-inputs
TRAINING_NAMES := $(sort $(TRAINING_INPUTS))
$(shell mkdir -p .rasa && echo '$(TRAINING_NAMES)' | cmp -s - $(TRAINING_LIST) || echo '$(TRAINING_NAMES)' > $(TRAINING_LIST))

$(TRAINING_LIST):  # after `make clean` in the same run
	@mkdir -p $(@D) && echo '$(TRAINING_NAMES)' > $@

$(MODEL): $(PIPELINE) $(ENCODER) $(TRAINING_INPUTS) $(TRAINING_LIST)
	$(BIN)/python -m scripts.check_article
	@scripts/step "Training the model (about 5 minutes when everything changed)" $(RASA) train --fixed-model-name nkt --out models
	@touch $@

train: $(MODEL)

# after editing data/article/: what changed, who points to it, what to do (make train runs it
# too); ACCEPT=1 records the article as checked
check-article: $(VENV)/.installed
	$(BIN)/python -m scripts.check_article $(if $(ACCEPT),--accept)

validate: $(PIPELINE) $(ENCODER)
	$(RASA) data validate --fail-on-warnings

# the terminal channel (channels/shell.py): numbered choices, Ctrl-C/Ctrl-D//stop leave
shell: $(MODEL)
	@mkdir -p .rasa  # the conversations' SQLite file, .rasa/tracker.db (endpoints.yml)
	@MAKE_TARGET=$@ $(FOREGROUND) scripts/with-action-server $(BIN)/python -m scripts.rasa_shell --model $(MODEL) --interface 127.0.0.1

run: $(MODEL)
	@mkdir -p .rasa
	@MAKE_TARGET=$@ SANIC_WORKERS=$(RASA_WORKERS) $(FOREGROUND) scripts/with-action-server $(RASA) run --model $(MODEL) --interface 127.0.0.1 --port 5005

# Rasa's HTTP API reads conversations and replaces models: never without a token
# the token is checked first, before any install or training
api-token:
	@test -n "$$RASA_API_TOKEN" || { echo "make api needs RASA_API_TOKEN: the HTTP API can replace the model, so it never runs without a token" >&2; exit 1; }

api: api-token $(MODEL)
	@MAKE_TARGET=$@ SANIC_WORKERS=$(RASA_WORKERS) $(FOREGROUND) scripts/with-action-server $(RASA) run --model $(MODEL) --interface 127.0.0.1 --port 5005 --enable-api --auth-token "$$RASA_API_TOKEN"

# the page (web/, article rendered by scripts/web_server.py) + rasa (socket.io) + action server
web: $(MODEL) $(NODE_MODULES)
	@mkdir -p .rasa
	@MAKE_TARGET=$@ $(FOREGROUND) scripts/serve-web

# Slack (README, "Slack"): the variables are checked first, so a missing one fails at once,
# not after training; slack/credentials.yml adds the Slack channel to the usual ones.
slack:
	@missing=""; for variable in SLACK_BOT_TOKEN SLACK_SIGNING_SECRET; do \
	  [ -n "$${!variable:-}" ] || missing="$$missing $$variable"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make slack: not set:$$missing. Copy them from your Slack app (README, \"Slack\"), then export each: export NAME=..." >&2; \
	  exit 1; \
	fi
	@$(MAKE) --no-print-directory $(MODEL)
	@echo "Slack request URL (Event Subscriptions and Interactivity): https://YOUR-HOST/webhooks/slack/webhook"
	@echo "  where YOUR-HOST forwards HTTPS to 127.0.0.1:5005 (README, \"Slack\")"
	@MAKE_TARGET=$@ $(FOREGROUND) scripts/with-action-server $(RASA) run --model $(MODEL) --interface 127.0.0.1 --port 5005 \
	  --credentials slack/credentials.yml

actions: $(PIPELINE) $(ENCODER)
	SANIC_HOST=127.0.0.1 $(RASA) run actions --actions actions

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# the annotated server code (files: pyproject.toml [tool.mypy])
typecheck: $(VENV)/.installed
	$(BIN)/mypy

# the tests that need neither a server nor the trained model (pytest -m unit; markers: tests/conftest.py)
test-unit: $(PIPELINE) $(ENCODER)
	$(BIN)/python -m pytest -m unit

test: $(MODEL) $(NODE_MODULES)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	scripts/ensure-scale-servers
	CHROMIUM=$$(scripts/ensure-chromium) && export CHROMIUM && $(BIN)/python -m pytest

evaluate: $(MODEL)
	$(BIN)/python -m scripts.evaluate

# latency and throughput over REST on loopback (ours only so far; see scripts/bench.py)
bench: $(MODEL)
	$(BIN)/python -m scripts.bench

# delete the conversations older than RETENTION_DAYS (default 30) from the tracker store
# (PostgreSQL when DB_HOST is set); one conversation: python -m scripts.erase SENDER_ID
purge: $(VENV)/.installed
	$(BIN)/python -m scripts.purge

# what visitors asked (SINCE=7d for the last week): one HTML file, its path printed last
report: $(VENV)/.installed
	$(BIN)/python -m scripts.report $(if $(SINCE),--since $(SINCE))

# not part of `make test` (it takes 6 minutes); see scripts/soak.py
soak: $(MODEL)
	$(BIN)/python -m scripts.soak --minutes $(or $(SOAK_MINUTES),5)

# pip-audit from its own venv (.rasa/audit-venv), never .venv; exit 2 when the vulnerability
# service cannot be reached (README, "Supply chain"). AUDIT_SERVICE=osv for OSV instead of PyPI.
audit:
	@scripts/audit

clean:
	rm -rf models .rasa nlp/build results .logs .pytest_cache node_modules

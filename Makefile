# One entry point for presenters, CI and publishing. `make slides` and
# `make test` set the project up on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.marpkit-setup
# npm writes it on every install, so a deleted node_modules is set up again.
NODE_STAMP := node_modules/.package-lock.json

# pip compiles what it installs, but not an editable package: where
# PYTHONDONTWRITEBYTECODE is set (many containers) every marpkit run would
# compile it from source again, ~0.2 s of each command's start.
COMPILE = @$(BIN)/python -m compileall -q tools/marpkit

.PHONY: setup slides test lint check sync bench clean

$(STAMP): pyproject.toml $(NODE_STAMP)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "marpkit needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(COMPILE)
	@$(BIN)/python -m marpkit.doctor
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js >= 18 (apt-get install nodejs npm)"; exit 2; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(STAMP)

# In CI the check's report page goes beside the slides (the index's check badge
# links to it); a failed check still publishes, then fails the target.
slides: $(STAMP)
	@status=0; if [ -n "$$CI" ]; then $(BIN)/marpkit check --report build/check || status=$$?; fi; \
	$(BIN)/marpkit build || exit $$?; exit $$status

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/marpkit lint

check: $(STAMP)
	$(BIN)/marpkit check

sync: $(STAMP)
	$(BIN)/marpkit sync

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf build .marpkit-cache .pytest_cache

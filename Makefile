# Two commands a newcomer needs (see README): `make demo` and `make test`.
# Both set up what they need first: a virtualenv in .venv with the pinned dependencies,
# and (for the browser tests) Debian's chromium.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit install browser sandbox serve clean

demo: install
	$(BIN)/usher demo

test: install browser lint typecheck unit

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Web pages are tested in a real headless Chromium: Debian's package (Playwright's own
# browser download cannot work offline). Needs root or sudo the first time.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy bot adapters handlers tests bench

unit: install
	$(BIN)/pytest -q

sandbox: install
	$(BIN)/usher sandbox

serve: install
	$(BIN)/usher serve

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info

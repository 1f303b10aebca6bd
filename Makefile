# Aftersales — one command to run it, one to test it.
#   make run     set up (venv, assets, database, defaults, demo data) and serve web + worker
#   make test    set up and run the whole test suite
# Everything is idempotent: a second run only redoes what changed.

PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
FONT_SRC := node_modules/@fontsource/noto-sans-sc/files
FONT_DST := aftersales/static/vendor/noto-sans-sc
EMOJI_SRC := node_modules/@fontsource/noto-emoji/files
EMOJI_DST := aftersales/static/vendor/noto-emoji
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup lint format bench sysdeps rundeps messages makemessages clean help

help:
	@echo "make run | make test | make lint | make format | make bench | make clean"

run: setup rundeps
	$(BIN)/aftersales seed --demo --if-empty
	$(BIN)/aftersales serve --mailsink

test: setup sysdeps
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed $(FONT_DST)/.installed $(EMOJI_DST)/.installed messages
	$(BIN)/aftersales migrate --no-input -v 0

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null
	$(PY) -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --python $(PY) --no-deps -r requirements.lock
	$(BIN)/uv pip install -q --python $(PY) --no-deps -e .
	@touch $@

node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund --loglevel=error

# .woff for PDFs (WeasyPrint decodes WOFF2 slowly), .woff2 for browsers.
$(FONT_DST)/.installed: node_modules/.package-lock.json
	@mkdir -p $(FONT_DST)
	cp $(FONT_SRC)/noto-sans-sc-chinese-simplified-400-normal.woff* $(FONT_SRC)/noto-sans-sc-chinese-simplified-700-normal.woff* $(FONT_DST)/
	cp node_modules/@fontsource/noto-sans-sc/LICENSE $(FONT_DST)/LICENSE 2>/dev/null || true
	@touch $@

# PDFs' fallback for emoji (monochrome outlines); CJK Extension B comes from
# Debian's fonts-hanazono (scripts/sysdeps.sh): no npm package covers it.
$(EMOJI_DST)/.installed: node_modules/.package-lock.json
	@mkdir -p $(EMOJI_DST)
	cp $(EMOJI_SRC)/noto-emoji-emoji-400-normal.woff $(EMOJI_DST)/
	cp node_modules/@fontsource/noto-emoji/LICENSE $(EMOJI_DST)/LICENSE 2>/dev/null || true
	@touch $@

# Compiled on every set-up, so translations are never stale (pure Python:
# a newcomer's machine need not have gettext's msgfmt).
messages: $(VENV)/.installed
	$(BIN)/aftersales compiletranslations

makemessages: $(VENV)/.installed
	cd aftersales && ../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete --add-location=file -i 'static/*' -i 'tests/*'

# System parts some tests need (Chromium for browser tests, Dovecot for IMAP,
# poppler-utils for PDF checks). Installed from Debian when running as root;
# elsewhere the tests that need them skip and say what to install.
sysdeps:
	@bash scripts/sysdeps.sh

# Serving needs only the PDFs' fallback font (fonts-hanazono), installed as root.
rundeps:
	@bash scripts/sysdeps.sh run

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules $(FONT_DST) $(EMOJI_DST) var

# Setup and the two jobs the README opens with. Works on a fresh Debian machine with python3, pip, make, apt.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STORE ?= store
# torch is pinned to the CPU build that pip finds on this kind of machine; on others PyPI serves it.
TORCH ?= torch==2.13.0

.PHONY: run test setup setup-dev system-packages browser-packages lint bench

HOST ?= 127.0.0.1
PORT ?= 8000

## Set up and run the main job on the embedded defaults: ingest corpus/, answer one question from it, then
## serve the web app (staff page at /, admin page at /admin) until Ctrl+C.
run: setup
	$(VENV)/bin/kotae ingest corpus --store $(STORE)
	$(VENV)/bin/kotae ask "生成AIに個人情報を入力してよいか" --store $(STORE)
	@echo "Kotae: open http://$(HOST):$(PORT)/ (staff) and http://$(HOST):$(PORT)/admin (admin); Ctrl+C stops it"
	$(VENV)/bin/kotae serve --store $(STORE) --host $(HOST) --port $(PORT)

## Set up with the test extras and run the whole test suite, lint and type checks included.
test: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy kotae ingest service cli eval
	$(VENV)/bin/pytest -q

# IPA明朝 (fonts-ipafont-mincho): 答弁案 Word files ask for ＭＳ 明朝, which fontconfig (LibreOffice) shows in the
# best serif face installed; without a 明朝 that is Noto Serif CJK or nothing Japanese at all.
system-packages:
	@if command -v apt-get >/dev/null 2>&1; then \
	  missing=""; \
	  python3 -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	  command -v tesseract >/dev/null 2>&1 || missing="$$missing tesseract-ocr tesseract-ocr-jpn"; \
	  command -v tesseract >/dev/null 2>&1 && ! tesseract --list-langs 2>/dev/null | grep -qx jpn && missing="$$missing tesseract-ocr-jpn"; \
	  command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	  [ -d /usr/share/fonts/opentype/ipafont-mincho ] || missing="$$missing fonts-ipafont-mincho"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	  fi; \
	else echo "apt-get not found: install tesseract-ocr (jpn) and poppler-utils yourself for OCR," \
	  "and a 明朝 font (IPA明朝) to view 答弁案 Word files"; fi

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

setup: system-packages $(VENV)/bin/python
	$(PIP) install -q -e .

# The browser tests drive Debian's Chromium through Playwright (no browser download); the Noto CJK fonts let
# it render Japanese (screenshots).
browser-packages:
	@if command -v apt-get >/dev/null 2>&1; then \
	  missing=""; \
	  command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  [ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	  fi; \
	else echo "apt-get not found: install Chromium yourself for the browser tests"; fi

setup-dev: system-packages browser-packages $(VENV)/bin/python
	$(PIP) install -q "$(TORCH)"
	$(PIP) install -q -e ".[dev]"

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy kotae ingest service cli eval

## Benchmarks (print figures; see README).
bench: setup
	$(PY) -m eval.bench_ingest

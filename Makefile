# Setup and the two jobs the README opens with. Works on a fresh Debian machine with python3, pip, make, apt.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STORE ?= store
# torch is pinned to the CPU build that pip finds on this kind of machine; on others PyPI serves it.
TORCH ?= torch==2.13.0

.PHONY: run test setup setup-dev system-packages browser-packages lint bench

## Set up and run the main job on the embedded defaults: ingest corpus/, search it, answer from it, draft from it.
run: setup
	$(VENV)/bin/kotae ingest corpus --store $(STORE)
	$(VENV)/bin/kotae search "生成AIに個人情報を入力してよいか" --store $(STORE) -k 3
	$(VENV)/bin/kotae ask "生成AIに個人情報を入力してよいか" --store $(STORE)
	$(VENV)/bin/kotae draft "書かない窓口の拡大について" --questioner 早瀬亮介 --stance 推進 --store $(STORE)

## Set up with the test extras and run the whole test suite, lint and type checks included.
test: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy kotae ingest service cli eval
	$(VENV)/bin/pytest -q

system-packages:
	@if command -v apt-get >/dev/null 2>&1; then \
	  missing=""; \
	  python3 -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	  command -v tesseract >/dev/null 2>&1 || missing="$$missing tesseract-ocr tesseract-ocr-jpn"; \
	  command -v tesseract >/dev/null 2>&1 && ! tesseract --list-langs 2>/dev/null | grep -qx jpn && missing="$$missing tesseract-ocr-jpn"; \
	  command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	  fi; \
	else echo "apt-get not found: install tesseract-ocr (jpn) and poppler-utils yourself for OCR"; fi

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

setup: system-packages $(VENV)/bin/python
	$(PIP) install -q -e .

# The browser tests drive Debian's Chromium through Playwright (no browser download).
browser-packages:
	@if command -v apt-get >/dev/null 2>&1; then \
	  if ! command -v chromium >/dev/null 2>&1; then \
	    echo "installing Debian packages: chromium"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
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

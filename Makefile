# Tracegrade: `make run` to try it, `make test` to check it. Needs only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: install run test lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# .env holds this checkout's development settings, read by every manage.py
# command (so `.venv/bin/python manage.py import_content content/` works too).
.env:
	printf 'DEBUG=1\n' > .env
	@echo "Wrote .env (DEBUG=1) for this development checkout."

run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py import_content content/
	$(BIN)/python manage.py create_demo_accounts
	@echo "Serving http://127.0.0.1:8000/ with one Celery worker (and its beat). Ctrl-C stops both."
	$(BIN)/python -m config.supervise --port 8000

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/equivalence.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/grading.py

clean:
	rm -rf $(VENV) var .pytest_cache

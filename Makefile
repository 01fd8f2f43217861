# Two commands a newcomer needs: `make run` and `make test`. Everything else is for engineers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint typecheck package clean browser-deps test-deps

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m chalicelib.local

# Browser tests drive Debian's chromium (Playwright's own browser download needs a network);
# the export test opens CSVs in headless LibreOffice Calc. Both come from Debian's packages.
test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-calc-nogui"; \
	if [ -n "$$missing" ]; then \
		echo "installing from Debian:$$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
		|| echo "could not install$$missing: the tests that need them will be skipped"; \
	fi

browser-deps: test-deps

test: $(STAMP) test-deps
	$(PY) -m ruff check .
	$(PY) -m mypy chalicelib app.py
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -n 2 -q

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy chalicelib app.py

# CloudFormation (SAM) template + deployment zip in dist/, no AWS account needed (PyPI for the wheels).
STAGE ?= prod
package: $(STAMP)
	$(PY) -m chalicelib.infra.package --stage $(STAGE) dist

clean:
	rm -rf $(VENV) .data dist test-output .pytest_cache .mypy_cache .ruff_cache

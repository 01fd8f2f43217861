# Two commands a newcomer needs: `make run` and `make test`. Everything else is for engineers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint typecheck package clean browser-deps

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m chalicelib.local

# Browser tests drive Debian's chromium (Playwright's own browser download needs a network).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "chromium not installed: browser tests will be skipped"; }

test: $(STAMP) browser-deps
	$(PY) -m ruff check .
	$(PY) -m mypy chalicelib app.py
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

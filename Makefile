# pakta: two commands for a new user.
#   make demo   set up, then render, sign and verify the sample batch end to end
#   make test   set up with the test tools, then lint, type-check and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench bench-scale setup setup-test system-deps lint clean catalogues \
	compile-catalogues screenshots

demo: setup
	bash scripts/demo.sh

test: setup-test lint
	$(BIN)/pytest -n 2 --dist loadgroup -q

bench: setup-test
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/scale.py --sizes $(SCALE_SIZES)

# The scale stage alone (ASN statements, local executor and a Dask LocalCluster):
#   make bench-scale SCALE_SIZES=2000,20000
SCALE_SIZES ?= 10000,100000
bench-scale: setup-test
	$(BIN)/python benchmarks/scale.py --sizes $(SCALE_SIZES)

# The README's picture of the Indonesian verification report (headless Chromium).
screenshots: setup-test
	PAKTA_SCREENSHOTS=1 $(BIN)/pytest -q -p no:randomly -n 0 \
		tests/test_verify_people.py -k html_report

lint:
	$(BIN)/ruff check pakta tests benchmarks
	$(BIN)/mypy

setup: system-deps $(VENV)/.installed compile-catalogues

setup-test: system-deps $(VENV)/.installed-test compile-catalogues

# The Indonesian and English catalogues: `make catalogues` extracts new strings into the
# .po files (translate them there); every setup compiles them.
catalogues: $(VENV)/.installed-test
	BIN=$(BIN) bash scripts/catalogues.sh

compile-catalogues: $(VENV)/.installed
	BIN=$(BIN) bash scripts/catalogues.sh compile

# Debian/Ubuntu packages: installed with apt as root, otherwise listed for you to install.
system-deps:
	bash scripts/system-deps.sh

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[demo]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

clean:
	rm -rf $(VENV) demo build *.egg-info .pytest_cache .mypy_cache .ruff_cache

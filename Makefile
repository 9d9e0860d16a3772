# kerker: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# torch first and pinned: any other spec pulls the CUDA wheels (see DEVELOPERS.md).
TORCH  := torch==2.13.0

.PHONY: install install-test demo test test-slow bench docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PIP) install -q -e '.[bench]' $(TORCH)
	touch $@

# the docs tools need no torch; naming the pin keeps pip from choosing another one
$(VENV)/.installed-docs: $(VENV)/.installed
	$(PIP) install -q -e '.[docs]' $(TORCH)
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: $(VENV)/.installed
	$(VENV)/bin/kerker demo --out results/demo

# a plain pytest runs the fast suite: slow tests are opt-in (tests/conftest.py)
test: $(VENV)/.installed-test
	$(PY) -m pytest -q

test-slow: $(VENV)/.installed-test
	$(PY) -m pytest -q -m slow

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run_all.py

# API reference and guides (mkdocs.yml) into site/; --strict: every warning is an error
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) results build dist site src/*.egg-info

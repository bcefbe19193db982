# One command each: `make demo` and `make test` install everything into ./.venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

VENV_MIN := .venv-min
STAMP_MIN := $(VENV_MIN)/.installed

.PHONY: install demo test test-min validate bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $(STAMP)

install: $(STAMP)

# Every dependency at the lower bound pyproject.toml declares (.ci/lower_bounds.py writes the pins).
$(STAMP_MIN): pyproject.toml .ci/lower_bounds.py
	rm -rf $(VENV_MIN)
	$(PYTHON) -m venv $(VENV_MIN)
	$(VENV_MIN)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_MIN)/bin/python .ci/lower_bounds.py > $(VENV_MIN)/constraints.txt
	$(VENV_MIN)/bin/python -m pip install --quiet -c $(VENV_MIN)/constraints.txt -e ".[test]"
	touch $(STAMP_MIN)

demo: $(STAMP)
	$(BIN)/spinbath demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The fast tests (not `slow`) against the lower bounds.
test-min: $(STAMP_MIN)
	$(VENV_MIN)/bin/python -m pytest -q

validate: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# The documentation site into docs/_build/html: warnings are errors, every cross-reference must
# resolve, and the tutorials execute (cached in docs/_build/.jupyter_cache: unchanged ones are not rerun).
docs: $(STAMP)
	$(BIN)/python -m sphinx -b html -n -W --keep-going -q docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(VENV_MIN) spinbath-demo

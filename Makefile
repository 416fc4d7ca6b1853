PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install run test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# setup.py builds the compiled loops (src/deepspec/_kernels.c) into the source tree
$(VENV)/.installed: pyproject.toml setup.py src/deepspec/_kernels.c | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# the tour needs the optional pieces: scikit-learn (generated data sets, digits),
# scikit-image (a photo), matplotlib (plots)
$(VENV)/.installed-run: pyproject.toml setup.py src/deepspec/_kernels.c | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[data,plot]'
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/deepspec tour

lint: install
	$(BIN)/ruff check src tests benchmarks setup.py

test: lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache src/deepspec/_kernels.*.so

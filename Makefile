# Two commands on a fresh machine with only python3 and make:
#   make demo   runs notebooks/quickstart.ipynb against the local emulator
#   make test   runs the suite but its slow and browser tests (make test-all: everything)
# The environment (.venv) is created from uv.lock on first use; uv itself is
# bootstrapped with pip into .tools so nothing is installed outside the checkout.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: env demo test test-all lint format lab emulator bench docs docs-images clean

env: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	@touch $@

demo: $(STAMP)
	$(VENV)/bin/ltx-notebook demo

# make test: what a contributor runs while working, about 6 minutes on two cores: every
# test but the `slow` ones (tens of seconds each: the benchmarks' smoke run, a notebook
# run whole, many kernels on one store) and the browser pass, on TEST_WORKERS processes,
# one file per process at a time (--dist loadfile, so a module's kernel and emulator
# stay shared; long files first, in tests/conftest.py's order).
# make test-all: everything, in two passes: the tests that need no browser as above, slow
# ones included, then the browser and `serial` tests one at a time. Both always run; a
# failure in either fails the target. CI runs this one (.ci/run). Exit code 5 (nothing
# selected, e.g. PYTEST_ARGS names one file) is only an error when neither pass ran
# anything.
# Three: most tests wait (on the emulator's clock, a kernel, a server), so three
# processes keep two cores busy; TEST_WORKERS=2 on a slower machine.
TEST_WORKERS ?= 3
PARALLEL_PASS = $(VENV)/bin/python -m pytest --group=parallel -n $(TEST_WORKERS) \
	--dist loadfile --no-loadscope-reorder

test: lint
	@echo "make test: no browser, no slow tests, $(TEST_WORKERS) workers (make test-all runs them)"
	@$(PARALLEL_PASS) -m "not slow" $(PYTEST_ARGS)

test-all: lint
	@status=0; \
	echo "make test-all: 1/2, no browser, $(TEST_WORKERS) workers"; \
	$(PARALLEL_PASS) $(PYTEST_ARGS); first=$$?; \
	echo "make test-all: 2/2, browser and serial, one at a time"; \
	$(VENV)/bin/python -m pytest --group=serial $(PYTEST_ARGS); second=$$?; \
	for rc in $$first $$second; do \
		if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then status=$$rc; fi; \
	done; \
	if [ $$first -eq 5 ] && [ $$second -eq 5 ]; then status=5; fi; \
	exit $$status

# Style, types, and the layer rule (pyproject.toml's [tool.importlinter]).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lab: $(STAMP)
	$(VENV)/bin/ltx-notebook lab

emulator: $(STAMP)
	$(VENV)/bin/ltx-notebook emulator --port 8000

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks

# The documentation site (mkdocs.yml) into build/site; any warning fails it.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# Retake the site's screenshots of the panel, a finished cell, the review tables and
# a gallery reopened without a kernel (JupyterLab in Chromium) into docs/images/; look
# at them before committing.
docs-images: $(STAMP)
	LTX_DOCS_IMAGES=1 $(VENV)/bin/python -m pytest -m browser tests/docs/test_docs_images.py \
		tests/view/test_tables_lab.py tests/widgets/test_arena_frontends.py \
		"tests/widgets/test_gallery_frontends.py::test_gallery_and_ab_work_and_reopen_without_a_widget_error[lab]"

clean:
	rm -rf build test-artifacts .pytest_cache .ruff_cache

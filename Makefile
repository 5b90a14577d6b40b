# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MUJOCO_GL ?= egl

DEMO_RUN ?= runs/demo
DEMO_ARGS ?= --env HalfCheetah-v5 --algo sac --steps 20000 --labels 200 --seed 0

.PHONY: install demo test lint typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip -q
	# The CPU build of torch keeps the venv small; a machine with CUDA can install torch first.
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "torch==2.13.0" || $(PY) -m pip install -q torch
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@if [ -e $(DEMO_RUN)/summary.json ]; then \
		echo "$(DEMO_RUN) is already trained (rm -r $(DEMO_RUN) to start over):"; \
		cat $(DEMO_RUN)/summary.json; \
	else \
		$(VENV)/bin/backflip train $(DEMO_ARGS) --run-dir $(DEMO_RUN) \
			$(if $(wildcard $(DEMO_RUN)/config.json),--resume,); \
	fi
	$(VENV)/bin/backflip video $(DEMO_RUN)
	mkdir -p videos && cp $(DEMO_RUN)/videos/policy.gif videos/demo-policy.gif
	@echo "videos: $(DEMO_RUN)/videos/ (policy.mp4, progress.mp4, pairs.mp4, curves.png)"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: lint typecheck
	@# pytest exits 5 when it collects no test: a broken suite, said plainly, not hidden.
	$(PY) -m pytest -q --timeout 900 tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests"; fi; exit $$rc

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

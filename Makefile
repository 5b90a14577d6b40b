# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MUJOCO_GL ?= egl

DEMO_RUN ?= runs/demo
BACKFLIP_RUN ?= runs/backflip
# The settings of both live in backflip/presets/ (demo.toml, backflip.toml).

.PHONY: install demo backflip test lint typecheck clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip -q
	# The CPU build of torch keeps the venv small; a machine with CUDA can install torch first.
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "torch==2.13.0" || $(PY) -m pip install -q torch
	$(PY) -m pip install -q -e ".[dev]" -c constraints.txt
	@# Meta-World pins an older MuJoCo and runs on ours (backflip/tasks/meta_world/env.py).
	$(PY) -m pip install -q --no-deps "metaworld==3.1.1"
	touch $(STAMP)

install: $(STAMP)

# Trains the run in $(1) with args $(2), resuming it if it was interrupted, unless it is done.
define train_or_resume
	@if [ -e $(1)/summary.json ]; then \
		echo "$(1) is already trained (rm -r $(1) to start over):"; \
		cat $(1)/summary.json; \
	else \
		$(VENV)/bin/backflip train $(2) --run-dir $(1) \
			$$([ -e $(1)/config.json ] && echo --resume); \
	fi
endef

# From 700 synthetic comparisons, next to the same agent trained on the true reward.
demo: $(STAMP)
	$(call train_or_resume,$(DEMO_RUN),--preset demo)
	$(call train_or_resume,$(DEMO_RUN)-true,--preset demo --reward true)
	$(VENV)/bin/backflip compare $(DEMO_RUN) $(DEMO_RUN)-true
	$(VENV)/bin/backflip video $(DEMO_RUN)
	mkdir -p videos && cp $(DEMO_RUN)/videos/policy.gif videos/demo-policy.gif
	@echo "videos: $(DEMO_RUN)/videos/ (policy.mp4, progress.mp4, pairs.mp4, curves.png)"

# The Hopper learns backflips from at most 900 comparisons by a synthetic backflip judge.
backflip: $(STAMP)
	$(call train_or_resume,$(BACKFLIP_RUN),--preset backflip)
	$(VENV)/bin/backflip eval $(BACKFLIP_RUN)
	$(VENV)/bin/backflip video $(BACKFLIP_RUN) --episodes 1
	mkdir -p videos && cp $(BACKFLIP_RUN)/videos/policy.mp4 videos/backflip.mp4
	cp $(BACKFLIP_RUN)/videos/policy.gif videos/backflip.gif
	@if [ -e $(BACKFLIP_RUN)/videos/flip_strip.png ]; then cp $(BACKFLIP_RUN)/videos/flip_strip.png videos/flip_strip.png; fi
	@echo "videos: videos/backflip.mp4, $(BACKFLIP_RUN)/videos/"

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

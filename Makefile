# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MUJOCO_GL ?= egl

DEMO_RUN ?= runs/demo
DEMO_ARGS ?= --env HalfCheetah-v5 --algo ppo --steps 300000 --labels 700 --seed 1
BACKFLIP_RUN ?= runs/backflip
# PPO as it was before the locomotion defaults (64-64 tanh, lr 3e-4, 5 epochs, log std 0,
# rewards not normalized): with those defaults, at 400,000 steps and the default judge,
# seed 0 made 1.5 flips per episode, not 7.
BACKFLIP_PPO ?= --agent.ppo.no-normalize-reward --agent.ppo.n-epochs 5 --agent.ppo.learning-rate 3e-4 --agent.ppo.log-std-init 0 --agent.ppo.ortho-init --agent.ppo.activation tanh --agent.ppo.hidden 64 64
# The judge of the README's trial KF2PU: rotation paid only from an upright take-off, a
# landing bonus for a whole turn landed upright that stays up, a light floor cost, and the
# flight in the observation.
BACKFLIP_JUDGE ?= takeoff=upright landing_weight=100 floor_weight=2 unlanded_weight=0.5 landing_stay=0.25 turn_cap=1 landing_takeoff=upright flight_obs=true landing_min_turns=0.75
# Trial KF2PUATLBR3: PEBBLE's exploration first, every step of a 1.2-s clip in the reward
# fits, PPO's entropy bonus, questions until 80% of the run (half of each round's about
# the best clips), and 30% of the training episodes restarted from a recent landing.
BACKFLIP_ARGS ?= --env backflip/HopperBackflip-v0 --algo ppo --steps 4000000 --labels 900 --horizon 300 --eval-horizon 1000 --query.segment-seconds 1.2 --pebble-steps 400000 --reward-training.train-clip-steps 150 --schedule.label-until 0.8 --query.top-share 0.5 --restarts 0.3 --restarts-from landings --seed 0 $(BACKFLIP_PPO) --agent.ppo.gamma 0.995 --agent.ppo.ent-coef 0.01 --env-kwargs $(BACKFLIP_JUDGE)

.PHONY: install demo backflip test lint typecheck clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip -q
	# The CPU build of torch keeps the venv small; a machine with CUDA can install torch first.
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "torch==2.13.0" || $(PY) -m pip install -q torch
	$(PY) -m pip install -q -e ".[dev]" -c constraints.txt
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
	$(call train_or_resume,$(DEMO_RUN),$(DEMO_ARGS))
	$(call train_or_resume,$(DEMO_RUN)-true,$(DEMO_ARGS) --reward true)
	$(VENV)/bin/backflip compare $(DEMO_RUN) $(DEMO_RUN)-true
	$(VENV)/bin/backflip video $(DEMO_RUN)
	mkdir -p videos && cp $(DEMO_RUN)/videos/policy.gif videos/demo-policy.gif
	@echo "videos: $(DEMO_RUN)/videos/ (policy.mp4, progress.mp4, pairs.mp4, curves.png)"

# The Hopper learns backflips from at most 900 comparisons by a synthetic backflip judge.
backflip: $(STAMP)
	$(call train_or_resume,$(BACKFLIP_RUN),$(BACKFLIP_ARGS))
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

"""The frame strip of a clean backflip: take-off, the turn, the landing, still up."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backflip.envs.render import ClipRenderer
from backflip.tasks.hopper_backflip import HOPPER_BACKFLIP_V0 as ENV_ID
from backflip.tasks.hopper_backflip.clean_flips import CleanFlip, stay_steps
from backflip.tasks.hopper_backflip.flip_strip import GAP, STAGES, first_flip_strip, strip_steps
from tests.tasks.hopper_backflip.test_clean_flips import ON_THE_FOOT, physics_flip
from tests.tasks.hopper_backflip.test_env import ON_THE_FLOOR

W, H = 64, 48


def test_the_strip_shows_take_off_quarters_of_the_turn_landing_and_after() -> None:
    body = np.concatenate([np.zeros(20), np.linspace(0, -2 * math.pi, 101), np.full(40, -6.3)])
    flip = CleanFlip(take_off=19, land=121, counted=152, turns=1)
    steps = strip_steps(flip, body)
    assert steps[0] == 19 and steps[4:] == [121, 152]
    turned = [-body[step] / (2 * math.pi) for step in steps[1:4]]
    assert turned == pytest.approx([0.25, 0.5, 0.75], abs=0.015)


def test_a_clean_flip_makes_a_strip_of_its_stages_and_a_fall_makes_none() -> None:
    renderer = ClipRenderer(ENV_ID, W, H)
    try:
        strip = first_flip_strip(renderer.render, physics_flip(ON_THE_FOOT, 0.0))
        assert strip is not None and strip.dtype == np.uint8
        assert strip.shape == (H, len(STAGES) * W + (len(STAGES) - 1) * GAP, 3)
        frames = [strip[:, i * (W + GAP) : i * (W + GAP) + W] for i in range(len(STAGES))]
        # Upside down at the half turn: that frame differs from the take-off's.
        assert np.abs(frames[2].astype(int) - frames[0].astype(int)).mean() > 5
        assert first_flip_strip(renderer.render, physics_flip(ON_THE_FLOOR, -math.pi / 2)) is None
    finally:
        renderer.close()
    assert stay_steps() == 31

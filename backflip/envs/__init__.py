"""Gymnasium envs and wrappers; importing this registers ``backflip/HopperBackflip-v0``."""

from backflip.envs.hopper_backflip import register

register()

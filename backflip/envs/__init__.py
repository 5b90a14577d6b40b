"""Gymnasium envs and wrappers; importing this registers ``backflip/HopperBackflip-v0``."""

from backflip.envs.registration import register

register()

"""Batched simulation: many worlds of a task's MuJoCo model stepped together on a device
with MuJoCo Warp (``mujoco_warp``), behind stable-baselines3's ``VecEnv``.

``locomotion.py`` computes the gymnasium tasks' observations and rewards for a batch of
worlds from their joint positions and velocities; ``warp_vec_env.py`` steps the worlds
and hands out what the gymnasium envs of ``backflip/envs/make.py`` would, physics states
included, so clips are cut, stored and re-rendered (on MuJoCo C) as from those.
"""

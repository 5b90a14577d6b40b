"""Gymnasium MuJoCo envs made fixed-horizon, with the task reward and physics states in
``info``; rendering of saved states."""

"""The backflip env for a batch of worlds (``--sim warp``): the same observation, judge (or
hand-written reward) and landings as ``env.py`` computes for one Hopper, the judge's
memory of every world's flight in arrays (:class:`Flights`)."""

from __future__ import annotations

import numpy as np

from backflip.tasks.base import WorldContacts
from backflip.tasks.hopper_backflip.env import (
    VELOCITY_CLIP,
    HopperBackflipEnv,
    body_pitch,
    handwritten_rewards,
)
from backflip.tasks.hopper_backflip.flights import Flights
from backflip.tasks.hopper_backflip.judge import AIR, FOOT, OTHER, PITCH


class BatchedBackflip:
    """``n`` Hoppers of ``env`` (a made backflip env, unwrapped): a
    ``backflip.tasks.base.BatchedTask``."""

    uses_contacts = True

    def __init__(self, env: HopperBackflipEnv, n: int) -> None:
        self.reward = env.reward
        self.flight_obs = env.flight_obs
        self.masses = np.array(env.masses)
        self.flights = Flights(env.weights, env.dt, n)
        self.n = n
        self.floor = env._floor
        self.foot_on_floor = env._foot_on_floor_pair
        self.init_qpos, self.init_qvel = np.array(env.init_qpos), np.array(env.init_qvel)
        self.reset_noise = env._reset_noise_scale

    def reset_states(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        scale = self.reset_noise
        qpos = self.init_qpos + rng.uniform(-scale, scale, size=(n, len(self.init_qpos)))
        qvel = self.init_qvel + rng.uniform(-scale, scale, size=(n, len(self.init_qvel)))
        return qpos, qvel

    def floor_contacts(self, contacts: WorldContacts) -> np.ndarray:
        """``(n,)`` :data:`AIR`, :data:`FOOT` or :data:`OTHER` per world, as the env's
        ``floor_contact`` reads its one world."""
        n = self.n
        pairs = np.sort(contacts.geom, axis=1)
        on_floor = np.any(pairs == self.floor, axis=1)
        foot = np.all(pairs == self.foot_on_floor, axis=1)
        touching, other = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        touching[contacts.world[on_floor]] = True
        other[contacts.world[on_floor & ~foot]] = True
        return np.where(touching, np.where(other, OTHER, FOOT), AIR)

    def started(
        self, qpos: np.ndarray, qvel: np.ndarray, contacts: WorldContacts, restarted: np.ndarray
    ) -> None:
        contact = self.floor_contacts(contacts)
        self.flights.start(contact, qpos[:, PITCH], restarted)

    def reward_terms(
        self,
        x_before: np.ndarray,
        qpos: np.ndarray,
        qvel: np.ndarray,
        action: np.ndarray,
        contacts: WorldContacts,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        contact = self.floor_contacts(contacts)
        backward = -body_pitch(qvel[:, PITCH : PITCH + len(self.masses)], self.masses)
        landed, done = self.flights.step(contact, qpos[:, PITCH], backward)
        if self.reward == "handwritten":
            terms = {"reward_handwritten": handwritten_rewards(qpos, qvel, action)}
        else:
            terms = self.flights.reward_terms(qpos, backward, landed, done)
        reward = np.zeros(self.n)
        for values in terms.values():  # in the env's order, as it sums them
            reward = reward + values
        return reward, terms

    def observe(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        pitch = qpos[:, PITCH : PITCH + 1]
        parts = [
            qpos[:, 1:2],
            np.cos(pitch),
            np.sin(pitch),
            qpos[:, 3:],
            np.clip(qvel, -VELOCITY_CLIP, VELOCITY_CLIP),
        ]
        if self.flight_obs:
            parts.append(self.flights.features())
        return np.concatenate(parts, axis=1)

    def picked(self, source: str) -> np.ndarray:
        if source != "landings":
            raise KeyError(source)
        return self.flights.landings()

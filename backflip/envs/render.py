"""Offscreen rendering of saved physics states: clips are drawn only when someone looks."""

from __future__ import annotations

import os
import time
from typing import Literal

import mujoco
import numpy as np

from backflip.envs.make import make_env
from backflip.envs.physics import mujoco_env, physics_state, set_physics_state
from backflip.errors import BackflipError

Quality = Literal["fast", "high"]

# Shadows, reflections and multisampling cost most of a software-rendered frame
# (benchmarks/render_throughput.py); "fast" turns them off, "high" keeps them for demos.
EFFECTS = {
    "shadows": mujoco.mjtRndFlag.mjRND_SHADOW,
    "reflections": mujoco.mjtRndFlag.mjRND_REFLECTION,
}
QUALITY_EFFECTS: dict[str, tuple[str, ...]] = {"fast": (), "high": ("shadows", "reflections")}
QUALITY_SAMPLES = {"fast": 0, "high": 4}  # multisample anti-aliasing


class RenderError(BackflipError, RuntimeError):
    """Offscreen rendering is not available on this machine."""


class ClipRenderer:
    """Draws frames of an env from its physics states (``backflip/envs/physics.py``), the
    camera tracking the body and the floor drawn under it however far it has gone.

    Args:
        env_id: gymnasium id of a MuJoCo env.
        width, height: frame size in pixels.
        quality: ``"fast"`` (no shadows, reflections or anti-aliasing) or ``"high"``.
        effects, samples: override the quality's effects (names in :data:`EFFECTS`) and
            anti-aliasing samples, to measure what each costs.
    """

    def __init__(
        self,
        env_id: str,
        width: int = 320,
        height: int = 240,
        quality: Quality = "fast",
        *,
        effects: tuple[str, ...] | None = None,
        samples: int | None = None,
    ) -> None:
        env = make_env(env_id, horizon=1, costs="visible")
        env.reset(seed=0)
        base = mujoco_env(env)
        self.env = env  # drawn in the states it is put into (its task's own state included)
        self.model = base.model
        self.dt = float(base.dt)  # seconds of simulated time per env step
        self.data = base.data
        self.columns = len(physics_state(env))
        self.model.vis.global_.offwidth = max(width, self.model.vis.global_.offwidth)
        self.model.vis.global_.offheight = max(height, self.model.vis.global_.offheight)
        self.model.vis.quality.offsamples = QUALITY_SAMPLES[quality] if samples is None else samples
        on = set(QUALITY_EFFECTS[quality] if effects is None else effects)
        self._flags = {flag: name in on for name, flag in EFFECTS.items()}
        self.quality = quality
        self.frames_rendered = 0
        self.render_seconds = 0.0  # wall time spent in render(), for the render-share figure
        self.width, self.height = width, height
        self.camera = _camera(self.model, base)
        self._floors = _plane_periods(self.model)
        try:
            self.renderer = mujoco.Renderer(self.model, height=height, width=width)
        except Exception as err:  # the GL backends raise several unrelated types
            backend = os.environ.get("MUJOCO_GL", "(unset)")
            raise RenderError(
                f"offscreen rendering failed with MUJOCO_GL={backend} ({err}); "
                "install EGL (libegl1) or OSMesa (libosmesa6), or try MUJOCO_GL=osmesa"
            ) from None

    def render(self, states: np.ndarray) -> np.ndarray:
        """``(N, height, width, 3)`` uint8 frames of ``(N, 1 + nq + nv)`` states."""
        states = np.atleast_2d(states)
        if states.shape[1] != self.columns:
            raise ValueError(f"states must have {self.columns} columns, got {states.shape[1]}")
        start = time.perf_counter()
        frames = np.empty((len(states), self.height, self.width, 3), dtype=np.uint8)
        for i, state in enumerate(states):
            set_physics_state(self.env, state)  # runs mj_forward
            frames[i] = self.draw(self.data)
        self.frames_rendered += len(states)
        self.render_seconds += time.perf_counter() - start
        return frames

    def draw(self, data: mujoco.MjData) -> np.ndarray:
        """``(height, width, 3)`` uint8 frame of ``data`` as it is (e.g. a live env's)."""
        self.renderer.update_scene(data, camera=self.camera)
        for flag, on in self._flags.items():
            self.renderer.scene.flags[flag] = on
        self._floors_under_camera(data)
        return self.renderer.render()

    def _floors_under_camera(self, data: mujoco.MjData) -> None:
        """Moves the scene's planes (rebuilt each frame; the model's stay) under a tracking
        camera's lookat point.

        The envs' floors are drawn a few tens of metres wide while the body runs on; the
        planes move by whole texture periods, so their checks stay put in the world.
        """
        if self.camera.type != mujoco.mjtCamera.mjCAMERA_TRACKING:
            return  # a model's own or a fixed view: the model's floor is the one it shows
        scene = self.renderer.scene
        point = self.camera.lookat
        for geom in scene.geoms[: scene.ngeom]:
            if geom.objtype != mujoco.mjtObj.mjOBJ_GEOM or geom.objid not in self._floors:
                continue
            period = self._floors[geom.objid]
            local = geom.mat.T @ (point - geom.pos)  # in the plane's frame
            geom.pos[:] += geom.mat[:, :2] @ (np.round(local[:2] / period) * period)

    def close(self) -> None:
        self.renderer.close()
        self.env.close()


def _plane_periods(model: mujoco.MjModel) -> dict[int, np.ndarray]:
    """Plane geom id -> ``(2,)`` metres along its x and y after which its 2-D texture
    repeats, as MuJoCo's renderer maps it (1 m where it has none)."""
    periods = {}
    for geom in np.flatnonzero(model.geom_type == mujoco.mjtGeom.mjGEOM_PLANE):
        mat = model.geom_matid[geom]
        texture = model.mat_texid[mat, mujoco.mjtTextureRole.mjTEXROLE_RGB] if mat >= 0 else -1
        if texture < 0 or model.tex_type[texture] != mujoco.mjtTexture.mjTEXTURE_2D:
            periods[int(geom)] = np.ones(2)
            continue
        # A finite plane's texture is stretched over its size unless the material is uniform.
        size = model.geom_size[geom, :2]
        stretch = np.where((size > 0) & ~model.mat_texuniform[mat], size, 1.0)
        periods[int(geom)] = 2 * stretch / np.maximum(model.mat_texrepeat[mat], 1e-6)
    return periods


def _camera(model: mujoco.MjModel, env: object) -> mujoco.MjvCamera:
    """The env's ``clip_camera`` where it has one, as the DeepMind Control Suite and
    Meta-World show their tasks: a camera of its model by name, or a fixed view
    (``lookat``, ``distance``, ``azimuth``, ``elevation``); else a camera that follows the
    torso as gymnasium's default camera does."""
    view = getattr(env, "clip_camera", None)
    camera = mujoco.MjvCamera()
    if isinstance(view, str):
        camera.type = mujoco.mjtCamera.mjCAMERA_FIXED
        camera.fixedcamid = model.camera(view).id
        return camera
    if isinstance(view, dict):
        camera.type = mujoco.mjtCamera.mjCAMERA_FREE
        camera.lookat[:] = view["lookat"]
        camera.distance, camera.azimuth = view["distance"], view["azimuth"]
        camera.elevation = view["elevation"]
        return camera
    gym_renderer = getattr(env, "mujoco_renderer", None)
    config = dict(getattr(gym_renderer, "default_cam_config", None) or {})
    camera.type = mujoco.mjtCamera.mjCAMERA_TRACKING
    camera.trackbodyid = int(config.get("trackbodyid", 1))
    camera.distance = float(config.get("distance", model.stat.extent * 1.5))
    camera.elevation = float(config.get("elevation", -20.0))
    camera.azimuth = float(config.get("azimuth", 90.0))
    if "lookat" in config:
        camera.lookat[:] = config["lookat"]
    return camera

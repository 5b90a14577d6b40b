"""DMC's quadruped walk and run (``dm_control/suite/quadruped.py``): its model without
the walls, ball, target, terrain and rangefinders, on a floor as long as the task needs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from backflip.tasks.dmc.env import DMCEnv, tolerance

TIME_LIMIT_S = 20


class QuadrupedEnv(DMCEnv):
    """``desired_speed`` 0.5 is ``quadruped_walk``, 5 ``quadruped_run``. Control step
    0.02 s (4 physics steps), 1000 steps an episode."""

    clip_camera = "y"  # DMC's camera 2, the one its baselines' videos use

    def __init__(self, desired_speed: float = 0.5, **kwargs: Any) -> None:
        self.desired_speed = desired_speed
        super().__init__("quadruped", frame_skip=4, **kwargs)

    def load_model(self, path: Path) -> mujoco.MjModel:
        root = ET.fromstring(path.read_text())
        floor = root.find(".//geom[@name='floor']")
        assert floor is not None
        size = TIME_LIMIT_S * self.desired_speed
        floor.set("size", f"{size:g} {size:g} .5")
        for kind, name in [("geom", f"wall_{side}") for side in ("px", "py", "nx", "ny")] + [
            ("body", "ball"),
            ("site", "target"),
            ("geom", "terrain"),
        ]:
            _remove(root, f".//{kind}[@name='{name}']")
        _remove(root, ".//rangefinder")
        assets = {
            f"./common/{f.name}": f.read_bytes() for f in (path.parent / "common").glob("*.xml")
        }
        return mujoco.MjModel.from_xml_string(ET.tostring(root, encoding="unicode"), assets)

    def initialize_episode(self) -> None:
        orientation = self.np_random.standard_normal(4)
        orientation /= np.linalg.norm(orientation)
        self._place_clear_of_the_floor(orientation)

    def _place_clear_of_the_floor(self, orientation: np.ndarray) -> None:
        """DMC's ``_find_non_contacting_height``: up in 1-cm steps until nothing touches."""
        root = self.model.joint("root").qposadr[0]
        z = 0.0
        for _ in range(10_000):
            mujoco.mj_resetData(self.model, self.data)
            self._forward_without_actuation()
            self.data.qpos[root : root + 3] = (0.0, 0.0, z)
            self.data.qpos[root + 3 : root + 7] = orientation
            self._forward_without_actuation()
            if self.data.ncon == 0:
                return
            z += 0.01
        raise RuntimeError("found no height at which the quadruped touches nothing")

    def observation(self) -> np.ndarray:
        model, data = self.model, self.data
        hinges = np.flatnonzero(model.jnt_type == int(mujoco.mjtJoint.mjJNT_HINGE))
        upright = data.body("torso").xmat[8]
        return np.concatenate(
            [
                data.qpos[model.jnt_qposadr[hinges]],
                data.qvel[model.jnt_dofadr[hinges]],
                data.act,
                data.sensor("velocimeter").data,
                [upright],
                _sensors(
                    model, data, mujoco.mjtSensor.mjSENS_GYRO, mujoco.mjtSensor.mjSENS_ACCELEROMETER
                ),
                np.arcsinh(
                    _sensors(
                        model, data, mujoco.mjtSensor.mjSENS_FORCE, mujoco.mjtSensor.mjSENS_TORQUE
                    )
                ),
            ]
        ).astype(np.float64)

    def task_reward(self) -> float:
        upright = tolerance(
            float(self.data.body("torso").xmat[8]),
            bounds=(1.0, float("inf")),
            sigmoid="linear",
            margin=2.0,
            value_at_margin=0,
        )
        move = tolerance(
            float(self.data.sensor("velocimeter").data[0]),
            bounds=(self.desired_speed, float("inf")),
            margin=self.desired_speed,
            value_at_margin=0.5,
            sigmoid="linear",
        )
        return upright * move


def _remove(root: ET.Element, path: str) -> None:
    """Removes the element at ``path`` (e.g. ``.//body[@name='ball']``) from the tree."""
    parents = {child: parent for parent in root.iter() for child in parent}
    for element in root.findall(path):
        parents[element].remove(element)


def _sensors(model: mujoco.MjModel, data: mujoco.MjData, *kinds: mujoco.mjtSensor) -> np.ndarray:
    """The readings of every sensor of ``kinds``, in the model's sensor order."""
    ids = np.flatnonzero(np.isin(model.sensor_type, [int(k) for k in kinds]))
    return np.concatenate(
        [
            data.sensordata[model.sensor_adr[i] : model.sensor_adr[i] + model.sensor_dim[i]]
            for i in ids
        ]
    )

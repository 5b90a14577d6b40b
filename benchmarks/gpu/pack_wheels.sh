#!/usr/bin/env bash
# Run here, in the repository's root, before a GPU session's device calls: downloads the
# wheels the device machine lacks for `--sim warp` (its Python 3.12 has torch and numpy,
# not MuJoCo, gymnasium, SB3, tyro or MuJoCo Warp), at the versions constraints.txt pins,
# and cuts them into parts under .gpu/ (ignored by git) small enough for one device call
# each beside the repository (64 MiB a call): warp-lang's wheel alone is 149 MB.
# Then, on a machine kept warm between the calls (30 s), carry .gpu/part-1, then
# .gpu/part-2, ... one a call, and in the last call run benchmarks/gpu/on_device.sh.
set -euo pipefail
PART_MB=${PART_MB:-46}
names="absl-py docstring_parser etils Farama-Notifications glfw gymnasium mujoco mujoco-core
mujoco-warp PyOpenGL stable_baselines3 typeguard tyro warp-lang"
pins=()
for name in $names; do
  pin=$(grep -i -E "^${name}==" constraints.txt) || { echo "not pinned: $name" >&2; exit 1; }
  pins+=("$pin")
done
rm -rf .gpu && mkdir -p .gpu/wheels
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any \
  -d .gpu/wheels "${pins[@]}"
tar -C .gpu -cf .gpu/wheels.tar wheels
split -b "${PART_MB}m" -d -a 1 .gpu/wheels.tar .gpu/chunk-
for chunk in .gpu/chunk-*; do
  part=.gpu/part-$(( ${chunk##*-} + 1 ))
  mkdir -p "$part" && mv "$chunk" "$part/"
done
rm -rf .gpu/wheels .gpu/wheels.tar
echo "$(ls -d .gpu/part-* | wc -l) parts of at most ${PART_MB} MB:" && du -sh .gpu/part-*

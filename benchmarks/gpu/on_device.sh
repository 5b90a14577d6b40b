#!/usr/bin/env bash
# Run on the device machine, in the repository's root, in the call that carries the last
# part (see pack_wheels.sh): joins the parts, installs the wheels beside the machine's own
# torch, then runs the GPU tests and the speed benchmark of `--sim warp` against MuJoCo C.
# Whatever it prints and writes to $OUT comes back. Arguments go to warp_speed.py, e.g.
#   bash benchmarks/gpu/on_device.sh --worlds 1024 4096 --steps 2000000
set -uo pipefail
cat .gpu/part-*/chunk-* > /tmp/wheels.tar && tar -C /tmp -xf /tmp/wheels.tar || exit 1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site /tmp/wheels/*.whl \
  || exit 1
export PYTHONPATH=/tmp/site:$PWD MUJOCO_GL=egl PYTHONUNBUFFERED=1
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$out/gpu.txt"
python3 -m pytest -q -p no:cacheprovider -m gpu -o addopts="" tests/sim tests/test_device.py \
  2>&1 | tee "$out/gpu_tests.txt"
python3 benchmarks/warp_speed.py --device cuda "$@" 2>&1 | tee "$out/warp_speed.txt"

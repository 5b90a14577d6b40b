#!/usr/bin/env bash
# Run on the device machine, in the repository's root, in the call that carries the last
# part (see pack_wheels.sh): joins the parts, installs the wheels beside the machine's own
# torch, runs the GPU tests, then the command given (default: the speed benchmark of
# `--sim warp` against MuJoCo C). Whatever it prints and writes to $OUT comes back, e.g.
#   bash benchmarks/gpu/on_device.sh python3 benchmarks/warp_speed.py --device cuda \
#       --worlds 1024 4096 --steps 2000000
#   bash benchmarks/gpu/on_device.sh python3 -m backflip.cli train --preset backflip \
#       --sim warp --device cuda --agent.ppo.n-envs 2048 --agent.ppo.n-steps 16 \
#       --run-dir /tmp/run      # its summary.json and metrics.csv come back
set -uo pipefail
cat .gpu/part-*/chunk-* > /tmp/wheels.tar && tar -C /tmp -xf /tmp/wheels.tar || exit 1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site /tmp/wheels/*.whl \
  || exit 1
export PYTHONPATH=/tmp/site:$PWD MUJOCO_GL=egl PYTHONUNBUFFERED=1
out=${OUT:-/tmp}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$out/gpu.txt"
python3 -m pytest -q -p no:cacheprovider -m gpu -o addopts="" tests/sim tests/test_device.py \
  2>&1 | tee "$out/gpu_tests.txt"
if [ $# -eq 0 ]; then set -- python3 benchmarks/warp_speed.py --device cuda; fi
"$@" 2>&1 | tee "$out/command.txt"
for file in summary.json metrics.csv; do [ -f "/tmp/run/$file" ] && cp "/tmp/run/$file" "$out/"; done
exit 0

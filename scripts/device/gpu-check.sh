#!/usr/bin/env bash
# The one GPU check, in one go, on the device machine (no network, no Node.js there: both come in
# .device-carry/, made on the developer machine). Builds the addon against the machine's PyTorch (CUDA) with the
# README's SECORA_TORCH_DIR route, then runs gpu-check.mjs (CPU/CUDA and Hugging Face parity, precisions,
# GradCache, RNG state, throughput beside the matmul rate) and gpu-check-hf.py. Results land in $OUT.
# Dry run of the .mjs on a developer machine: SECORA_CHECK_DEVICE=cpu SECORA_CHECK_SMALL=1 OUT=… node scripts/device/gpu-check.mjs
set -uo pipefail
export PYTHONUNBUFFERED=1
mkdir -p /tmp/nodebin && tar -xJf .device-carry/node.tar.xz -C /tmp/nodebin && export PATH=/tmp/nodebin:$PATH
rm -rf node_modules && cp -a .device-carry/node_modules node_modules
node --version; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
export SECORA_TORCH_DIR=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
echo "SECORA_TORCH_DIR=$SECORA_TORCH_DIR"
t0=$(date +%s)
SECORA_BUILD_JOBS=16 bash scripts/build-native.sh > $OUT/build.log 2>&1; rc=$?
echo "build rc=$rc in $(( $(date +%s) - t0 )) s"; tail -25 $OUT/build.log
[ $rc -eq 0 ] || exit 1
readelf -d build-native/Release/secora.node | grep -E 'NEEDED|RPATH|RUNPATH' > $OUT/readelf.txt
cat $OUT/readelf.txt
# No LD_LIBRARY_PATH: the rpath must be enough.
export WORK=/tmp/gpu-work
env -u LD_LIBRARY_PATH timeout 400 node scripts/device/gpu-check.mjs 2>&1 | tee $OUT/gpu-check.log
timeout 200 python3 scripts/device/gpu-check-hf.py $WORK $OUT 2>&1 | tail -60

#!/usr/bin/env bash
# A short end-to-end training run of configs/cuda-bf16.yml on the GPU machine: the CUDA build through
# SECORA_TORCH_DIR, then secora-train on CUDA in bf16 with GradCache, on a copy of the default corpus carried in
# .device-carry2/corpus (python train split cut to 12,000 pairs to fit the carry limit). No faiss there, so the
# end-of-run index is off. Results land in $OUT.
set -uo pipefail
mkdir -p /tmp/nodebin && tar -xJf .device-carry2/node.tar.xz -C /tmp/nodebin && export PATH=/tmp/nodebin:$PATH
rm -rf node_modules && cp -a .device-carry2/node_modules node_modules
export SECORA_TORCH_DIR=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
SECORA_BUILD_JOBS=16 bash scripts/build-native.sh > $OUT/build.log 2>&1 || { tail -30 $OUT/build.log; exit 1; }
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
timeout 330 node bin/secora-train.js configs/cuda-bf16.yml --name gpu \
  --set data.source=codesearchnet --set data.path=.device-carry2/corpus --set evaluation.index=false \
  --set training.max_steps=400 --set validation.interval=100 --set checkpoint.interval=100 \
  --set training.log_interval=20 2>&1 | tee $OUT/train.log
cp runs/gpu/test-results.json runs/gpu/metrics.jsonl runs/gpu/config.yml $OUT/ 2>/dev/null
ls runs/gpu runs/gpu/checkpoints

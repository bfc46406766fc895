#!/usr/bin/env bash
# The encoder on a CUDA machine: builds the addon against the PyTorch wheel's libtorch (2.x, CUDA) and runs
# bench/encoder-gpu-check.mjs (parity, precisions, GradCache, RNG state, throughput). Results go to $OUT.
# Where Node.js is missing (the GPU machine), it is unpacked from .device/node.xz (xz of this machine's node).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-/tmp/secora-gpu-check}
mkdir -p "$out"
if ! command -v node >/dev/null; then
  mkdir -p /tmp/nodebin
  python3 -c "import lzma,shutil;shutil.copyfileobj(lzma.open('.device/node.xz'),open('/tmp/nodebin/node','wb'))"
  chmod +x /tmp/nodebin/node
  export PATH=/tmp/nodebin:$PATH
fi
python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)'
SECORA_TORCH_DIR=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
export SECORA_TORCH_DIR
start=$(date +%s)
if ! cmake -S . -B /tmp/secora-build -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_JS_INC="$root/node_modules/node-api-headers/include" >"$out/cmake.log" 2>&1; then
  tail -40 "$out/cmake.log"
  exit 1
fi
if ! cmake --build /tmp/secora-build -j "$(nproc)" >"$out/build.log" 2>&1; then
  grep -E "error" -A4 "$out/build.log" | head -120
  exit 1
fi
echo "build: $(( $(date +%s) - start )) s"
SECORA_ADDON=/tmp/secora-build/secora.node node bench/encoder-gpu-check.mjs 2>&1 | tee "$out/gpu-check.txt"

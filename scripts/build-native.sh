#!/usr/bin/env bash
# Builds the native addon (native/, CMakeLists.txt) with cmake-js into build-native/Release/secora.node.
# SECORA_TORCH_DIR picks another libtorch (CUDA or ROCm); see CMakeLists.txt and the README.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmake_js=${SECORA_CMAKE_JS:-node_modules/.bin/cmake-js}
[ -x "$cmake_js" ] || { echo "build-native: $cmake_js is missing; run 'npm ci' first" >&2; exit 1; }
jobs=${SECORA_BUILD_JOBS:-$(nproc)}
args=(--out build-native --parallel "$jobs" --log-level warn)
# A changed libtorch needs a fresh CMake cache: remember which one the cache was made for.
stamp=build-native/.torch-dir
if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "${SECORA_TORCH_DIR:-}" ]; then rm -rf build-native; fi
"$cmake_js" build "${args[@]}" "$@"
printf '%s' "${SECORA_TORCH_DIR:-}" > "$stamp"
echo "native addon: build-native/Release/secora.node"

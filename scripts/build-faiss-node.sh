#!/usr/bin/env bash
# Builds faiss-node's native binding against the system's libfaiss (Debian's libfaiss-dev).
# faiss-node's own install script downloads a prebuilt binary or clones faiss; neither works offline.
# Idempotent: does nothing when the binding already loads.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Installed as a package (scripts/install.mjs), the dependencies may sit in a node_modules above secora's.
pkg=${SECORA_FAISS_NODE_DIR:-$root/node_modules/faiss-node}
cmake_js=${SECORA_CMAKE_JS:-$root/node_modules/.bin/cmake-js}
addon_api=${SECORA_NODE_ADDON_API:-$root/node_modules/node-addon-api}
[ -d "$pkg" ] || { echo "build-faiss-node: $pkg is missing; run 'npm ci --ignore-scripts' first" >&2; exit 1; }
if [ "${1:-}" != "--force" ] && (cd "$root" && node -e "require('faiss-node').IndexFlatIP" >/dev/null 2>&1); then
  echo "faiss-node: already built"
  exit 0
fi
[ -f /usr/include/faiss/Index.h ] || { echo "build-faiss-node: libfaiss-dev is not installed (apt-get install -y libfaiss-dev libopenblas-dev patchelf)" >&2; exit 1; }
mkdir -p "$pkg/deps/faiss"
cp "$root/scripts/faiss-node/CMakeLists.txt" "$root/scripts/faiss-node/compat.h" "$pkg/deps/faiss/"
# faiss-node's CMakeLists looks for node-addon-api beside itself; npm hoisted it to the top.
if [ ! -e "$pkg/node_modules/node-addon-api" ]; then
  mkdir -p "$pkg/node_modules"
  ln -s "$addon_api" "$pkg/node_modules/node-addon-api"
fi
(cd "$pkg" && "$cmake_js" compile --log-level warn >/tmp/faiss-node-build.log 2>&1) || {
  tail -30 /tmp/faiss-node-build.log >&2; echo "build-faiss-node: build failed (log: /tmp/faiss-node-build.log)" >&2; exit 1; }
(cd "$root" && node -e "
const { IndexFlatIP } = require('faiss-node');
const ix = new IndexFlatIP(2); ix.add([1, 0, 0, 1]);
const r = ix.search([0.9, 0.1], 1); if (r.labels[0] !== 0) throw new Error('faiss-node search gave ' + r.labels);
") || { echo "build-faiss-node: built, but the binding does not work" >&2; exit 1; }
echo "faiss-node: built against the system libfaiss"

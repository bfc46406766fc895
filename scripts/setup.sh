#!/usr/bin/env bash
# All of secora's set-up on a Debian/Ubuntu machine, idempotent:
#   1. system packages (libtorch, faiss, build tools) with apt, when run as root; otherwise it prints the
#      exact command to run and stops;
#   2. npm packages (npm ci; install scripts are off, see .npmrc);
#   3. faiss-node built against the system libfaiss;
#   4. the native addon (cmake-js) and the TypeScript (tsc).
# SECORA_TORCH_DIR=/path/to/libtorch builds the addon against that libtorch (CUDA or ROCm) instead of Debian's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

packages=(build-essential cmake ninja-build pkg-config meson patchelf libfaiss-dev libopenblas-dev libgloo-dev)
# The fixed corpora of `secora eval --questions` (Debian 12): the Python, Go and JDK standard libraries (unzip unpacks src.zip).
packages+=(libpython3.11-stdlib golang-1.19-src openjdk-17-source unzip)
# chromium: the search page's browser test (driven by playwright-core, which cannot download its own browser here).
packages+=(chromium)
# Debian's libtorch is only needed when no other libtorch was chosen.
[ -n "${SECORA_TORCH_DIR:-}" ] || packages+=(libtorch-dev)
# The default corpus's source packages (Debian 12's: configs/corpus-debian12.txt); elsewhere the default corpus
# says what is missing, and data.default_corpus: local mines the machine's own code instead.
if grep -qs '^VERSION_ID="12"' /etc/os-release && grep -qs '^ID=debian' /etc/os-release; then
  mapfile -t corpus < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' configs/corpus-debian12.txt | awk '{print $1}')
  packages+=("${corpus[@]}")
else
  echo "setup: not Debian 12: the default corpus's source packages (configs/corpus-debian12.txt) are not installed" >&2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "setup: this script installs system packages with apt (Debian/Ubuntu). Install the equivalents of: ${missing[*]}" >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: system packages are missing. Run this, then run the set-up again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # apt's output goes to a log, shown when a step fails (a quiet set-up that still says why it stopped).
  aptlog=$(mktemp)
  if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >"$aptlog" 2>&1; then
    tail -30 "$aptlog" >&2
    echo "setup: apt-get failed (above: the end of its output)" >&2
    exit 1
  fi
  rm -f "$aptlog"
fi

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "setup: secora needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# npm ci wipes node_modules (and the faiss-node build in it): only when the lock file changed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

# better-sqlite3 (the hyperparameter study) compiles its SQLite here, since install scripts are off. node-gyp
# downloads Node's headers from nodejs.org unless told where they are: the running node's own (official
# tarballs, NodeSource and Debian packages ship include/node), so nothing is fetched.
if [ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  if [ -f "$node_prefix/include/node/node_api.h" ]; then
    npm_config_nodedir="$node_prefix" npm rebuild better-sqlite3 --ignore-scripts=false
  else
    npm rebuild better-sqlite3 --ignore-scripts=false
  fi
fi
bash scripts/build-faiss-node.sh
bash scripts/build-native.sh
npx tsc -p tsconfig.build.json
echo "setup: done. Check the result with: npx secora doctor"

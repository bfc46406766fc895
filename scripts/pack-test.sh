#!/usr/bin/env bash
# Installs secora as a user would, from the package npm would publish: `npm pack`, then an install of the
# tarball into an empty project (which builds faiss-node and the native addon: minutes), then
# `npx secora doctor`, `npx secora --version` and an index + search. .ci/run runs it after npm test.
#
# The dependencies are installed with --ignore-scripts and then `npm rebuild secora` runs secora's install
# step: faiss-node's own install script downloads a prebuilt binary from GitHub or clones faiss, and only the
# npm registry is reachable here. secora's install step builds faiss-node against the system libfaiss instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
npx tsc -p tsconfig.build.json
npm pack --pack-destination "$work" --loglevel=error >/dev/null
tarball=$(ls "$work"/secora-*.tgz)
listing=$(tar tzf "$tarball")
echo "pack-test: $(basename "$tarball"), $(wc -l <<<"$listing") files"
# What the install needs is in the package; what only the repository needs is not.
for f in package/scripts/install.mjs package/scripts/build-native.sh package/scripts/build-faiss-node.sh \
  package/scripts/faiss-node/CMakeLists.txt package/CMakeLists.txt package/dist/index.d.ts package/bin/secora.js; do
  grep -qx "$f" <<<"$listing" || { echo "pack-test: $f is not in the package" >&2; exit 1; }
done
if grep -q '^package/tests/' <<<"$listing"; then echo "pack-test: tests/ is in the package" >&2; exit 1; fi

mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm install --ignore-scripts --no-audit --no-fund --loglevel=error "$tarball"
npm rebuild secora --foreground-scripts
npx secora doctor
[ "$(npx secora --version)" = "$(node -p "require('$root/package.json').version")" ]
mkdir -p code/pkg
printf 'def read_json_file(path):\n    """Read a JSON document from a file."""\n    return json.load(open(path))\n' > code/pkg/io.py
SECORA_INDEX_DIR="$work/indexes" npx secora index code --model hashing -q
(cd code/pkg && SECORA_INDEX_DIR="$work/indexes" npx secora search "read json" --mode bm25 -k 1 --no-server) | grep -q read_json_file
echo "pack-test: installed from the tarball, doctor passed, indexed and searched"

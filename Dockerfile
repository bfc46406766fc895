# secora on Debian 12 with Node.js 20: the same set-up as on a bare machine (scripts/setup.sh).
# Build: meson configure build -Dbuild_container=true && meson compile -C build   (or: docker build -t secora .)
# For a CUDA image, start FROM an image with a CUDA libtorch and set SECORA_TORCH_DIR before the set-up.
FROM node:20-bookworm
WORKDIR /opt/secora
COPY package.json package-lock.json .npmrc ./
COPY scripts ./scripts
COPY CMakeLists.txt meson.build meson_options.txt tsconfig.json tsconfig.build.json biome.json ./
COPY native ./native
COPY src ./src
COPY bin ./bin
COPY configs ./configs
RUN bash scripts/setup.sh && npx secora doctor
ENTRYPOINT ["npx", "secora"]
CMD ["doctor"]

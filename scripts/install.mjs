#!/usr/bin/env node
// npm's install step when secora is installed as a package (`npm install secora`): builds faiss-node against
// the system's libfaiss and secora's native addon with cmake-js against the system's libtorch (or
// SECORA_TORCH_DIR). In this repository npm's scripts are off (.npmrc) and scripts/setup.sh does the same.
// SECORA_SKIP_INSTALL=1 skips it (build later with: npm rebuild secora).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(root, 'package.json'));
const APT = 'build-essential cmake libtorch-dev libfaiss-dev libopenblas-dev';

function say(line) {
  process.stderr.write(`secora install: ${line}\n`);
}

function onPath(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** A CMake package config under the usual prefixes (Debian puts them in /usr/lib/<triplet>/cmake). */
function hasCmakePackage(name, file) {
  const dirs = ['/usr/lib/cmake', '/usr/share/cmake', '/usr/local/lib/cmake', '/usr/local/share/cmake'];
  if (existsSync('/usr/lib')) {
    for (const d of readdirSync('/usr/lib')) if (d.endsWith('-linux-gnu')) dirs.push(`/usr/lib/${d}/cmake`);
  }
  return dirs.some((d) => existsSync(join(d, name, file)));
}

/** What is missing to build, each with the Debian/Ubuntu package that provides it. */
export function missingPrerequisites(env = process.env) {
  const missing = [];
  if (!onPath('cmake')) missing.push(['cmake', 'cmake']);
  if (!onPath('c++') && !onPath('g++')) missing.push(['a C++ compiler', 'build-essential']);
  const torchDir = env.SECORA_TORCH_DIR;
  if (torchDir) {
    if (!existsSync(torchDir)) missing.push([`SECORA_TORCH_DIR=${torchDir} (no such folder)`, 'libtorch-dev']);
  } else if (!hasCmakePackage('Torch', 'TorchConfig.cmake')) missing.push(['libtorch', 'libtorch-dev']);
  if (!existsSync('/usr/include/faiss/Index.h') || !hasCmakePackage('faiss', 'faiss-config.cmake'))
    missing.push(['libfaiss', 'libfaiss-dev']);
  return missing;
}

function main() {
  if (process.env.SECORA_SKIP_INSTALL) {
    say('SECORA_SKIP_INSTALL is set: the native addon is not built (later: npm rebuild secora)');
    return 0;
  }
  if (process.platform !== 'linux') {
    say(`secora builds on Linux (Debian/Ubuntu); this is ${process.platform}`);
    return 1;
  }
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(([, p]) => p))].join(' ');
    say(`cannot build the native addon: missing ${missing.map(([what]) => what).join(', ')}.`);
    say(`on Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y ${packages}`);
    say(`(the whole set: ${APT}; for a CUDA or ROCm libtorch set SECORA_TORCH_DIR to its CMake prefix)`);
    say('then: npm rebuild secora');
    return 1;
  }
  const env = {
    ...process.env,
    SECORA_CMAKE_JS: join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js'),
    SECORA_FAISS_NODE_DIR: dirname(require.resolve('faiss-node/package.json')),
    SECORA_NODE_ADDON_API: dirname(require.resolve('node-addon-api/package.json')),
  };
  try {
    say('building faiss-node against the system libfaiss');
    execFileSync('bash', [join(root, 'scripts', 'build-faiss-node.sh')], { env, stdio: 'inherit' });
    say('building the native addon against libtorch (a few minutes)');
    execFileSync('bash', [join(root, 'scripts', 'build-native.sh')], { env, stdio: 'inherit', cwd: root });
  } catch {
    say('the build failed (above); fix it, then: npm rebuild secora');
    return 1;
  }
  say('done; check it with: npx secora doctor');
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();

// Shared by the fault-injection tests and bench/faults.ts: a seeded generator, byte corruption, and a report.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

/** mulberry32 (the project's own), so a failing case can be replayed from its printed seed. */
export { mulberry32 as seeded } from '../../src/eval/seeded-shuffle.js';

/** The seed of a randomized test: SECORA_FAULT_SEED to replay one, else a fresh one (printed by the caller). */
export function faultSeed(): number {
  const given = process.env['SECORA_FAULT_SEED'];
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

/**
 * Overwrites `count` bytes from a random offset in [from, to) with random values, at least one of them
 * different from what was there. Returns where, for the failure message.
 */
export function corruptBytes(
  file: string,
  random: () => number,
  count = 8,
  from = 0,
  to?: number,
): { file: string; offset: number; count: number } {
  const bytes = readFileSync(file);
  const end = Math.min(to ?? bytes.length, bytes.length);
  const n = Math.max(1, Math.min(count, end - from));
  const offset = from + Math.floor(random() * (end - from - n + 1));
  let changed = false;
  for (let i = 0; i < n; i++) {
    const value = Math.floor(random() * 256);
    if (value !== bytes[offset + i]) changed = true;
    bytes[offset + i] = value;
  }
  if (!changed) bytes[offset] = (bytes[offset]! + 1) & 0xff;
  writeFileSync(file, bytes);
  return { file, offset, count: n };
}

/**
 * Compiles the CLI into its own folder (build/test-cli-<tag>) and returns a launcher for secora-train: tests
 * that build dist/ at the same time would otherwise swap files under a child that is starting.
 */
export function buildTrainCli(tag: string): string {
  const out = join(packageRoot, 'build', `test-cli-${tag}`);
  const run = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', out], {
    cwd: packageRoot,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`building the CLI into ${out} failed: ${run.stdout}${run.stderr}`);
  const launcher = join(out, 'secora-train.mjs');
  writeFileSync(
    launcher,
    "import { main } from './cli/train.js';\nimport { runCli } from './cli/run.js';\nawait runCli(main, process.argv.slice(2));\n",
  );
  return launcher;
}

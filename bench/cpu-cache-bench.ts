// The cache of large CPU blocks (native/cpu_allocator.h) on and off, alternating in one process: the default
// run's training step on real default-corpus batches (length-bucketed, so shapes vary), then embedding their
// code rows. Each round runs its batches twice per mode, the first pass untimed (it fills the cache for those
// shapes, as the first steps of a run do); the order of the modes turns each round. Page faults per step come
// from the process's own counters.
//
//   npx tsc -p bench/encoder.tsconfig.json && node build/bench/bench/cpu-cache-bench.js [--rounds 6] [--batches 4]
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TokenBatch } from '../src/data/token-batch.js';
import { arg } from './args.js';
import { DEFAULT_STEP, defaultRunBatches, median, range, seconds } from './default-batches.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
process.env['SECORA_ADDON'] ??= join(repo, 'build-native', 'Release', 'secora.node');
process.env['SECORA_CACHE'] ??= join(repo, '.cache', 'secora');
const { native } = await import('../src/native.js');
const { Encoder } = await import('../src/model/encoder.js');

const rounds = Number(arg('rounds', '6'));
const perRound = Number(arg('batches', '4'));
const limit = Number(arg('limit-mb', '1024')) * 1024 * 1024;
const addon = native();
addon.setNumThreads(Number(arg('threads', '2')));

const { config, batcher } = await defaultRunBatches(rounds * perRound);
const enc = await Encoder.create(config, { seed: 1, precision: 'bf16' });
const all: { docs: TokenBatch; code: TokenBatch }[] = [];
for await (const b of batcher) all.push({ docs: b.docs, code: b.code });

const step = (b: { docs: TokenBatch; code: TokenBatch }) =>
  enc.trainStep({ ...DEFAULT_STEP, a: b.docs, b: b.code });
const faults = () => process.resourceUsage().minorPageFault;

type Mode = 'on' | 'off';
const ratios = { train: [] as number[], embed: [] as number[] };
const stepSeconds: Record<Mode, number[]> = { on: [], off: [] };
const stepFaults: Record<Mode, number[]> = { on: [], off: [] };
let cached = 0;
for (let r = 0; r < rounds; r++) {
  const batches = all.slice(r * perRound, (r + 1) * perRound);
  const took = { train: { on: 0, off: 0 }, embed: { on: 0, off: 0 } };
  for (const mode of (r % 2 === 0 ? ['on', 'off'] : ['off', 'on']) as Mode[]) {
    addon.setCpuCacheLimit(mode === 'on' ? limit : 0);
    for (const b of batches) await step(b); // untimed: fills the cache for these shapes
    const f0 = faults();
    for (const b of batches) {
      const s = await seconds(() => step(b));
      took.train[mode] += s;
      stepSeconds[mode].push(s);
    }
    stepFaults[mode].push((faults() - f0) / batches.length);
    for (const b of batches) await enc.embedTokens(b.code);
    for (const b of batches) took.embed[mode] += await seconds(() => enc.embedTokens(b.code));
    if (mode === 'on') cached = Math.max(cached, addon.cpuCacheStats().cachedBytes);
  }
  ratios.train.push(took.train.off / took.train.on);
  ratios.embed.push(took.embed.off / took.embed.on);
}
addon.setCpuCacheLimit(limit);
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
console.log(
  `cpu-cache-bench: default run's step, ${rounds} rounds × ${perRound} real batches, bf16, load average ` +
    `${loadavg()[0]!.toFixed(1)}, cache limit ${mb(limit)}\n` +
    `training step: cache on ${median(stepSeconds.on).toFixed(3)} s, off ${median(stepSeconds.off).toFixed(3)} s ` +
    `(median step); on/off speed ${median(ratios.train).toFixed(2)}× median over rounds (${range(ratios.train)})\n` +
    `page faults per step: on ${median(stepFaults.on).toFixed(0)}, off ${median(stepFaults.off).toFixed(0)}\n` +
    `embedding the code rows: on/off speed ${median(ratios.embed).toFixed(2)}× (${range(ratios.embed)})\n` +
    `largest cache held after a round: ${mb(cached)}`,
);
await enc.dispose();

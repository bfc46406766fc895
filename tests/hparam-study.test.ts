// The search as processes: failing trials (a crash, a NaN, a hang, a spurious kill, a config error) recorded
// with their reasons and retried only when spurious; a searcher killed with SIGKILL resumed without repeating
// finished trials; two searchers on one study never running one trial twice; and a real tiny search end to
// end, its TensorBoard hparams summaries read back by a decoder written here.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { loadSearch, type SearchSpec } from '../src/hparam/search-file.js';
import { runSearch, type SearchSummary } from '../src/hparam/searcher.js';
import { loadStudy } from '../src/hparam/show.js';
import { Study, type Trial } from '../src/hparam/study.js';
import { packageRoot } from '../src/native.js';

const FAKE = join(packageRoot, 'tests', 'fixtures', 'hparam-trial.mjs');
const TINY = join(packageRoot, 'configs', 'tiny.yml');
const dirOf = () => mkdtempSync(join(tmpdir(), 'secora-hparam-'));

/** A search over the stand-in trial: evaluation.sample_query picks its behaviour. */
function fakeSearch(
  dir: string,
  extra: string[] = [],
  modes = ['ok', 'slow', 'crash', 'nan', 'hang', 'killed-once'],
  heads = [2, 3],
  timeoutMinutes = 5,
): string {
  const file = join(dir, 'search.yml');
  writeFileSync(
    file,
    [
      `base: ${TINY}`,
      `output_dir: ${dir}`,
      'space:',
      `  evaluation.sample_query: {type: categorical, values: [${modes.join(', ')}]}`,
      `  model.num_heads: {type: categorical, values: [${heads.join(', ')}]}`,
      '  training.lr: {type: log_uniform, low: 1.0e-4, high: 1.0e-2}',
      `trial: {command: [${process.execPath}, ${FAKE}], timeout_minutes: ${timeoutMinutes}, grace_seconds: 1, retries: 1}`,
      ...extra,
    ].join('\n'),
  );
  return file;
}

const byNumber = (trials: Trial[], n: number) => trials.find((t) => t.number === n)!;

describe('hparam study', () => {
  it('records a crash, a NaN, a hang and a config error with their reasons; retries only the spurious ones', async () => {
    const dir = dirOf();
    // A time limit of 9 s for the hanging trial (the others finish well within it, even on a loaded machine).
    const spec = loadSearch(
      fakeSearch(
        dir,
        ['budget: {trials: 6}', 'concurrency: 2', 'pruner: {type: none}'],
        undefined,
        undefined,
        0.15,
      ),
    );
    const studyFile = join(dir, 'study.sqlite');
    const study = Study.open(studyFile);
    study.define(spec);
    const queue: [string, number][] = [
      ['ok', 2],
      ['crash', 2],
      ['nan', 2],
      ['hang', 2],
      ['killed-once', 2],
      ['ok', 3],
    ];
    for (const [mode, heads] of queue)
      study.enqueue({ 'evaluation.sample_query': mode, 'model.num_heads': heads, 'training.lr': 1e-3 }, 7);
    study.close();

    const lines: string[] = [];
    const summary = await runSearch(spec, {
      studyFile,
      resume: true,
      pollMs: 100,
      log: (l) => lines.push(l),
    });
    const t = summary.trials;
    expect(byNumber(t, 1)).toMatchObject({ state: 'completed', step: 6 });
    expect(byNumber(t, 1).value).toBeCloseTo(1, 6);
    expect(byNumber(t, 2)).toMatchObject({ state: 'failed', reason: 'error', exitCode: 1 });
    expect(byNumber(t, 2).stderrTail).toContain('Error: injected crash');
    expect(byNumber(t, 3)).toMatchObject({ state: 'failed', reason: 'diverged', exitCode: 3 });
    expect(byNumber(t, 3).error).toMatch(/loss NaN/);
    // The hang ignores SIGTERM: killed after the limit and the grace period, retried once, then given up.
    expect(byNumber(t, 4)).toMatchObject({ state: 'failed', reason: 'timeout', signal: 'SIGKILL' });
    expect(byNumber(t, 5)).toMatchObject({ state: 'failed', reason: 'signal', signal: 'SIGKILL' });
    expect(byNumber(t, 6)).toMatchObject({ state: 'failed', reason: 'config', childPid: null });
    expect(byNumber(t, 6).error).toContain('model.num_heads: 3 does not divide model.hidden_size 32');
    const retries = t.filter((x) => x.retryOf !== null);
    expect(retries.map((r) => t.find((o) => o.id === r.retryOf)!.number).sort()).toEqual([4, 5]);
    const hangRetry = retries.find((r) => r.retryOf === byNumber(t, 4).id)!;
    expect(hangRetry).toMatchObject({ state: 'failed', reason: 'timeout', attempt: 1 });
    expect(t.some((x) => x.retryOf === hangRetry.id)).toBe(false);
    const killRetry = retries.find((r) => r.retryOf === byNumber(t, 5).id)!;
    expect(killRetry).toMatchObject({ state: 'completed', attempt: 1 });
    expect(killRetry.seed).not.toBe(7);
    expect(summary.failures).toEqual({ error: 1, diverged: 1, timeout: 2, signal: 1, config: 1 });
    expect(summary.retried).toBe(2);
    // No trial suggested beyond the budget, and the best config is the completed trial's, ready to train.
    expect(t.filter((x) => x.retryOf === null)).toHaveLength(6);
    expect(summary.best?.value).toBe(Math.max(byNumber(t, 1).value!, killRetry.value!));
    const best = loadConfig(summary.bestConfig!);
    expect(best.evaluation.sample_query).toBe(summary.best!.params['evaluation.sample_query']);
    expect(best.seed).toBe(summary.best!.seed);
    expect(best.output_dir).toBe('runs');
    expect(lines.join('\n')).toMatch(/trial 4: over its time limit/);
    checkHparamsSummaries(summary, ['evaluation.sample_query', 'model.num_heads', 'training.lr']);
  }, 120_000);

  describe('as processes', () => {
    // The searcher's command line runs the built code.
    beforeAll(() => {
      const built = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
        cwd: packageRoot,
        encoding: 'utf8',
      });
      expect(built.status, built.stdout + built.stderr).toBe(0);
    }, 300_000);

    const searcher = (
      args: string[],
    ): { child: ChildProcess; exit: Promise<number | null>; output: () => string } => {
      const child = spawn(
        process.execPath,
        [join(packageRoot, 'bin', 'secora.js'), 'hparam', 'run', ...args],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let text = '';
      child.stdout!.on('data', (d) => (text += d));
      child.stderr!.on('data', (d) => (text += d));
      return {
        child,
        exit: new Promise((done) => child.on('exit', (code) => done(code))),
        output: () => text,
      };
    };
    const trialsOf = (studyFile: string) => {
      const study = Study.open(studyFile);
      try {
        return study.trials();
      } finally {
        study.close();
      }
    };
    const ranIn = (trial: Trial) => readFileSync(join(trial.trialDir!, 'ran.txt'), 'utf8').trim().split('\n');

    it('resumes a searcher killed with SIGKILL without repeating finished trials', async () => {
      const dir = dirOf();
      const file = fakeSearch(
        dir,
        ['budget: {trials: 5}', 'sampler: {type: random, seed: 3}', 'pruner: {type: none}'],
        ['slow'],
        [2],
      );
      const studyFile = join(dir, 'study.sqlite');
      const first = searcher([file, '--study', studyFile]);
      // Killed while a trial runs, after two have finished.
      for (let i = 0; i < 600; i++) {
        const trials = existsSync(studyFile) ? trialsOf(studyFile) : [];
        if (
          trials.filter((t) => t.state === 'completed').length >= 2 &&
          trials.some((t) => t.state === 'running' && t.childPid)
        )
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
      first.child.kill('SIGKILL');
      await first.exit;
      const before = trialsOf(studyFile);
      const finished = before.filter((t) => t.state === 'completed');
      const interrupted = before.filter((t) => t.state === 'running');
      expect(finished.length).toBeGreaterThanOrEqual(2);
      expect(interrupted).toHaveLength(1);

      const second = searcher([file, '--study', studyFile, '--resume']);
      expect(await second.exit, second.output()).toBe(0);
      const after = trialsOf(studyFile);
      // Finished trials are untouched and ran once; the interrupted one was queued again and finished.
      for (const f of finished) {
        expect(after.find((t) => t.id === f.id)).toMatchObject({ state: 'completed', value: f.value });
        expect(ranIn(f)).toHaveLength(1);
        expect(after.some((t) => t.retryOf === f.id)).toBe(false);
      }
      const requeued = after.find((t) => t.id === interrupted[0]!.id)!;
      expect(requeued).toMatchObject({ state: 'requeued', reason: 'searcher died' });
      const rerun = after.find((t) => t.retryOf === requeued.id)!;
      expect(rerun).toMatchObject({ state: 'completed', seed: requeued.seed });
      expect(rerun.params).toEqual(requeued.params);
      expect(after.filter((t) => t.retryOf === null)).toHaveLength(5);
      expect(after.filter((t) => t.state === 'completed')).toHaveLength(5);
      expect(second.output()).toMatch(/5 completed, 0 pruned, 0 failed/);
    }, 180_000);

    it('lets two searchers share a study without running a trial twice', async () => {
      const dir = dirOf();
      const file = fakeSearch(
        dir,
        ['budget: {trials: 6}', 'sampler: {type: random, seed: 4}', 'pruner: {type: none}'],
        ['slower'],
        [2],
      );
      const studyFile = join(dir, 'study.sqlite');
      const a = searcher([file, '--study', studyFile, '--resume']);
      // The second joins while the first runs a trial (each takes seconds), so that both claim some.
      for (let i = 0; i < 600; i++) {
        if (existsSync(studyFile) && trialsOf(studyFile).some((t) => t.state === 'running')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const b = searcher([file, '--study', studyFile, '--resume']);
      expect(await a.exit, a.output()).toBe(0);
      expect(await b.exit, b.output()).toBe(0);
      const trials = trialsOf(studyFile);
      expect(trials).toHaveLength(6);
      expect(trials.every((t) => t.state === 'completed')).toBe(true);
      const runners = new Set<string>();
      for (const t of trials) {
        const ran = ranIn(t);
        expect(ran, t.trialDir!).toHaveLength(1);
        runners.add(ran[0]!.split(' ')[1]!);
      }
      // Both did some of the work.
      expect(runners).toEqual(new Set([String(a.child.pid), String(b.child.pid)]));
      expect(new Set(trials.map((t) => t.trialDir)).size).toBe(6);
    }, 180_000);

    it('runs a tiny real search end to end: a study, a best config, and hparams summaries TensorBoard reads', async () => {
      const dir = dirOf();
      const shipped = loadSearch(join(packageRoot, 'configs', 'search-tiny.yml'));
      // No time limit: a loaded machine must not turn this into a time-out test.
      const spec: SearchSpec = {
        ...shipped,
        outputDir: dir,
        budget: { trials: 2, minutes: null },
        trial: { ...shipped.trial, timeoutMinutes: null },
      };
      const summary = await runSearch(spec, { log: () => {} });
      expect(summary.trials.map((t) => t.state)).toEqual(['completed', 'completed']);
      for (const t of summary.trials) {
        expect(t.value).toBeGreaterThan(0);
        expect(JSON.parse(readFileSync(join(t.runDir!, 'result.json'), 'utf8')).status).toBe('completed');
      }
      // The second trial used the tokenizer the first trained, instead of training it again.
      const second = loadConfig(join(summary.trials[1]!.trialDir!, 'trial.yml'));
      expect(second.tokenizer.path).toBe(join(summary.studyDir, 'tokenizer.json'));
      expect(readFileSync(join(summary.trials[1]!.trialDir!, 'stderr.log'), 'utf8')).not.toMatch(
        /tokenizer: trained/,
      );
      const best = loadConfig(summary.bestConfig!);
      expect(best.training.lr).toBe(summary.best!.params['training.lr']);
      expect(best.model.hidden_size).toBe(32);
      const shown = loadStudy(summary.studyDir);
      expect(shown.trials[0]!.id).toBe(summary.best!.id);

      checkHparamsSummaries(summary, ['training.lr', 'training.temperature', 'training.batch_size']);
    }, 900_000);
  });
});

/** The experiment in the study folder, and each run trial's session (its values, its status) in its folder. */
function checkHparamsSummaries(summary: SearchSummary, keys: string[]): void {
  // The experiment in the study folder, each session's hparams and status in its trial folder.
  const experiment = readSummaries(summary.studyDir);
  expect(experiment).toHaveLength(1);
  expect(experiment[0]!.tag).toBe('_hparams_/experiment');
  const hparamNames = experiment[0]!.plugin
    .get(2)![0]!
    .message!.get(4)!
    .map((info) => text(info.message!.get(1)![0]!));
  expect(hparamNames).toEqual(keys);
  const metric = experiment[0]!.plugin.get(2)![0]!.message!.get(5)![0]!.message!.get(1)![0]!.message!;
  expect([text(metric.get(1)![0]!), text(metric.get(2)![0]!)]).toEqual(['run', 'val/mrr']);
  const ran = summary.trials.filter((x) => x.reason !== 'config' && x.state !== 'requeued');
  expect(ran.length).toBeGreaterThan(0);
  for (const t of ran) {
    if (t.state === 'completed') expect(readdirSync(t.trialDir!)).toContain('run');
    const events = readSummaries(t.trialDir!);
    expect(events.map((e) => e.tag)).toEqual(['_hparams_/session_start_info', '_hparams_/session_end_info']);
    const start = events[0]!.plugin.get(3)![0]!.message!;
    const hparams = new Map(
      start.get(1)!.map((entry) => {
        const value = entry.message!.get(2)![0]!.message!;
        return [
          text(entry.message!.get(1)![0]!),
          value.get(2) ? double(value.get(2)![0]!) : text(value.get(3)![0]!),
        ];
      }),
    );
    expect(Object.fromEntries(hparams)).toEqual(t.params);
    // SessionEndInfo.status: 1 success, 2 failure.
    expect(events[1]!.plugin.get(4)![0]!.message!.get(1)![0]!.int).toBe(t.state === 'failed' ? 2n : 1n);
  }
}

// An independent reader: TFRecord framing without CRC checks (tfevents.test checks those) and a protobuf
// walker that knows only field numbers.
type Field = { int?: bigint; bytes?: Uint8Array; message?: Map<number, Field[]> | null };

function decode(buf: Uint8Array): Map<number, Field[]> | null {
  const out = new Map<number, Field[]>();
  let i = 0;
  const varint = () => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated');
      const b = buf[i++]!;
      r |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return r;
      shift += 7n;
    }
  };
  try {
    while (i < buf.length) {
      const key = Number(varint());
      const field = key >> 3;
      let f: Field;
      switch (key & 7) {
        case 0:
          f = { int: varint() };
          break;
        case 1:
          f = { bytes: buf.subarray(i, i + 8) };
          i += 8;
          break;
        case 5:
          f = { bytes: buf.subarray(i, i + 4) };
          i += 4;
          break;
        case 2: {
          const n = Number(varint());
          const bytes = buf.subarray(i, i + n);
          i += n;
          f = {
            bytes,
            get message() {
              return decode(bytes);
            },
          } as Field;
          break;
        }
        default:
          return null;
      }
      if (i > buf.length || field === 0) return null;
      if (!out.has(field)) out.set(field, []);
      out.get(field)!.push(f);
    }
  } catch {
    return null;
  }
  return out;
}
const text = (f: Field) => new TextDecoder().decode(f.bytes!);
const double = (f: Field) => new DataView(f.bytes!.buffer, f.bytes!.byteOffset, 8).getFloat64(0, true);

/** Every summary value of the events files directly in `dir` whose metadata names the hparams plugin. */
function readSummaries(dir: string): { tag: string; plugin: Map<number, Field[]> }[] {
  const out: { tag: string; plugin: Map<number, Field[]> }[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => n.includes('tfevents'))
    .sort()) {
    const data = readFileSync(join(dir, name));
    for (let at = 0; at < data.length; ) {
      const length = Number(data.readBigUInt64LE(at));
      const event = decode(data.subarray(at + 12, at + 12 + length))!;
      at += 12 + length + 4;
      for (const summary of event.get(5) ?? []) {
        for (const value of summary.message!.get(1) ?? []) {
          const v = value.message!;
          const pluginData = v.get(9)?.[0]?.message?.get(1)?.[0]?.message;
          if (!pluginData || text(pluginData.get(1)![0]!) !== 'hparams') continue;
          out.push({ tag: text(v.get(1)![0]!), plugin: decode(pluginData.get(2)![0]!.bytes!)! });
        }
      }
    }
  }
  return out;
}

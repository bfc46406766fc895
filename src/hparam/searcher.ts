// The search loop: claim a trial, write its config into its folder, run it as its own secora-train process,
// read its validation scores as they come, prune it, time it out, record how it ended (retrying spurious
// failures with a new seed), until the budget is spent. Everything it knows is in the study file, so a
// searcher killed at any moment can be resumed, and several can share one study.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, configToYaml, loadConfig } from '../config/config.js';
import { packageRoot } from '../package-root.js';
import { createRunFolder } from '../train/run-folder.js';
import {
  experimentSummary,
  SESSION_STATUS,
  sessionEndSummary,
  sessionStartSummary,
  TRIAL_RUN,
  writeSummaryEvents,
} from './hparams-events.js';
import { type Curve, shouldPrune } from './pruner.js';
import { mixSeed, seededRandom } from './random.js';
import type { SearchSpec } from './search-file.js';
import { type Params, sampleRandom } from './space.js';
import { Study, type Trial } from './study.js';
import { sampleTpe } from './tpe.js';
import { failureOf, readRunResult, stderrTail, type TrialExit, TrialProcess } from './trial-process.js';

export interface SearchOptions {
  /** The study file (default <output_dir>/<name>/study.sqlite). */
  studyFile?: string;
  /** Continue an existing study (required when the file exists). */
  resume?: boolean;
  log?: (line: string) => void;
  /** Milliseconds between looks at the running trials. */
  pollMs?: number;
  /** Set `requested` to stop: running trials are stopped and queued again for a resumed search. */
  stop?: { readonly requested: boolean };
  /** Seconds without a heartbeat after which another searcher counts as dead. */
  leaseSeconds?: number;
}

export interface SearchSummary {
  studyFile: string;
  studyDir: string;
  trials: Trial[];
  best: Trial | null;
  bestConfig: string | null;
  /** Failed trials by reason, and how many of them were retried. */
  failures: Record<string, number>;
  retried: number;
}

/** The study file a search uses unless told otherwise. */
export const defaultStudyFile = (spec: SearchSpec) => join(spec.outputDir, spec.name, 'study.sqlite');

/** `key=value` overrides for a trial's parameters (values written as JSON, which YAML reads back as is). */
const paramSets = (params: Params) => Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`);

/** Orients a metric value so that larger is better. */
const orient = (spec: SearchSpec, v: number) => (spec.metric.direction === 'maximize' ? v : -v);

/** The parts of a search that must not change when a study is resumed. */
function sameSearch(a: SearchSpec, b: SearchSpec): string | null {
  for (const k of ['base', 'set', 'metric', 'space'] as const)
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return k;
  return null;
}

/** The trials' final values, best first (completed only). */
export function ranked(spec: SearchSpec, trials: readonly Trial[]): Trial[] {
  return trials
    .filter((t) => t.state === 'completed' && t.value !== null && Number.isFinite(t.value))
    .sort((a, b) => orient(spec, b.value!) - orient(spec, a.value!));
}

function reduce(spec: SearchSpec, curve: Curve): { value: number; step: number } | null {
  const finite = curve.filter((p) => Number.isFinite(p.score));
  if (finite.length === 0) return null;
  const pick =
    spec.metric.reduce === 'last'
      ? finite[finite.length - 1]!
      : finite.reduce((b, p) => (orient(spec, p.score) > orient(spec, b.score) ? p : b));
  return { value: pick.score, step: pick.step };
}

/** Writes a file through a temporary one and a rename, so readers never see half of it. */
function writeAtomic(file: string, text: string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** Stops a process left running by a dead searcher, if it is still that trial's (its command line names the folder). */
function stopOrphan(trial: Trial, log: (l: string) => void): void {
  if (!trial.childPid || !trial.trialDir || !trial.owner?.startsWith(`${hostname()}:`)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${trial.childPid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes(trial.trialDir)) return;
  log(`trial ${trial.number}: its searcher died; stopping its leftover process ${trial.childPid}`);
  try {
    process.kill(trial.childPid, 'SIGKILL');
  } catch {
    // Gone meanwhile.
  }
}

export function writeBestConfig(spec: SearchSpec, studyDir: string, best: Trial): string {
  const base = loadConfig(spec.base, spec.set);
  const config = loadConfig(spec.base, [
    ...spec.set,
    ...paramSets(best.params),
    `seed=${best.seed}`,
    `output_dir=${JSON.stringify(base.output_dir)}`,
    `name=${JSON.stringify(base.name)}`,
    `threads=${JSON.stringify(base.threads)}`,
  ]);
  const file = join(studyDir, 'best.yml');
  const header = [
    `# The best trial of the search ${spec.name} (trial ${best.number}): ${spec.metric.key} ${best.value} at step ${best.step}.`,
    `# ${spec.base} with ${paramSets(best.params).join(' ') || 'no changes'}. Train it with:`,
    `#   npx secora-train ${file}`,
  ];
  writeAtomic(file, `${header.join('\n')}\n${configToYaml(config)}`);
  return file;
}

export async function runSearch(spec: SearchSpec, options: SearchOptions = {}): Promise<SearchSummary> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const studyFile = resolve(options.studyFile ?? defaultStudyFile(spec));
  const studyDir = dirname(studyFile);
  if (existsSync(studyFile) && !options.resume)
    throw new Error(`${studyFile} exists: continue that study with --resume, or name another with --study`);
  if (!existsSync(studyFile) && options.resume) log(`${studyFile}: no study yet, starting one`);
  // A bad base config (or fixed overrides) stops the search before anything runs.
  const baseConfig = loadConfig(spec.base, spec.set);
  mkdirSync(studyDir, { recursive: true });
  const study = Study.open(studyFile, options.leaseSeconds ? { leaseSeconds: options.leaseSeconds } : {});
  const running = new Map<number, { trial: Trial; proc: TrialProcess; exit: TrialExit | null }>();
  // Trials do not outlive a searcher that exits (an uncaught error, process.exit); after kill -9, --resume stops them.
  const killAll = () => {
    for (const { proc } of running.values()) proc.child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  try {
    study.heartbeat();
    if (study.define(spec)) {
      for (const params of spec.enqueue)
        study.enqueue(params, typeof params['seed'] === 'number' ? params['seed'] : baseConfig.seed);
    } else {
      const changed = sameSearch(study.definition()!.spec, spec);
      if (changed)
        throw new Error(
          `${studyFile}: the study was made by a search with another ${changed}; resume it with the same search file`,
        );
    }
    // TensorBoard's experiment, once per study: a name fixed by the study's creation, written exclusively.
    const created = study.definition()!.createdAt;
    writeSummaryEvents(
      studyDir,
      'hparams-experiment',
      [experimentSummary(spec.space, spec.metric.key, spec.name, created)],
      created,
      `events.out.tfevents.${Math.floor(created)}.secora.hparams-experiment`,
    );
    log(`study ${studyFile}`);
    const started = Date.now();
    const deadline =
      spec.budget.minutes !== null ? started + spec.budget.minutes * 60_000 : Number.POSITIVE_INFINITY;
    const threads = spec.trial.threads ?? Math.max(1, Math.floor(availableParallelism() / spec.concurrency));
    const command = spec.trial.command ?? [process.execPath, join(packageRoot, 'bin', 'secora-train.js')];
    const pollMs = options.pollMs ?? 500;
    let stopping = false;
    // A tokenizer trained from the data alone is the same for every trial when no data or tokenizer key is
    // searched: the first one trained is shared with the later trials instead of being trained again.
    const sharedTokenizer = join(studyDir, 'tokenizer.json');
    const shareTokenizer =
      baseConfig.tokenizer.path === null &&
      baseConfig.model.from === 'scratch' &&
      !spec.space.some((p) => /^(data|tokenizer)\./.test(p.key));
    const keepTokenizer = (runDir: string) => {
      const trained = join(runDir, 'tokenizer.json');
      if (!shareTokenizer || existsSync(sharedTokenizer) || !existsSync(trained)) return;
      copyFileSync(trained, `${sharedTokenizer}.tmp-${process.pid}`);
      renameSync(`${sharedTokenizer}.tmp-${process.pid}`, sharedTokenizer);
    };

    const suggest = (history: Trial[], number: number) => {
      const random = seededRandom(mixSeed(spec.sampler.seed, number));
      const observations = history
        .filter((t) => (t.state === 'completed' && t.value !== null) || t.state === 'pruned')
        .map((t) => ({
          params: t.params,
          score: orient(spec, t.value ?? Number.NaN),
          pruned: t.state === 'pruned',
        }));
      const params =
        spec.sampler.type === 'random'
          ? sampleRandom(spec.space, random)
          : sampleTpe(spec.space, observations, random, spec.sampler);
      const seed = typeof params['seed'] === 'number' ? params['seed'] : baseConfig.seed;
      return { params, seed };
    };

    const launch = (trial: Trial): void => {
      const trialDir = createRunFolder(join(studyDir, `trial-${String(trial.number).padStart(4, '0')}`));
      const runDir = join(trialDir, TRIAL_RUN);
      const sets = [
        ...spec.set,
        ...paramSets(trial.params),
        `output_dir=${JSON.stringify(trialDir)}`,
        `name=${TRIAL_RUN}`,
        `seed=${trial.seed}`,
        `threads=${threads}`,
        ...(shareTokenizer && existsSync(sharedTokenizer)
          ? [`tokenizer.path=${JSON.stringify(sharedTokenizer)}`]
          : []),
      ];
      let configText: string;
      try {
        configText = configToYaml(loadConfig(spec.base, sets));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        study.started(trial.id, { trialDir, runDir, childPid: null });
        study.finish(trial.id, { state: 'failed', reason: 'config', error: error.problems.join('\n') });
        log(`trial ${trial.number}: config error, not run: ${error.problems.join('; ')}`);
        return;
      }
      const configFile = join(trialDir, 'trial.yml');
      writeFileSync(
        configFile,
        `# Trial ${trial.number} of the search ${spec.name}: ${paramSets(trial.params).join(' ')}\n${configText}`,
      );
      // Labels that sort in order: a trial that ends within the second it started keeps start before end.
      writeSummaryEvents(trialDir, 'hparams-1-start', [
        sessionStartSummary(trial.params, Date.now() / 1000, `trial-${trial.number}`),
      ]);
      const env = { ...process.env, SECORA_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
      const proc = new TrialProcess([...command, configFile], trialDir, runDir, env);
      study.started(trial.id, { trialDir, runDir, childPid: proc.child.pid ?? null });
      const entry = { trial: study.trial(trial.id), proc, exit: null as TrialExit | null };
      running.set(trial.id, entry);
      void proc.exited.then((exit) => {
        entry.exit = exit;
      });
      log(
        `trial ${trial.number}${trial.retryOf ? ` (repeats ${trial.retryOf})` : ''}: ${paramSets(trial.params).join(' ')} seed ${trial.seed} -> ${trialDir}`,
      );
    };

    const collect = (trial: Trial, proc: TrialProcess): Curve => {
      for (const r of proc.newReports(spec.metric.key)) study.report(trial.id, r.step, r.value);
      return study.curves().get(trial.id) ?? [];
    };

    const ended = (trial: Trial, proc: TrialProcess, exit: TrialExit): void => {
      const curve = collect(trial, proc);
      const final = reduce(spec, curve);
      const end = (status: number) =>
        writeSummaryEvents(proc.trialDir, 'hparams-2-end', [sessionEndSummary(status, Date.now() / 1000)]);
      if (stopping && exit.code !== 0 && exit.stoppedFor !== 'pruned') {
        study.release(trial.id);
        log(`trial ${trial.number}: stopped with the search; queued again for --resume`);
        return;
      }
      if (exit.stoppedFor === 'pruned') {
        study.finish(trial.id, {
          state: 'pruned',
          value: final?.value ?? null,
          reason: 'pruned',
          exitCode: exit.code,
          signal: exit.signal,
        });
        end(SESSION_STATUS.success);
        return;
      }
      const tail = stderrTail(proc.trialDir);
      const failure =
        failureOf(exit, tail, readRunResult(proc.runDir)) ??
        (final === null
          ? { reason: 'error' as const, error: `the run reported no ${spec.metric.key}` }
          : null);
      if (failure) {
        const retry = spec.trial.retryOn.includes(failure.reason) && trial.attempt < spec.trial.retries;
        const error = proc.spawnError ? `${failure.error}: ${proc.spawnError}` : failure.error;
        study.finish(
          trial.id,
          {
            state: 'failed',
            reason: failure.reason,
            error,
            exitCode: exit.code,
            signal: exit.signal,
            stderrTail: tail,
            value: final?.value ?? null,
          },
          retry ? { seed: mixSeed(trial.seed, trial.number, trial.attempt + 1) % 2_147_483_647 } : undefined,
        );
        end(SESSION_STATUS.failure);
        log(
          `trial ${trial.number}: failed (${failure.reason}: ${error})${retry ? ', retrying with a new seed' : ''}`,
        );
        return;
      }
      study.finish(trial.id, { state: 'completed', value: final!.value, step: final!.step, exitCode: 0 });
      end(SESSION_STATUS.success);
      log(
        `trial ${trial.number}: ${spec.metric.key} ${final!.value.toFixed(4)} (step ${final!.step}) in ${proc.seconds.toFixed(0)} s`,
      );
      const best = ranked(spec, study.trials())[0];
      if (best) writeBestConfig(spec, studyDir, best);
    };

    const watch = (trial: Trial, proc: TrialProcess): void => {
      const before = (study.curves().get(trial.id) ?? []).length;
      const curve = collect(trial, proc);
      if (curve.length > before) {
        // The run saved its tokenizer before it validated.
        keepTokenizer(proc.runDir);
        const others: Curve[] = [];
        for (const [id, c] of study.curves())
          if (id !== trial.id) others.push(c.map((p) => ({ step: p.step, score: orient(spec, p.score) })));
        const finished = study.trials().filter((t) => t.state === 'completed').length;
        const oriented = curve.map((p) => ({ step: p.step, score: orient(spec, p.score) }));
        const decision = shouldPrune(spec.pruner, oriented, others, finished);
        if (decision.prune) {
          log(`trial ${trial.number}: pruned (${decision.why})`);
          proc.stop('pruned', spec.trial.graceSeconds);
        }
      }
      if (spec.trial.timeoutMinutes !== null && proc.seconds > spec.trial.timeoutMinutes * 60) {
        log(`trial ${trial.number}: over its time limit of ${spec.trial.timeoutMinutes} min, stopping it`);
        proc.stop('timeout', spec.trial.graceSeconds);
      }
    };

    for (;;) {
      study.heartbeat();
      if (options.stop?.requested && !stopping) {
        stopping = true;
        log('stopping: the running trials are stopped and queued again (continue with --resume)');
        for (const { proc } of running.values()) proc.stop('shutdown', spec.trial.graceSeconds);
      }
      for (const [id, entry] of running) {
        if (entry.exit) {
          running.delete(id);
          ended(entry.trial, entry.proc, entry.exit);
        } else watch(entry.trial, entry.proc);
      }
      let nothingLeft = false;
      while (!stopping && running.size < spec.concurrency) {
        const open = Date.now() < deadline;
        const { trial, orphans } = study.claim(
          (n) => open && (spec.budget.trials === null || n < spec.budget.trials),
          suggest,
          open,
        );
        for (const o of orphans) stopOrphan(o, log);
        if (!trial) {
          nothingLeft = true;
          break;
        }
        launch(trial);
      }
      if (running.size === 0 && (nothingLeft || stopping)) break;
      await new Promise((r) => setTimeout(r, pollMs));
    }

    const trials = study.trials();
    const failed = trials.filter((t) => t.state === 'failed');
    const failures: Record<string, number> = {};
    for (const t of failed) failures[t.reason ?? 'error'] = (failures[t.reason ?? 'error'] ?? 0) + 1;
    const retried = failed.filter((t) => trials.some((r) => r.retryOf === t.id)).length;
    const best = ranked(spec, trials)[0] ?? null;
    const bestConfig = best ? writeBestConfig(spec, studyDir, best) : null;
    return { studyFile, studyDir, trials, best, bestConfig, failures, retried };
  } finally {
    process.off('exit', killAll);
    for (const { proc } of running.values()) proc.stop('shutdown', 0);
    study.close();
  }
}

// The study: one SQLite file (WAL) holding the search's definition, every trial with its parameters, state,
// intermediate scores, final score, failure and folder, and the searchers working on it. Trials are claimed
// in IMMEDIATE transactions, so that several searchers never run one trial twice, and a searcher that died
// (its pid gone on this host, or its heartbeat older than the lease) has its running trials queued again.
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import type { Curve } from './pruner.js';
import type { FailureReason, SearchSpec } from './search-file.js';
import type { Params } from './space.js';

export type TrialState = 'queued' | 'running' | 'completed' | 'pruned' | 'failed' | 'requeued';

export interface Trial {
  id: number;
  /** The trial's number; its folder is trial-NNNN. */
  number: number;
  params: Params;
  seed: number;
  state: TrialState;
  /** The trial this one repeats (a retry after a spurious failure, or a re-queue after its searcher died). */
  retryOf: number | null;
  /** Retries after failures so far in this trial's line (0 for the first). */
  attempt: number;
  owner: string | null;
  childPid: number | null;
  trialDir: string | null;
  runDir: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** The final value of the metric (as reported, not oriented). */
  value: number | null;
  /** The last step reported. */
  step: number | null;
  reason: FailureReason | 'pruned' | 'searcher died' | 'searcher stopped' | null;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  stderrTail: string | null;
}

export interface Outcome {
  state: 'completed' | 'pruned' | 'failed';
  value?: number | null;
  step?: number | null;
  reason?: Trial['reason'];
  exitCode?: number | null;
  signal?: string | null;
  error?: string | null;
  stderrTail?: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS study (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS searchers (
  owner TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  heartbeat REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  number INTEGER NOT NULL UNIQUE,
  params TEXT NOT NULL,
  seed INTEGER NOT NULL,
  state TEXT NOT NULL,
  retry_of INTEGER REFERENCES trials(id),
  attempt INTEGER NOT NULL DEFAULT 0,
  owner TEXT,
  child_pid INTEGER,
  trial_dir TEXT,
  run_dir TEXT,
  started_at REAL,
  finished_at REAL,
  value REAL,
  step INTEGER,
  reason TEXT,
  exit_code INTEGER,
  signal TEXT,
  error TEXT,
  stderr_tail TEXT
);
CREATE TABLE IF NOT EXISTS intermediate (
  trial_id INTEGER NOT NULL REFERENCES trials(id),
  step INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (trial_id, step)
);
`;

type Row = Record<string, unknown>;

function toTrial(r: Row): Trial {
  return {
    id: r['id'] as number,
    number: r['number'] as number,
    params: JSON.parse(r['params'] as string) as Params,
    seed: r['seed'] as number,
    state: r['state'] as TrialState,
    retryOf: (r['retry_of'] as number | null) ?? null,
    attempt: r['attempt'] as number,
    owner: (r['owner'] as string | null) ?? null,
    childPid: (r['child_pid'] as number | null) ?? null,
    trialDir: (r['trial_dir'] as string | null) ?? null,
    runDir: (r['run_dir'] as string | null) ?? null,
    startedAt: (r['started_at'] as number | null) ?? null,
    finishedAt: (r['finished_at'] as number | null) ?? null,
    value: (r['value'] as number | null) ?? null,
    step: (r['step'] as number | null) ?? null,
    reason: (r['reason'] as Trial['reason']) ?? null,
    exitCode: (r['exit_code'] as number | null) ?? null,
    signal: (r['signal'] as string | null) ?? null,
    error: (r['error'] as string | null) ?? null,
    stderrTail: (r['stderr_tail'] as string | null) ?? null,
  };
}

/** Whether a process of this host is alive (signal 0 checks without sending anything). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const now = () => Date.now() / 1000;

export class Study {
  readonly owner: string;
  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
    /** Seconds without a heartbeat after which a searcher counts as dead. */
    readonly leaseSeconds: number,
  ) {
    this.owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  }

  /** Opens (creating when new) the study file; `definition` is stored on creation. */
  static open(file: string, options: { leaseSeconds?: number } = {}): Study {
    const db = new Database(file, { timeout: 30_000 });
    // Two searchers creating one study at once: switching to WAL can report busy without waiting.
    for (let attempt = 0; ; attempt++) {
      try {
        db.pragma('journal_mode = WAL');
        db.exec(SCHEMA);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 100) throw error;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
    }
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    return new Study(file, db, options.leaseSeconds ?? 60);
  }

  close(): void {
    this.db.prepare('DELETE FROM searchers WHERE owner = ?').run(this.owner);
    this.db.close();
  }

  /** The stored definition, or null for a new study. */
  definition(): { name: string; spec: SearchSpec; createdAt: number } | null {
    const r = this.db.prepare('SELECT * FROM study WHERE id = 1').get() as Row | undefined;
    return r
      ? {
          name: r['name'] as string,
          spec: JSON.parse(r['definition'] as string),
          createdAt: r['created_at'] as number,
        }
      : null;
  }

  /** Stores the definition once; returns false when another searcher stored one first. */
  define(spec: SearchSpec): boolean {
    const r = this.db
      .prepare('INSERT OR IGNORE INTO study (id, name, definition, created_at) VALUES (1, ?, ?, ?)')
      .run(spec.name, JSON.stringify(spec), now());
    return r.changes === 1;
  }

  /** Says this searcher is alive. */
  heartbeat(): void {
    this.db
      .prepare(
        'INSERT INTO searchers (owner, host, pid, heartbeat) VALUES (?, ?, ?, ?) ON CONFLICT(owner) DO UPDATE SET heartbeat = excluded.heartbeat',
      )
      .run(this.owner, hostname(), process.pid, now());
  }

  private ownerDead(owner: string | null): boolean {
    if (owner === null) return true;
    const s = this.db.prepare('SELECT * FROM searchers WHERE owner = ?').get(owner) as Row | undefined;
    if (!s) return true;
    if ((s['heartbeat'] as number) < now() - this.leaseSeconds) return true;
    return s['host'] === hostname() && !pidAlive(s['pid'] as number);
  }

  private nextNumber(): number {
    const r = this.db.prepare('SELECT COALESCE(MAX(number), 0) + 1 AS n FROM trials').get() as Row;
    return r['n'] as number;
  }

  private insert(t: Pick<Trial, 'params' | 'seed' | 'state' | 'retryOf' | 'attempt' | 'owner'>): Trial {
    const number = this.nextNumber();
    const r = this.db
      .prepare(
        'INSERT INTO trials (number, params, seed, state, retry_of, attempt, owner, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        number,
        JSON.stringify(t.params),
        t.seed,
        t.state,
        t.retryOf,
        t.attempt,
        t.owner,
        t.state === 'running' ? now() : null,
      );
    return this.trial(Number(r.lastInsertRowid));
  }

  /**
   * Queues again the running trials of dead searchers (a new trial with the same parameters and seed) and
   * returns the dead trials, whose leftover processes the caller stops.
   */
  private requeueDead(): Trial[] {
    const running = (this.db.prepare("SELECT * FROM trials WHERE state = 'running'").all() as Row[]).map(
      toTrial,
    );
    const dead = running.filter((t) => t.owner !== this.owner && this.ownerDead(t.owner));
    for (const t of dead) {
      this.db
        .prepare(
          "UPDATE trials SET state = 'requeued', reason = 'searcher died', finished_at = ? WHERE id = ?",
        )
        .run(now(), t.id);
      this.insert({
        params: t.params,
        seed: t.seed,
        state: 'queued',
        retryOf: t.id,
        attempt: t.attempt,
        owner: null,
      });
    }
    return dead;
  }

  /**
   * Takes the next trial for this searcher in one transaction: a queued one first, else a new one from
   * `suggest` when `mayStartNew` says the budget allows it. Returns the trial (now running, owned here) and
   * the trials of dead searchers that were queued again.
   */
  claim(
    mayStartNew: (suggestions: number) => boolean,
    suggest: (history: Trial[], number: number) => { params: Params; seed: number },
    mayRunQueued = true,
  ): { trial: Trial | null; orphans: Trial[] } {
    return this.db
      .transaction(() => {
        const orphans = this.requeueDead();
        if (mayRunQueued) {
          const queued = this.db
            .prepare("SELECT * FROM trials WHERE state = 'queued' ORDER BY number LIMIT 1")
            .get() as Row | undefined;
          if (queued) {
            this.db
              .prepare("UPDATE trials SET state = 'running', owner = ?, started_at = ? WHERE id = ?")
              .run(this.owner, now(), queued['id']);
            return { trial: this.trial(queued['id'] as number), orphans };
          }
        }
        const suggestions = (
          this.db.prepare('SELECT COUNT(*) AS n FROM trials WHERE retry_of IS NULL').get() as Row
        )['n'] as number;
        if (!mayStartNew(suggestions)) return { trial: null, orphans };
        const { params, seed } = suggest(this.trials(), this.nextNumber());
        const trial = this.insert({
          params,
          seed,
          state: 'running',
          retryOf: null,
          attempt: 0,
          owner: this.owner,
        });
        return { trial, orphans };
      })
      .immediate();
  }

  /** Queues a trial with given parameters, run before any new suggestion (it counts against the budget). */
  enqueue(params: Params, seed: number): Trial {
    return this.db
      .transaction(() =>
        this.insert({ params, seed, state: 'queued', retryOf: null, attempt: 0, owner: null }),
      )
      .immediate();
  }

  /** Where a claimed trial runs. */
  started(id: number, fields: { trialDir: string; runDir: string; childPid: number | null }): void {
    this.db
      .prepare('UPDATE trials SET trial_dir = ?, run_dir = ?, child_pid = ? WHERE id = ?')
      .run(fields.trialDir, fields.runDir, fields.childPid, id);
  }

  report(id: number, step: number, value: number): void {
    this.db
      .prepare('INSERT OR REPLACE INTO intermediate (trial_id, step, value) VALUES (?, ?, ?)')
      .run(id, step, value);
    this.db.prepare('UPDATE trials SET step = MAX(COALESCE(step, 0), ?) WHERE id = ?').run(step, id);
  }

  /** Records how a trial ended; with `retry`, queues a repeat with a new seed in the same transaction. */
  finish(id: number, outcome: Outcome, retry?: { seed: number }): Trial | null {
    return this.db
      .transaction(() => {
        this.db
          .prepare(
            `UPDATE trials SET state = ?, value = ?, step = COALESCE(?, step), reason = ?, exit_code = ?, signal = ?,
             error = ?, stderr_tail = ?, finished_at = ?, child_pid = NULL WHERE id = ?`,
          )
          .run(
            outcome.state,
            outcome.value ?? null,
            outcome.step ?? null,
            outcome.reason ?? null,
            outcome.exitCode ?? null,
            outcome.signal ?? null,
            outcome.error ?? null,
            outcome.stderrTail ?? null,
            now(),
            id,
          );
        if (!retry) return null;
        const t = this.trial(id);
        return this.insert({
          params: t.params,
          seed: retry.seed,
          state: 'queued',
          retryOf: id,
          attempt: t.attempt + 1,
          owner: null,
        });
      })
      .immediate();
  }

  /** A trial this searcher stops on its own shutdown: queued again, to be run by a resumed search. */
  release(id: number, why: 'searcher stopped' | 'searcher died' = 'searcher stopped'): void {
    this.db
      .transaction(() => {
        const t = this.trial(id);
        this.db
          .prepare(
            "UPDATE trials SET state = 'requeued', reason = ?, finished_at = ?, child_pid = NULL WHERE id = ?",
          )
          .run(why, now(), id);
        this.insert({
          params: t.params,
          seed: t.seed,
          state: 'queued',
          retryOf: id,
          attempt: t.attempt,
          owner: null,
        });
      })
      .immediate();
  }

  trial(id: number): Trial {
    return toTrial(this.db.prepare('SELECT * FROM trials WHERE id = ?').get(id) as Row);
  }

  trials(): Trial[] {
    return (this.db.prepare('SELECT * FROM trials ORDER BY number').all() as Row[]).map(toTrial);
  }

  /** Every trial's intermediate values, as reported, by trial id. */
  curves(): Map<number, Curve> {
    const out = new Map<number, { step: number; score: number }[]>();
    for (const r of this.db.prepare('SELECT * FROM intermediate ORDER BY trial_id, step').all() as Row[]) {
      const id = r['trial_id'] as number;
      if (!out.has(id)) out.set(id, []);
      out.get(id)!.push({ step: r['step'] as number, score: r['value'] as number });
    }
    return out;
  }
}

// Checkpoints of a run: runs/<name>/checkpoints/step-000600/. Each is written into a temporary folder, gets a
// DONE marker last, and is renamed into place; a folder without the marker (a crash mid-write) is never loaded.
// The newest `keep` are kept, and the best by validation score, which `best` (a symlink) points at.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';

export const DONE_MARKER = 'DONE';
export const STATE_FILE = 'trainer_state.json';

export interface CheckpointInfo {
  step: number;
  dir: string;
}

export interface SkippedCheckpoint {
  dir: string;
  reason: string;
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

function stepOf(name: string): number | null {
  const m = /^step-(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

export class CheckpointStore {
  readonly root: string;
  readonly bestLink: string;

  constructor(
    readonly runDir: string,
    readonly keep: number,
  ) {
    this.root = join(runDir, 'checkpoints');
    this.bestLink = join(runDir, 'best');
    mkdirSync(this.root, { recursive: true });
  }

  /** Removes temporary folders that a crashed run left; they were never complete. */
  cleanTemporary(): string[] {
    const removed: string[] = [];
    for (const name of readdirSync(this.root)) {
      if (name.startsWith('.tmp-')) {
        rmSync(join(this.root, name), { recursive: true, force: true });
        removed.push(name);
      }
    }
    return removed;
  }

  /**
   * Writes a checkpoint: `write` fills the folder (model, optimizer, tokenizer …), then the trainer state and the
   * DONE marker are written, and the folder is renamed into place. Returns its final path.
   */
  async save(
    step: number,
    state: object,
    write: (dir: string) => Promise<void>,
    options: { best?: boolean } = {},
  ): Promise<string> {
    const name = checkpointName(step);
    const tmp = join(this.root, `.tmp-${name}-${process.pid}-${Date.now()}`);
    mkdirSync(tmp, { recursive: true });
    try {
      await write(tmp);
      writeFileSync(join(tmp, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
      writeFileSync(join(tmp, DONE_MARKER), `${step}\n`);
      const final = join(this.root, name);
      if (existsSync(final)) {
        // A checkpoint of the same step from before a resume: swap, then drop the old one.
        const old = join(this.root, `.tmp-old-${name}-${process.pid}`);
        renameSync(final, old);
        renameSync(tmp, final);
        rmSync(old, { recursive: true, force: true });
      } else {
        renameSync(tmp, final);
      }
      if (options.best) this.pointBestAt(name);
      this.rotate();
      return final;
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw error;
    }
  }

  private pointBestAt(name: string): void {
    const tmpLink = `${this.bestLink}.tmp-${process.pid}`;
    rmSync(tmpLink, { force: true });
    symlinkSync(join('checkpoints', name), tmpLink);
    renameSync(tmpLink, this.bestLink);
  }

  /** The checkpoint `best` points at, if any and complete. */
  best(): CheckpointInfo | null {
    let target: string;
    try {
      target = readlinkSync(this.bestLink);
    } catch {
      return null;
    }
    const step = stepOf(basename(target));
    const dir = join(this.root, basename(target));
    return step === null || checkpointProblem(dir) ? null : { step, dir };
  }

  /** Complete checkpoints, oldest first, and the folders that look like checkpoints but are not complete. */
  list(): { complete: CheckpointInfo[]; skipped: SkippedCheckpoint[] } {
    const complete: CheckpointInfo[] = [];
    const skipped: SkippedCheckpoint[] = [];
    for (const name of readdirSync(this.root)) {
      const step = stepOf(name);
      if (step === null) continue;
      const dir = join(this.root, name);
      const problem = checkpointProblem(dir);
      if (problem) skipped.push({ dir, reason: problem });
      else complete.push({ step, dir });
    }
    complete.sort((a, b) => a.step - b.step);
    return { complete, skipped };
  }

  /** The newest complete checkpoint, and the newer incomplete ones that were passed over. */
  latest(): { checkpoint: CheckpointInfo | null; skipped: SkippedCheckpoint[] } {
    const { complete, skipped } = this.list();
    const checkpoint = complete[complete.length - 1] ?? null;
    return {
      checkpoint,
      skipped: skipped.filter((s) => checkpoint === null || (stepOf(basename(s.dir)) ?? 0) > checkpoint.step),
    };
  }

  private rotate(): void {
    const { complete } = this.list();
    const best = this.best();
    const excess = complete.length - this.keep;
    for (const c of complete.slice(0, Math.max(0, excess))) {
      if (best && best.step === c.step) continue;
      rmSync(c.dir, { recursive: true, force: true });
    }
  }
}

/** Why a folder is not a complete checkpoint, or null when it is one. */
export function checkpointProblem(dir: string): string | null {
  if (!existsSync(join(dir, DONE_MARKER)))
    return `no ${DONE_MARKER} marker (written last): the checkpoint was not finished`;
  try {
    JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
  } catch (error) {
    return `${STATE_FILE} is unreadable: ${(error as Error).message}`;
  }
  return null;
}

export function readTrainerState<T>(dir: string): T {
  return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as T;
}

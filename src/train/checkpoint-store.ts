// Checkpoints of a run: runs/<name>/checkpoints/step-000600/. Each is written into a temporary folder, gets a
// DONE marker last, and is renamed into place; a folder without the marker (a crash mid-write) is never loaded.
// The newest `keep` are kept, and the best by validation score, which `best` (a symlink) points at.
// Before DONE, manifest.json records every file's size and sha256; a resume checks them and falls back to an
// older checkpoint when they do not match, saying why.
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
import { fileSha256, MANIFEST_FILE, manifestProblem, writeManifest } from '../model/checkpoint-manifest.js';
import { makeDirs } from '../safe-fs.js';
import { trainerStateProblem } from './trainer-state.js';

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
    makeDirs(this.root, 'checkpoints folder');
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
    mkdirSync(tmp);
    try {
      await write(tmp);
      writeFileSync(join(tmp, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
      writeManifest(tmp, [DONE_MARKER]);
      // DONE names the step and the manifest's own sha256, so no byte of the checkpoint goes unchecked.
      writeFileSync(join(tmp, DONE_MARKER), `${step}\n${fileSha256(join(tmp, MANIFEST_FILE))}\n`);
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

  /**
   * The newest complete checkpoint whose files pass their sha256 check, and the newer ones that were passed
   * over (incomplete or damaged), each with the reason.
   */
  latest(): { checkpoint: CheckpointInfo | null; skipped: SkippedCheckpoint[] } {
    const { complete, skipped } = this.list();
    let checkpoint: CheckpointInfo | null = null;
    for (const c of [...complete].reverse()) {
      const problem = manifestProblem(c.dir, true);
      if (!problem) {
        checkpoint = c;
        break;
      }
      skipped.push({ dir: c.dir, reason: problem });
    }
    const newer = (s: SkippedCheckpoint) =>
      checkpoint === null || (stepOf(basename(s.dir)) ?? 0) > checkpoint.step;
    return {
      checkpoint,
      skipped: skipped
        .filter(newer)
        .sort((a, b) => (stepOf(basename(b.dir)) ?? 0) - (stepOf(basename(a.dir)) ?? 0)),
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

/**
 * Why a folder is not a complete checkpoint, or null when it is one: the DONE marker, the manifest (sizes only;
 * `latest` hashes the files), and a trainer state of the right shape.
 */
export function checkpointProblem(dir: string): string | null {
  if (!existsSync(join(dir, DONE_MARKER)))
    return `no ${DONE_MARKER} marker (written last): the checkpoint was not finished`;
  const [step, manifestSha] = readFileSync(join(dir, DONE_MARKER), 'latin1').split('\n');
  if (step !== String(stepOf(basename(dir))) || !existsSync(join(dir, MANIFEST_FILE)))
    return `${DONE_MARKER} does not name this checkpoint's step, or ${MANIFEST_FILE} is missing`;
  if (manifestSha !== fileSha256(join(dir, MANIFEST_FILE)))
    return `${MANIFEST_FILE} fails the sha256 that ${DONE_MARKER} holds: the checkpoint is damaged`;
  const manifest = manifestProblem(dir, false);
  if (manifest) return manifest === `no ${MANIFEST_FILE}` ? `no ${MANIFEST_FILE} (file checksums)` : manifest;
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
  } catch (error) {
    return `${STATE_FILE} is unreadable: ${(error as Error).message}`;
  }
  const problem = trainerStateProblem(state);
  return problem ? `${STATE_FILE} is not a trainer state: ${problem}` : null;
}

/** The trainer state of a checkpoint, checked: a broken one is an error naming the file and the key. */
export function readTrainerState<T>(dir: string): T {
  const file = join(dir, STATE_FILE);
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is unreadable: ${(error as Error).message}`);
  }
  const problem = trainerStateProblem(state);
  if (problem) throw new Error(`${file} is not a trainer state: ${problem}`);
  return state as T;
}

// Which embedder a command uses: `--model DIR` (a model folder for Encoder.load), `--model hashing[:DIM]`
// (the lexical baseline, no model), or by default the best of the runs/<run>/best folders by validation MRR.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Embedder } from '../model/embedder.js';
import { Encoder } from '../model/encoder.js';
import { HashingEmbedder } from './hashing-embedder.js';

export interface ResolvedModel {
  embedder: Embedder;
  /** The absolute model folder, or the "hashing…" spec. */
  source: string;
  /** Which model this is and, when chosen without --model, why: for the command to print. */
  description: string;
  /** Frees the model (the Encoder's native memory); a no-op for the hashing baseline. */
  close(): Promise<void>;
}

/** A trained model under runs/: its run, and the validation MRR its trainer_state.json recorded. */
export interface TrainedModel {
  dir: string;
  run: string;
  step?: number;
  mrr?: number;
  mtime: number;
}

/** The runs/<run>/best folders, with their validation scores when recorded. */
export function trainedModels(runsDir: string): TrainedModel[] {
  if (!existsSync(runsDir)) return [];
  const found: TrainedModel[] = [];
  for (const run of readdirSync(runsDir).sort()) {
    const dir = join(runsDir, run, 'best');
    if (!existsSync(dir)) continue;
    const model: TrainedModel = { dir, run, mtime: statSync(dir).mtimeMs };
    try {
      const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')) as {
        best?: { step: number; mrr: number } | null;
      };
      if (state.best && Number.isFinite(state.best.mrr)) {
        model.step = state.best.step;
        model.mrr = state.best.mrr;
      }
    } catch {
      // no readable trainer state: the model has no recorded score
    }
    found.push(model);
  }
  return found;
}

/**
 * The model `secora index` uses without --model: the one best by recorded validation MRR (the newest when
 * none recorded one), and a line saying which it is and what else there was.
 */
export function chooseTrainedModel(runsDir: string): { dir: string; description: string } | undefined {
  const models = trainedModels(runsDir);
  if (models.length === 0) return undefined;
  const scored = models.filter((m) => m.mrr !== undefined);
  const pool = scored.length > 0 ? scored : models;
  const chosen = pool.reduce((a, b) => ((scored.length > 0 ? b.mrr! > a.mrr! : b.mtime > a.mtime) ? b : a));
  const score =
    chosen.mrr !== undefined ? `, step ${chosen.step}, validation MRR ${chosen.mrr.toFixed(4)}` : '';
  let why = '';
  if (models.length > 1) {
    const others = models
      .filter((m) => m !== chosen)
      .map((m) => `${m.run}${m.mrr !== undefined ? ` ${m.mrr.toFixed(4)}` : ''}`);
    why =
      `; chosen ${scored.length > 0 ? 'by validation MRR' : 'as the newest'} over ${others.join(', ')}` +
      ' (scores from different configs need not compare: pass --model to choose)';
  }
  return { dir: chosen.dir, description: `${chosen.dir} (run ${chosen.run}${score}${why})` };
}

/** The spec of the hashing baseline for a given width, as `--model` takes it. */
export function hashingSpec(modelId: string): string | undefined {
  const m = /^hashing-bag-of-subtokens\/v1\/dim=(\d+)$/.exec(modelId);
  return m ? `hashing:${m[1]}` : undefined;
}

/** Whether `spec` names the hashing baseline ('hashing' or 'hashing:DIM') rather than a model folder. */
export function isHashingSpec(spec: string): boolean {
  return /^hashing(:\d+)?$/.test(spec);
}

/** Loads the model named by `spec` (see the file comment); `cwd` is where runs/ is looked for. */
export async function resolveModel(spec: string | undefined, cwd = process.cwd()): Promise<ResolvedModel> {
  if (spec !== undefined && isHashingSpec(spec)) {
    const dim = Number(spec.split(':')[1] ?? 256);
    const source = `hashing:${dim}`;
    return { embedder: new HashingEmbedder(dim), source, description: source, close: async () => {} };
  }
  let dir = spec;
  let description: string | undefined;
  if (dir === undefined) {
    const chosen = chooseTrainedModel(join(cwd, 'runs'));
    dir = chosen?.dir;
    description = chosen?.description;
    if (dir === undefined) {
      throw new Error(
        `no --model given and no trained model found (no runs/*/best under ${cwd}): pass --model <model folder> ` +
          '(a checkpoint with config.json, model.safetensors, tokenizer.json), or --model hashing for the ' +
          'lexical hashing baseline (no learned model)',
      );
    }
  }
  const abs = resolve(cwd, dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new Error(`model folder not found: ${abs}`);
  const encoder = await Encoder.load(abs, { trainable: false });
  return {
    embedder: encoder,
    source: abs,
    description: description ?? abs,
    close: () => encoder.dispose(),
  };
}

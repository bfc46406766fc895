// Which embedder a command uses: `--model DIR` (a model folder for Encoder.load), `--model hashing[:DIM]`
// (the lexical baseline, no model), or by default the `best` checkpoint of the newest run under runs/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Embedder } from '../model/embedder.js';
import { Encoder } from '../model/encoder.js';
import { HashingEmbedder } from './hashing-embedder.js';

export interface ResolvedModel {
  embedder: Embedder;
  /** The absolute model folder, or the "hashing…" spec. */
  source: string;
  /** Frees the model (the Encoder's native memory); a no-op for the hashing baseline. */
  close(): Promise<void>;
}

/** The `best` folder of the run whose best checkpoint is newest, or undefined when there is none. */
export function newestBestModel(runsDir: string): string | undefined {
  if (!existsSync(runsDir)) return undefined;
  let newest: { dir: string; mtime: number } | undefined;
  for (const name of readdirSync(runsDir)) {
    const best = join(runsDir, name, 'best');
    if (!existsSync(best)) continue;
    const mtime = statSync(best).mtimeMs;
    if (!newest || mtime > newest.mtime) newest = { dir: best, mtime };
  }
  return newest?.dir;
}

/** The spec of the hashing baseline for a given width, as `--model` takes it. */
export function hashingSpec(modelId: string): string | undefined {
  const m = /^hashing-bag-of-subtokens\/v1\/dim=(\d+)$/.exec(modelId);
  return m ? `hashing:${m[1]}` : undefined;
}

/** Loads the model named by `spec` (see the file comment); `cwd` is where runs/ is looked for. */
export async function resolveModel(spec: string | undefined, cwd = process.cwd()): Promise<ResolvedModel> {
  if (spec !== undefined && /^hashing(:\d+)?$/.test(spec)) {
    const dim = Number(spec.split(':')[1] ?? 256);
    return { embedder: new HashingEmbedder(dim), source: `hashing:${dim}`, close: async () => {} };
  }
  let dir = spec;
  if (dir === undefined) {
    dir = newestBestModel(join(cwd, 'runs'));
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
  const encoder = await Encoder.load(abs);
  return { embedder: encoder, source: abs, close: () => encoder.dispose() };
}

// Opens an index file with the model that built it (or the one named), as `secora search` does, for the
// long-running commands: serve and mcp. The model is opened for inference only (no optimizer state).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Encoder } from '../model/encoder.js';
import { CodeIndex } from '../search/code-index.js';
import { hashingSpec, type ResolvedModel, resolveModel } from '../search/resolve-model.js';

export interface OpenedIndex {
  file: string;
  index: CodeIndex;
  model: ResolvedModel;
  /** Native bytes of the model at rest (weights; gradients and optimizer 0), or undefined for the hashing baseline. */
  modelMemory(): { parameters: number; gradients: number; optimizer: number } | undefined;
}

export async function openIndex(indexFile: string, modelSpec?: string): Promise<OpenedIndex> {
  const file = resolve(indexFile);
  if (!existsSync(file)) throw new Error(`index file not found: ${file} (make one with: secora index <dir>)`);
  const info = CodeIndex.describe(file);
  const spec = modelSpec ?? hashingSpec(info.modelId) ?? info.modelSource;
  if (spec === undefined) {
    throw new Error(`${file} does not say where its model '${info.modelId}' is: pass --model <model folder>`);
  }
  const model = await resolveModel(spec);
  try {
    const index = CodeIndex.load(file, model.embedder);
    const encoder = model.embedder instanceof Encoder ? model.embedder : undefined;
    return { file, index, model, modelMemory: () => encoder?.memoryAtRest() };
  } catch (error) {
    await model.close();
    throw error;
  }
}

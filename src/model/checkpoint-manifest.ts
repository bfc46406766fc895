// manifest.json of a model folder or checkpoint: the size and sha256 of every file in it, written last but the
// DONE marker, so that flipped bytes in weights or optimizer state are found before they are loaded.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MANIFEST_FILE = 'manifest.json';

export interface Manifest {
  format: 'secora-manifest';
  version: 1;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** Thrown when a folder's files do not match its manifest. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

/** sha256 of a file's bytes, hex. */
export function fileSha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Writes manifest.json over every plain file of `dir` except `exclude` (the DONE marker comes after it). */
export function writeManifest(dir: string, exclude: readonly string[] = []): Manifest {
  const files: Manifest['files'] = {};
  for (const name of readdirSync(dir).sort()) {
    if (name === MANIFEST_FILE || exclude.includes(name)) continue;
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isFile()) files[name] = { bytes: stat.size, sha256: fileSha256(path) };
  }
  const manifest: Manifest = { format: 'secora-manifest', version: 1, files };
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST_FILE);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ManifestError(`${path} is unreadable: ${(error as Error).message}`);
  }
  const m = value as Manifest;
  const ok =
    typeof m === 'object' &&
    m !== null &&
    m.format === 'secora-manifest' &&
    typeof m.files === 'object' &&
    m.files !== null &&
    Object.values(m.files).every(
      (f) =>
        typeof f === 'object' &&
        f !== null &&
        Number.isSafeInteger(f.bytes) &&
        typeof f.sha256 === 'string' &&
        /^[0-9a-f]{64}$/.test(f.sha256),
    );
  if (!ok) throw new ManifestError(`${path} is not a secora manifest (format, files with bytes and sha256)`);
  return m;
}

/**
 * Why `dir`'s files do not match its manifest, or null when they do. `full` hashes every file; otherwise only
 * the sizes are compared (cheap, for listing checkpoints). A folder without a manifest is `missing`.
 */
export function manifestProblem(dir: string, full: boolean): string | null {
  if (!existsSync(join(dir, MANIFEST_FILE))) return `no ${MANIFEST_FILE}`;
  let manifest: Manifest;
  try {
    manifest = readManifest(dir);
  } catch (error) {
    return (error as Error).message;
  }
  for (const [name, want] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    if (name.includes('/') || name.includes('\\') || name.startsWith('.'))
      return `${MANIFEST_FILE} names ${JSON.stringify(name)}, not a file of the folder`;
    if (!existsSync(path)) return `${name} is missing (listed in ${MANIFEST_FILE})`;
    const bytes = statSync(path).size;
    if (bytes !== want.bytes) return `${name} has ${bytes} bytes, ${MANIFEST_FILE} says ${want.bytes}`;
    if (full && fileSha256(path) !== want.sha256)
      return `${name} fails its sha256 check (${MANIFEST_FILE}): the file is damaged`;
  }
  return null;
}

/** Checks a model folder against its manifest when it has one (a Hugging Face folder has none). */
export function verifyModelFolder(dir: string): void {
  if (!existsSync(join(dir, MANIFEST_FILE))) return;
  const problem = manifestProblem(dir, true);
  if (problem)
    throw new ManifestError(
      `${dir}: ${problem}; this checkpoint cannot be loaded (use an older checkpoint, or train again)`,
    );
}

// Where `secora index` writes an index by default, and how `secora search` finds it: in a cache folder, one
// file per indexed root (named by the root's path), never inside the indexed tree. A search from a folder
// uses the index of the nearest folder above it that has one, as git finds .git.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** $SECORA_INDEX_DIR, else $XDG_CACHE_HOME/secora/indexes, else ~/.cache/secora/indexes. */
export function indexCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SECORA_INDEX_DIR']) return resolve(env['SECORA_INDEX_DIR']);
  const cache = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(cache, 'secora', 'indexes');
}

/** The default index file of a root folder: <cache>/<folder name>-<hash of its absolute path>.sidx. */
export function defaultIndexFile(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const abs = resolve(root);
  const key = createHash('sha256').update(abs).digest('hex').slice(0, 16);
  const name = (basename(abs) || 'root').replace(/[^\w.-]/g, '_');
  return join(indexCacheDir(env), `${name}-${key}.sidx`);
}

/**
 * The index for a folder: the default index of it or of the nearest folder above it that has one (an
 * older `<folder>/.secora-index` counts too), or undefined.
 */
export function findIndexFor(dir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const cached = defaultIndexFile(at, env);
    if (existsSync(cached)) return cached;
    const inTree = join(at, '.secora-index');
    if (existsSync(inTree)) return inTree;
    if (dirname(at) === at) return undefined;
  }
}

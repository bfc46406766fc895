// `secora search` asks a running `secora serve` first (it has the model and the index in memory: a query
// costs milliseconds instead of a cold load), when that server serves the same index file.
import { resolve } from 'node:path';
import type { SearchHit } from '../search/snippet.js';

export interface ServerQuery {
  query: string;
  k: number;
  mode: 'dense' | 'bm25' | 'hybrid';
  lang?: string;
  path?: string;
}

/** The server to ask: --server, else $SECORA_SERVER, else secora serve's default address. */
export function serverUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return (flag ?? env['SECORA_SERVER'] ?? 'http://127.0.0.1:7700').replace(/\/$/, '');
}

/**
 * The hits from the server at `url` when it is up (GET /health answers within `timeoutMs`) and serves
 * `indexFile`; undefined otherwise, and the caller searches by itself. Nothing listening is refused at once;
 * the timeout bounds only a listener that does not answer.
 */
export async function searchViaServer(
  url: string,
  indexFile: string,
  query: ServerQuery,
  timeoutMs = 2000,
): Promise<SearchHit[] | undefined> {
  try {
    const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!health.ok) return undefined;
    const stats = (await (await fetch(`${url}/stats`, { signal: AbortSignal.timeout(2000) })).json()) as {
      index?: { file?: string };
    };
    if (!stats.index?.file || resolve(stats.index.file) !== resolve(indexFile)) return undefined;
  } catch {
    return undefined; // nothing listening, or not a secora server
  }
  const response = await fetch(`${url}/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(query),
  });
  const body = (await response.json()) as { hits?: Omit<SearchHit, 'id'>[]; message?: string };
  if (!response.ok || !body.hits) throw new Error(`${url}/search: ${body.message ?? response.statusText}`);
  return body.hits.map((h, i) => ({ ...h, id: -1 - i }));
}

// The search page: plain files in the package's web/ folder (no build step), served as they are. Only the
// files that folder holds are served, by exact name, so no path can reach outside it.
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../package-root.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const WEB_DIR = join(packageRoot, 'web');

export function registerStaticPage(app: FastifyInstance, dir = WEB_DIR): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  const headers = {
    'content-security-policy':
      "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  };
  app.get('/', async (_request, reply) => {
    const file = files.get('index.html');
    if (!file) return reply.callNotFound();
    return reply.headers({ ...headers, 'content-type': file.type }).send(file.body);
  });
  app.get<{ Params: { name: string } }>('/static/:name', async (request, reply) => {
    const file = files.get(request.params.name);
    if (!file || request.params.name === 'index.html') return reply.callNotFound();
    return reply.headers({ ...headers, 'content-type': file.type }).send(file.body);
  });
}

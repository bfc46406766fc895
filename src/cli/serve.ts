// `secora serve --index FILE [--port 7700] [--host 127.0.0.1] [--model DIR] [--token T] [--watch]`: a long-running
// search server (HTTP API and the search page) over one index. SIGTERM/SIGINT: stop accepting, finish, exit 0.
import { startServer } from '../serve/server.js';
import { packageVersion, parseCommandLine } from './args.js';
import type { CommandMain } from './run.js';

export const SERVE_USAGE = `usage: secora serve [--index FILE] [--port 7700] [--host 127.0.0.1] [--model DIR] [--token T] [--watch [--root DIR]]
  --index   the index file (default: ./.secora-index)
  --host    the address to bind (default 127.0.0.1); another address needs a token
  --token   required from clients as Authorization: Bearer <token> (default: $SECORA_TOKEN)
  --watch   re-embed changed files of the indexed repository in the background (root: --root, default the
            index file's folder) and swap the updated index in
  --batch-window MS   how long a query waits for others to share one encoder call (default 2)
The page is at http://HOST:PORT/, the API description at /openapi.json.`;

export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535)
    throw new Error(`--port must be an integer in [0, 65535], got '${text}'`);
  return port;
}

export const serveCommand: CommandMain = async (argv) => {
  // parseArgs refuses positional arguments itself (a UsageError naming the argument).
  const { values } = parseCommandLine(
    {
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        index: { type: 'string', default: '.secora-index' },
        port: { type: 'string', default: '7700' },
        host: { type: 'string', default: '127.0.0.1' },
        model: { type: 'string' },
        token: { type: 'string' },
        watch: { type: 'boolean', default: false },
        root: { type: 'string' },
        'batch-window': { type: 'string', default: '2' },
      },
    },
    SERVE_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const batchWindowMs = Number(values['batch-window']);
  if (!(batchWindowMs >= 0 && batchWindowMs <= 5000))
    throw new Error(`--batch-window must be a number of ms in [0, 5000], got '${values['batch-window']}'`);
  const token = values.token ?? process.env['SECORA_TOKEN'] ?? undefined;
  const server = await startServer({
    index: values.index,
    model: values.model,
    host: values.host,
    port: parsePort(values.port),
    token: token === '' ? undefined : token,
    watch: values.watch,
    watchRoot: values.root,
    batchWindowMs,
    version: packageVersion(),
    watchOptions: {
      onUpdate: ({ embedded, changed, error }) => {
        if (error) process.stderr.write(`secora serve: index update failed: ${error.message}\n`);
        else if (changed > 0)
          process.stderr.write(`secora serve: ${changed} files changed, ${embedded} functions re-embedded\n`);
      },
    },
  });
  const { snippets, languages } = server.live.summary();
  process.stdout.write(
    `secora serve: ${server.url}/ (${snippets} functions; ${languages.join(', ')}; model ${server.batcher.modelId})` +
      `${values.watch ? '; watching for changes' : ''}\n`,
  );
  const signal = await new Promise<string>((done) => {
    process.once('SIGTERM', () => done('SIGTERM'));
    process.once('SIGINT', () => done('SIGINT'));
  });
  process.stderr.write(`secora serve: ${signal}: finishing in-flight requests\n`);
  await server.close();
  return 0;
};

// `secora serve` and `secora mcp` as processes (the compiled CLI): SIGTERM lets an in-flight request finish
// and exits 0; an MCP client from the official SDK talks to `secora mcp` over stdio.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/package-root.js';
import { post, tinyIndexFile } from './serve-fixtures.js';

// Debian's OpenBLAS (under faiss) joins its worker threads in a fork handler and can hang there; with one
// BLAS thread there are none to join. Set before faiss is first loaded (lazily, below), so this test's forks
// (spawn, execFileSync) after building an index cannot deadlock.
process.env['OPENBLAS_NUM_THREADS'] = '1';

// Compiled apart from dist/ (another test builds that), inside the package so the package root is found.
const out = join(packageRoot, 'test-output', 'serve-cli');
const runner = `const { main } = await import(${JSON.stringify(pathToFileURL(join(out, 'cli', 'secora.js')).href)});
const { runCli } = await import(${JSON.stringify(pathToFileURL(join(out, 'cli', 'run.js')).href)});
await runCli(main, process.argv.slice(1));`;
const cliArgs = (...args: string[]) => ['--input-type=module', '-e', runner, ...args];
let fixture: Awaited<ReturnType<typeof tinyIndexFile>>;

beforeAll(async () => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', out], { cwd: packageRoot });
  fixture = await tinyIndexFile('secora-serve-process-');
}, 300_000);
afterAll(() => fixture?.cleanup());

describe('secora serve (process)', () => {
  it('SIGTERM: stops accepting, finishes the request in flight, exits 0', async () => {
    // A long batching window holds the query in flight for seconds.
    const child = spawn(
      process.execPath,
      cliArgs('serve', '--index', fixture.file, '--port', '0', '--batch-window', '3000'),
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += String(c);
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c) => {
        stdout += String(c);
        const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    expect(stdout).toMatch(/8 functions; go, java, javascript, php, python, ruby; model hashing/);
    const inFlight = post(`${url}/search`, { query: 'read a json file', k: 2, mode: 'dense' });
    // Signal only once the server holds the query (besides the /stats request asking).
    for (;;) {
      const stats = (await (await fetch(`${url}/stats`)).json()) as { requests: { inFlight: number } };
      if (stats.requests.inFlight >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    expect((reply.json['hits'] as { name: string }[])[0]!.name).toBe('read_json_file');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(stderr).toContain('SIGTERM: finishing in-flight requests');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('refuses a public address without a token, and says how', () => {
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(
        process.execPath,
        cliArgs('serve', '--index', fixture.file, '--host', '0.0.0.0', '--port', '0'),
        {
          encoding: 'utf8',
          stdio: 'pipe',
          env: { ...process.env, SECORA_TOKEN: '' },
        },
      );
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toMatch(/binding to 0\.0\.0\.0 .* --token or SECORA_TOKEN/);
  });
});

describe('secora mcp (process, stdio)', () => {
  it('an SDK client lists the tools and gets snippets with locations', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: cliArgs('mcp', '--index', fixture.file),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'secora-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['find_similar', 'search_code']);
      const search = tools.find((t) => t.name === 'search_code')!;
      expect(Object.keys(search.inputSchema.properties ?? {}).sort()).toEqual(['k', 'lang', 'path', 'query']);

      const found = (await client.callTool({
        name: 'search_code',
        arguments: { query: 'read a JSON document from a file', k: 2 },
      })) as { content: { type: string; text: string }[]; isError?: boolean };
      expect(found.isError).toBeFalsy();
      expect(found.content).toHaveLength(2);
      expect(found.content[0]!.text).toMatch(
        /^1\. src\/io\/json\.py:1-4 {2}read_json_file {2}\(python, score /,
      );
      expect(found.content[0]!.text).toContain('```python\ndef read_json_file(path):');

      const filtered = (await client.callTool({
        name: 'search_code',
        arguments: { query: 'parse', k: 5, lang: 'java' },
      })) as { content: { text: string }[] };
      expect(filtered.content.map((c) => c.text.split('\n')[0])).toEqual([
        expect.stringMatching(/^1\. src\/web\/Http\.java:\d+-\d+ {2}Http\.parseHttpResponseStatus/),
      ]);

      const similar = (await client.callTool({
        name: 'find_similar',
        arguments: { code: 'def sort_desc(xs):\n    sort.Sort(sort.Reverse(sort.StringSlice(xs)))', k: 1 },
      })) as { content: { text: string }[] };
      expect(similar.content[0]!.text).toMatch(/src\/util\/sort\.go:\d+-\d+ {2}SortStringsDescending/);

      const bad = (await client.callTool({
        name: 'search_code',
        arguments: { query: 'x', lang: 'cobol' },
      })) as {
        isError?: boolean;
        content: { text: string }[];
      };
      expect(bad.isError).toBe(true);
      expect(bad.content[0]!.text).toMatch(/lang 'cobol' is not in this index/);
      const empty = (await client.callTool({ name: 'search_code', arguments: { query: '  ' } })) as {
        isError?: boolean;
      };
      expect(empty.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});

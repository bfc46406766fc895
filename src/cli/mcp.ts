// `secora mcp [--index FILE] [--model DIR]`: an MCP server on stdin/stdout for code assistants (tools
// search_code and find_similar). stdout carries the protocol only; messages go to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from '../mcp/mcp-server.js';
import { LiveIndex } from '../serve/live-index.js';
import { openIndex } from '../serve/open-index.js';
import { packageVersion, parseCommandLine } from './args.js';
import type { CommandMain } from './run.js';

export const MCP_USAGE = `usage: secora mcp [--index FILE] [--model DIR]
  an MCP server over stdio with the tools search_code (query, k, lang, path) and find_similar (code, k, lang, path)
  --index   the index file (default: ./.secora-index)
  --model   the model to embed queries (default: the one that built the index)`;

export const mcpCommand: CommandMain = async (argv) => {
  // parseArgs refuses positional arguments itself (a UsageError naming the argument).
  const { values } = parseCommandLine(
    {
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        index: { type: 'string', default: '.secora-index' },
        model: { type: 'string' },
      },
    },
    MCP_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${MCP_USAGE}\n`);
    return 0;
  }
  const opened = await openIndex(values.index, values.model);
  const live = new LiveIndex(opened.index, opened.file);
  const server = createMcpServer(live, opened.model.embedder, packageVersion());
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((done) => {
    transport.onclose = () => done();
    process.stdin.once('end', () => done());
    process.once('SIGTERM', () => done());
    process.once('SIGINT', () => done());
  });
  await server.connect(transport);
  process.stderr.write(
    `secora mcp: serving ${opened.file} (${live.summary().snippets} functions) on stdio\n`,
  );
  await closed;
  await server.close();
  await opened.model.close();
  return 0;
};

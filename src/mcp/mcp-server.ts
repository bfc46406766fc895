// The MCP server of `secora mcp`: two tools over a secora index for code assistants. search_code finds
// functions for a question (by DEFAULT_SEARCH_MODE, as `secora search`); find_similar finds functions like a code fragment (dense).
// Results are snippets with their locations (path:start-end), as text an assistant can quote.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Embedder } from '../model/embedder.js';
import { DEFAULT_SEARCH_MODE } from '../search/fusion.js';
import type { SearchHit } from '../search/snippet.js';
import type { LiveIndex } from '../serve/live-index.js';
import { DEFAULT_LIMITS } from '../serve/schemas.js';
import { type SearchRequest, searchIndex } from '../serve/search-request.js';

const MAX_K = 50;

/** One hit as an assistant reads it: where, what, how well it matched, then the code. Pure. */
export function formatHit(hit: SearchHit, rank: number): string {
  return (
    `${rank}. ${hit.path}:${hit.startLine}-${hit.endLine}  ${hit.name}  (${hit.language}, score ${hit.score.toFixed(4)})\n` +
    `\`\`\`${hit.language}\n${hit.code}\n\`\`\``
  );
}

function answer(hits: SearchHit[], what: string) {
  if (hits.length === 0)
    return { content: [{ type: 'text' as const, text: `no functions found for ${what}` }] };
  return { content: hits.map((h, i) => ({ type: 'text' as const, text: formatHit(h, i + 1) })) };
}

export function createMcpServer(live: LiveIndex, embedder: Embedder, version: string): McpServer {
  const server = new McpServer({ name: 'secora', version });
  const filters = {
    k: z.number().int().min(1).max(MAX_K).optional().describe('How many functions (default 5)'),
    lang: z.string().min(1).max(64).optional().describe('Only this language (python, javascript, go, …)'),
    path: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe("A glob over file paths: 'src/**', '*.py' (without a slash it matches the file name)"),
  };
  const run = async (request: SearchRequest, embedText: string | undefined) => {
    const index = live.current;
    const languages = live.summary().languages;
    if (request.language !== undefined && !languages.includes(request.language)) {
      throw new Error(`lang '${request.language}' is not in this index (it has: ${languages.join(', ')})`);
    }
    const vector = embedText === undefined ? undefined : (await embedder.embed([embedText]))[0];
    return searchIndex(index, request, vector);
  };

  server.registerTool(
    'search_code',
    {
      title: 'Search code',
      description:
        "Finds functions in this repository's index that do what a question describes (natural language or " +
        'identifiers). Returns each function with its file path and line range.',
      inputSchema: {
        query: z.string().trim().min(1).max(DEFAULT_LIMITS.maxQueryChars).describe('What the code should do'),
        ...filters,
      },
    },
    async ({ query, k, lang, path }) => {
      const hits = await run({ query, k: k ?? 5, mode: DEFAULT_SEARCH_MODE, language: lang, path }, query);
      return answer(hits, `"${query}"`);
    },
  );

  server.registerTool(
    'find_similar',
    {
      title: 'Find similar code',
      description:
        'Finds functions in the index that resemble a code fragment (by the embedding model). Returns each ' +
        'function with its file path and line range.',
      inputSchema: {
        code: z.string().min(1).max(DEFAULT_LIMITS.maxTextChars).describe('A code fragment'),
        ...filters,
      },
    },
    async ({ code, k, lang, path }) => {
      const hits = await run({ query: code, k: k ?? 5, mode: 'dense', language: lang, path }, code);
      return answer(hits, 'the fragment');
    },
  );
  return server;
}

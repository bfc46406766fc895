// The search page in a real headless Chromium (Debian's, driven by playwright-core): typing shows ranked,
// highlighted results (debounced), the language filter and the mode switch work, arrow keys move through the
// results, and the page logs no errors. A screenshot is saved in test-output/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/package-root.js';
import { DEFAULT_SEARCH_MODE } from '../src/search/fusion.js';
import type { RunningServer } from '../src/serve/server.js';
import { serveTiny, tinyIndexFile } from './serve-fixtures.js';

// Debian's OpenBLAS (under faiss) joins its worker threads in a fork handler and can hang there: one BLAS
// thread (set before faiss loads) leaves none, so launching Chromium after building the index cannot deadlock.
process.env['OPENBLAS_NUM_THREADS'] = '1';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const outDir = join(packageRoot, 'test-output');
let fixture: Awaited<ReturnType<typeof tinyIndexFile>>;
let server: RunningServer;
let profile: string;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
const searches: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: bash scripts/setup.sh installs chromium`);
  fixture = await tinyIndexFile('secora-serve-page-');
  server = await serveTiny(fixture.file);
  profile = mkdtempSync(join(tmpdir(), 'secora-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1100, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // A newer query aborts the request of an older one (by design): only other failures are problems.
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()}`);
  });
  page.on('request', (r) => {
    if (r.url().endsWith('/search')) searches.push(r.postData() ?? '');
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  fixture?.cleanup();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Waits until the status line matches `pattern`. */
const statusShows = (pattern: RegExp) => page.locator('#status', { hasText: pattern }).waitFor();
const focused = (selector: string) =>
  page.locator(selector).evaluate((el) => el === el.ownerDocument.activeElement);

const hits = () =>
  page.$$eval('#results li', (items) =>
    items.map((li) => ({
      loc: li.querySelector('.loc')?.textContent ?? '',
      name: li.querySelector('.name')?.textContent ?? '',
      meta: li.querySelector('.meta')?.textContent ?? '',
      keywords: [...li.querySelectorAll('.tok-kw')].map((s) => s.textContent),
      strings: li.querySelectorAll('.tok-str').length,
    })),
  );

describe('the search page in Chromium', () => {
  it('results as you type, highlighted; language filter, mode switch, keyboard; no console errors', async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('#lang option').count()).toBe(7);
    expect(await page.textContent('footer')).toContain('8 functions in 7 files');
    // The mode preset is the server's default (secora search's).
    expect(await page.locator('input[name=mode]:checked').getAttribute('value')).toBe(DEFAULT_SEARCH_MODE);

    const query = 'read a JSON document from a file';
    await page.locator('#q').pressSequentially(query);
    await page.locator('#results li').first().waitFor();
    await statusShows(/results? \(hybrid/);
    // Debounced: a request for a pause in typing, not one per key (loose: a loaded machine types in bursts).
    expect(searches.length).toBeLessThanOrEqual(query.length / 2);
    const first = await hits();
    expect(first[0]).toMatchObject({ loc: 'src/io/json.py:1', name: 'read_json_file' });
    expect(first[0]!.keywords).toEqual(expect.arrayContaining(['def', 'with', 'as', 'return']));
    expect(first[0]!.strings).toBeGreaterThan(0);
    const scores = first.map((h) => Number(h.meta.split('·')[1]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    await page.selectOption('#lang', 'go');
    await expect.poll(async () => (await hits()).every((h) => h.meta.startsWith('go '))).toBe(true);
    const goOnly = await hits();
    expect(goOnly.map((h) => h.loc)).toEqual(['src/util/sort.go:31']);
    expect(goOnly[0]!.keywords).toContain('func');

    await page.selectOption('#lang', '');
    await page.getByLabel('BM25').check();
    await statusShows(/\(bm25,/);
    expect((await hits())[0]!.name).toBe('read_json_file');

    // Keyboard: down from the query box into the results, down again, Escape back.
    await page.focus('#q');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('#results li').nth(1).getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#results li[aria-selected=true]').count()).toBe(1);
    expect(await focused('#results li:nth-child(2)')).toBe(true);
    await page.keyboard.press('Escape');
    expect(await focused('#q')).toBe(true);

    await page.getByLabel('hybrid').check();
    await statusShows(/\(hybrid,/);
    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: join(outDir, 'serve-page.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('shows a server error in the status line, not in the console', async () => {
    await page.fill('#path', '');
    await page.fill('#q', 'x'.repeat(1200));
    await statusShows(/query must NOT have more than 1000/);
    expect(await page.$$eval('#results li', (items) => items.length)).toBe(0);
    expect(problems.filter((p) => !p.includes('400 (Bad Request)'))).toEqual([]);
  });
});

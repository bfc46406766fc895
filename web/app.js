// The search page: results as you type (debounced; a newer query cancels the older request), filters by
// language and path, a mode switch, and keyboard navigation through the results.
import { highlightInto } from './highlight.js';

const $ = (id) => document.getElementById(id);
const form = $('search');
const input = $('q');
const lang = $('lang');
const path = $('path');
const statusLine = $('status');
const results = $('results');
const token = new URLSearchParams(location.search).get('token');
const DEBOUNCE_MS = 150;

let timer = 0;
let inflight = null;
let sequence = 0;

async function api(route, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(route, {
    method: body ? 'POST' : 'GET',
    headers: body ? headers : token ? { authorization: headers.authorization } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: body ? inflight?.signal : undefined,
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.message ?? `HTTP ${response.status}`);
  return data;
}

function mode() {
  return form.querySelector('input[name=mode]:checked').value;
}

function renderHit(hit, rank) {
  const li = document.createElement('li');
  li.className = 'hit';
  li.tabIndex = -1;
  li.setAttribute('aria-selected', 'false');
  li.setAttribute('aria-label', `${rank}. ${hit.name}, ${hit.path} line ${hit.startLine}`);
  const head = document.createElement('div');
  head.className = 'head';
  const loc = document.createElement('span');
  loc.className = 'loc';
  loc.textContent = `${hit.path}:${hit.startLine}`;
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = hit.name;
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = `${hit.language} · ${hit.score.toFixed(4)}`;
  head.append(loc, name, meta);
  const pre = document.createElement('pre');
  const code = document.createElement('code');
  code.className = `language-${hit.language}`;
  highlightInto(code, hit.code, hit.language);
  pre.append(code);
  li.append(head, pre);
  return li;
}

async function search() {
  const query = input.value.trim();
  inflight?.abort();
  if (query === '') {
    results.replaceChildren();
    statusLine.textContent = '';
    return;
  }
  inflight = new AbortController();
  const mine = ++sequence;
  const body = { query, k: 20, mode: mode() };
  if (lang.value) body.lang = lang.value;
  if (path.value.trim()) body.path = path.value.trim();
  try {
    const data = await api('/search', body);
    if (mine !== sequence) return; // a newer query has been asked meanwhile
    results.replaceChildren(...data.hits.map((h, i) => renderHit(h, i + 1)));
    statusLine.classList.remove('error');
    statusLine.textContent = `${data.hits.length} result${data.hits.length === 1 ? '' : 's'} (${data.mode}, ${data.tookMs} ms)`;
  } catch (error) {
    if (error.name === 'AbortError' || mine !== sequence) return;
    results.replaceChildren();
    statusLine.classList.add('error');
    statusLine.textContent = error.message;
  }
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(search, DEBOUNCE_MS);
}

function select(li) {
  for (const other of results.querySelectorAll('[aria-selected=true]'))
    other.setAttribute('aria-selected', 'false');
  li.setAttribute('aria-selected', 'true');
  li.focus();
  li.scrollIntoView({ block: 'nearest' });
}

function move(step) {
  const hits = [...results.children];
  if (hits.length === 0) return;
  const at = hits.findIndex((h) => h.getAttribute('aria-selected') === 'true');
  if (at + step < 0) {
    input.focus();
    return;
  }
  select(hits[Math.min(hits.length - 1, at + step)]);
}

input.addEventListener('input', soon);
path.addEventListener('input', soon);
lang.addEventListener('change', search);
form.addEventListener('change', (event) => {
  if (event.target.name === 'mode') search();
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(timer);
  search();
});
document.addEventListener('keydown', (event) => {
  const inResults = results.contains(document.activeElement);
  if (event.key === 'ArrowDown' && (inResults || document.activeElement === input)) {
    event.preventDefault();
    move(1);
  } else if (event.key === 'ArrowUp' && inResults) {
    event.preventDefault();
    move(-1);
  } else if (event.key === 'Enter' && inResults) {
    document.activeElement.classList.toggle('open');
  } else if (event.key === 'Escape' || (event.key === '/' && document.activeElement.tagName !== 'INPUT')) {
    event.preventDefault();
    input.focus();
    input.select();
  }
});

input.focus();
api('/stats')
  .then((stats) => {
    for (const language of stats.index.languages) lang.append(new Option(language, language));
    // The server's default mode (what secora search uses), unless a search was already made with another.
    const preset = form.querySelector(`input[name=mode][value="${stats.search?.defaultMode}"]`);
    if (preset && !input.value) preset.checked = true;
    $('about').textContent =
      `${stats.index.snippets} functions in ${stats.index.files} files · model ${stats.model.source}`;
  })
  .catch((error) => {
    statusLine.classList.add('error');
    statusLine.textContent = `cannot reach the server: ${error.message}`;
  });

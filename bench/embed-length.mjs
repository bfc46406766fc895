// How much of each function the model sees when a question corpus is embedded as `secora index` embeds it
// (the function as written, cut at the model's length): on every tenth function of each cached corpus,
// the share over the length, the share that starts with a comment, and the share whose leading comment alone
// takes 100 or more tokens (the model then sees almost no code).
//
//   node bench/embed-length.mjs --tokenizer runs/<run>/best/tokenizer.json .cache/secora/questions/<corpus>.jsonl …
//     [--length 128] [--every 10]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import tokenizers from 'tokenizers';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const tokenizer = tokenizers.Tokenizer.fromFile(opt('tokenizer', 'runs/default-v2/best/tokenizer.json'));
const length = Number(opt('length', '128'));
const every = Number(opt('every', '10'));
const LEADING_COMMENT = /^(\s*(\/\*\*?[\s\S]*?\*\/|\/\/[^\n]*\n|#[^\n]*\n)\s*)+/;
const tokens = async (text) => (await tokenizer.encode(text)).getIds().length;

console.log(
  `| corpus | functions | sampled | median tokens | over ${length} | starts with a comment | leading comment ≥ 100 tokens |`,
);
console.log('|---|---|---|---|---|---|---|');
for (const file of args) {
  const rows = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const sample = rows.filter((_, i) => i % every === 0);
  const lengths = [];
  let over = 0;
  let commented = 0;
  let longComment = 0;
  for (const r of sample) {
    const n = await tokens(r.code);
    lengths.push(n);
    if (n > length) over++;
    const lead = LEADING_COMMENT.exec(r.code);
    if (lead) {
      commented++;
      if ((await tokens(lead[0])) >= 100) longComment++;
    }
  }
  lengths.sort((a, b) => a - b);
  const pct = (x) => `${Math.round((100 * x) / sample.length)} %`;
  console.log(
    `| ${basename(file, '.jsonl')} | ${rows.length} | ${sample.length} | ${lengths[lengths.length >> 1]} | ${pct(over)} | ${pct(commented)} | ${pct(longComment)} |`,
  );
}

// The tree-sitter corpus miner: source trees to CodeSearchNet-style (docstring, function) records.
export { type CorpusManifest, type MineCorpusOptions, mineCorpus } from './corpus.js';
export {
  type DefaultCorpus,
  type DefaultCorpusOptions,
  defaultCorpus,
  defaultCorpusSources,
} from './default-corpus.js';
export { type ExtractedFunction, extractFunctions } from './extract.js';
export { isMinedLanguage, languageOfFile, MINED_LANGUAGES, type MinedLanguage } from './languages.js';
export { MINER_VERSION, type MineOptions, mineFunctions } from './mine.js';
export { type FileSkip, type FunctionFilter, formatReport, type MineReport } from './report.js';
export { DEFAULT_RATIOS, type SplitRatios, splitOf } from './split.js';
export type { MineRoot, RootLayout } from './walk.js';
export { CodeSearchNetWriter, shardPath, toCodeSearchNetJson } from './writer.js';

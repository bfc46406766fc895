// The public API of secora: what a program needs to embed code, index and search it, train a model and
// evaluate it (README's "The API" groups it). Everything else is internal and may change. The miner's names
// come from its modules, not its index, which also exports tree-sitter internals whose types are not public.

export { ConfigError, configHelp, loadConfig, parseConfig, type TrainConfig } from './config/config.js';
export {
  DATA_FORMATS,
  type DataFormat,
  type DataSource,
  type DataSourceConfig,
  openDataSource,
} from './data/data-source.js';
export { type MineCorpusOptions, mineCorpus } from './data/miner/corpus.js';
export { type DefaultCorpus, defaultCorpus } from './data/miner/default-corpus.js';
export { type MineOptions, mineFunctions } from './data/miner/mine.js';
export { formatReport, type MineReport } from './data/miner/report.js';
export type { MineRoot } from './data/miner/walk.js';
export type { CodeRecord, Split } from './data/record.js';
export { type Check, type DoctorReport, formatDoctor, runDoctor } from './doctor.js';
export { type Annotation, type AnnotationFile, readAnnotations } from './eval/annotations.js';
export type { RetrievalScores } from './eval/corpus-retrieval.js';
export { type CsnOptions, type CsnScore, csnBm25Mrr, csnMrr, macroMrr } from './eval/csn-protocol.js';
export type { EmbeddingMatrix, EmbeddingRows } from './eval/embedding-rows.js';
export {
  type Compared,
  type Direction,
  evaluateModel,
  type LanguageEval,
  type LanguagePairs,
  type ModelEval,
  type ModelEvalOptions,
  pairsByLanguage,
} from './eval/evaluate-model.js';
export { formatModelEval } from './eval/format-eval.js';
export {
  defaultEncoderConfig,
  type EncoderConfig,
  type Pooling,
} from './model/config.js';
export type { Embedder } from './model/embedder.js';
export {
  Encoder,
  type EncoderOptions,
  type Precision,
  setDeterministic,
  type TrainStepArgs,
  type TrainStepResult,
} from './model/encoder.js';
export { type BuildInfo, type CudaDeviceInfo, NativeLoadError } from './native.js';
export { Bm25Index, type Bm25Options, type ScoredDoc } from './search/bm25.js';
export {
  CodeIndex,
  type CodeIndexOptions,
  type FileStamp,
  ModelMismatchError,
  type SearchOptions,
  type SnippetFilter,
} from './search/code-index.js';
export type { FaissSearchParams } from './search/faiss-search-params.js';
export { HashingEmbedder } from './search/hashing-embedder.js';
export {
  type IndexPhase,
  type IndexRepositoryOptions,
  type IndexRepositoryResult,
  indexRepository,
} from './search/index-repository.js';
export type { ReindexPlan } from './search/reindex-plan.js';
export type { SearchHit, Snippet } from './search/snippet.js';
export { StopRequest } from './train/stop-signal.js';
export { type TrainOptions, type TrainResult, train } from './train/trainer.js';
export type { EvalReport, LanguageScore } from './train/validation.js';

// The public API of secora.

export {
  ConfigError,
  configHelp,
  loadConfig,
  parseConfig,
  type TrainConfig,
} from './config/config.js';

export {
  type Batch,
  Batcher,
  type BatcherConfig,
  type BatcherPosition,
  type BatchMode,
  DEFAULT_BUCKET_POOL,
} from './data/batcher/batcher.js';
export { fairTruncate } from './data/batcher/fair-truncation.js';
export { padBatch, type TokenRow } from './data/batcher/pad-batch.js';
export {
  DATA_FORMATS,
  type DataFormat,
  type DataSource,
  type DataSourceConfig,
  openDataSource,
} from './data/data-source.js';
export {
  type DefaultCorpus,
  defaultCorpus,
  formatReport,
  type MineCorpusOptions,
  type MineOptions,
  type MineReport,
  type MineRoot,
  mineCorpus,
  mineFunctions,
} from './data/miner/index.js';
export type { Shard } from './data/readers/shard.js';
export { type SkipSite, SkipStats } from './data/skip-stats.js';
export {
  CodeTokenizer,
  loadTokenizer,
  type SpecialIds,
  type TokenizerTrainConfig,
} from './data/tokenizer/code-tokenizer.js';
export { MODEL_TYPES, type ModelType } from './data/tokenizer/tokenizer-json.js';
export { trainingTexts } from './data/tokenizer/training-texts.js';
export { type Check, type DoctorReport, formatDoctor, runDoctor } from './doctor.js';
export {
  type Annotation,
  type AnnotationFile,
  readAnnotations,
} from './eval/annotations.js';
export {
  evaluateRankers,
  evaluateRetrieval,
  type Judgments,
  type RetrievalOptions,
  type RetrievalScores,
} from './eval/corpus-retrieval.js';
export {
  type CsnOptions,
  type CsnScore,
  csnBm25Mrr,
  csnChunks,
  csnMrr,
  macroMrr,
} from './eval/csn-protocol.js';
export type { EmbeddingMatrix, EmbeddingRows } from './eval/embedding-rows.js';
export {
  type Direction,
  evaluateModel,
  type LanguagePairs,
  type ModelEval,
  type ModelEvalOptions,
  pairsByLanguage,
} from './eval/evaluate-model.js';
export { formatModelEval } from './eval/format-eval.js';
export {
  dcg,
  firstRelevantRank,
  meanReciprocalRank,
  ndcgAtK,
  pessimisticRank,
  recallAtK,
  reciprocalRank,
} from './eval/metrics.js';
export {
  defaultEncoderConfig,
  type EncoderConfig,
  type Pooling,
  validateEncoderConfig,
} from './model/config.js';
export { type Embedder, embedAll, normalizeInPlace } from './model/embedder.js';
export {
  Encoder,
  type EncoderOptions,
  type Precision,
  type TrainStepArgs,
  type TrainStepResult,
} from './model/encoder.js';
export { type BuildInfo, type CudaDeviceInfo, NativeLoadError, native } from './native.js';
export { readSafetensors, type SafetensorsTensor, writeSafetensors } from './safetensors.js';
export { Bm25Index, type Bm25Options, type ScoredDoc } from './search/bm25.js';
export {
  CodeIndex,
  type CodeIndexOptions,
  ModelMismatchError,
  type SearchOptions,
} from './search/code-index.js';
export { codeTokens, STOP_WORDS } from './search/code-tokens.js';
export type { FaissSearchParams } from './search/faiss-search-params.js';
export { reciprocalRankFusion, weightedFusion } from './search/fusion.js';
export { HashingEmbedder } from './search/hashing-embedder.js';
export {
  type IndexRepositoryOptions,
  type IndexRepositoryResult,
  indexRepository,
} from './search/index-repository.js';
export type { SearchHit, Snippet } from './search/snippet.js';
export { CheckpointStore } from './train/checkpoint-store.js';
export { learningRate, type ScheduleConfig } from './train/schedule.js';
export { StopRequest } from './train/stop-signal.js';
export { EventFileWriter } from './train/tfevents.js';
export { type TrainOptions, type TrainResult, train } from './train/trainer.js';

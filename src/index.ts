// The public API of secora.

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
export { type BuildInfo, type CudaDeviceInfo, NativeLoadError, native } from './native.js';

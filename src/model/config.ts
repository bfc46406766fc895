// The encoder's configuration: Hugging Face's BertConfig/RobertaConfig fields in camelCase, plus secora's
// pooling and embedding size. Pure functions: validation, defaults, and the config.json / secora.json forms.

export type ModelType = 'bert' | 'roberta';
export type Pooling = 'cls' | 'mean' | 'cls_projection';

export interface EncoderConfig {
  modelType: ModelType;
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  padTokenId: number;
  /** cls: the first token's hidden state; mean: the mean over real tokens; cls_projection: cls → Linear → Tanh. */
  pooling: Pooling;
  /** The embedding's size: hiddenSize, unless pooling is cls_projection. */
  embeddingSize: number;
}

/** The default model size (a small RoBERTa): 4 layers, hidden 256, 4 heads, intermediate 1024, vocab 16k. */
export function defaultEncoderConfig(overrides: Partial<EncoderConfig> = {}): EncoderConfig {
  const base: EncoderConfig = {
    modelType: 'roberta',
    vocabSize: 16_384,
    hiddenSize: 256,
    numHiddenLayers: 4,
    numAttentionHeads: 4,
    intermediateSize: 1024,
    maxPositionEmbeddings: 514,
    typeVocabSize: 1,
    layerNormEps: 1e-5,
    hiddenDropoutProb: 0.1,
    attentionProbsDropoutProb: 0.1,
    padTokenId: 1,
    pooling: 'cls',
    embeddingSize: 256,
  };
  const merged = { ...base, ...overrides };
  if (overrides.embeddingSize === undefined && merged.pooling !== 'cls_projection') {
    merged.embeddingSize = merged.hiddenSize;
  }
  return validateEncoderConfig(merged);
}

/** The longest input the position table allows (RoBERTa's positions start after the padding id). */
export function maxSequenceLength(c: EncoderConfig): number {
  return c.modelType === 'roberta' ? c.maxPositionEmbeddings - c.padTokenId - 1 : c.maxPositionEmbeddings;
}

const INTEGER_FIELDS = [
  'vocabSize',
  'hiddenSize',
  'numHiddenLayers',
  'numAttentionHeads',
  'intermediateSize',
  'maxPositionEmbeddings',
  'typeVocabSize',
  'embeddingSize',
] as const;

/** Checks every field; the error names the field, its value and what is allowed. Returns a clean copy. */
export function validateEncoderConfig(input: unknown, source = 'config'): EncoderConfig {
  if (typeof input !== 'object' || input === null) throw new TypeError(`${source} must be an object`);
  const c = input as Record<string, unknown>;
  const fail = (key: string, want: string): never => {
    throw new RangeError(`${source}.${key} must be ${want}, got ${JSON.stringify(c[key])}`);
  };
  if (c['modelType'] !== 'bert' && c['modelType'] !== 'roberta') fail('modelType', "'bert' or 'roberta'");
  for (const key of INTEGER_FIELDS) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(key, 'an integer >= 1');
  }
  const padTokenId = c['padTokenId'];
  if (typeof padTokenId !== 'number' || !Number.isInteger(padTokenId) || padTokenId < 0) {
    fail('padTokenId', 'an integer >= 0');
  }
  for (const key of ['hiddenDropoutProb', 'attentionProbsDropoutProb'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(key, 'a number in [0, 1)');
  }
  const eps = c['layerNormEps'];
  if (typeof eps !== 'number' || !(eps > 0)) fail('layerNormEps', 'a number > 0');
  if (c['pooling'] !== 'cls' && c['pooling'] !== 'mean' && c['pooling'] !== 'cls_projection') {
    fail('pooling', "'cls', 'mean' or 'cls_projection'");
  }
  const config = {
    modelType: c['modelType'],
    vocabSize: c['vocabSize'],
    hiddenSize: c['hiddenSize'],
    numHiddenLayers: c['numHiddenLayers'],
    numAttentionHeads: c['numAttentionHeads'],
    intermediateSize: c['intermediateSize'],
    maxPositionEmbeddings: c['maxPositionEmbeddings'],
    typeVocabSize: c['typeVocabSize'],
    layerNormEps: c['layerNormEps'],
    hiddenDropoutProb: c['hiddenDropoutProb'],
    attentionProbsDropoutProb: c['attentionProbsDropoutProb'],
    padTokenId: c['padTokenId'],
    pooling: c['pooling'],
    embeddingSize: c['embeddingSize'],
  } as EncoderConfig;
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new RangeError(
      `${source}.hiddenSize (${config.hiddenSize}) must be a multiple of numAttentionHeads (${config.numAttentionHeads})`,
    );
  }
  if (config.padTokenId >= config.vocabSize) {
    throw new RangeError(
      `${source}.padTokenId (${config.padTokenId}) must be below vocabSize (${config.vocabSize})`,
    );
  }
  if (config.pooling !== 'cls_projection' && config.embeddingSize !== config.hiddenSize) {
    throw new RangeError(
      `${source}.embeddingSize (${config.embeddingSize}) must equal hiddenSize (${config.hiddenSize}) ` +
        `unless pooling is 'cls_projection'`,
    );
  }
  if (maxSequenceLength(config) < 1) {
    throw new RangeError(
      `${source}.maxPositionEmbeddings leaves no position for RoBERTa after padTokenId + 1`,
    );
  }
  return config;
}

/** Hugging Face's config.json for this encoder (BertModel / RobertaModel load it). */
export function toHfConfig(c: EncoderConfig): Record<string, unknown> {
  return {
    architectures: [c.modelType === 'bert' ? 'BertModel' : 'RobertaModel'],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize,
    hidden_act: 'gelu',
    max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    hidden_dropout_prob: c.hiddenDropoutProb,
    attention_probs_dropout_prob: c.attentionProbsDropoutProb,
    pad_token_id: c.padTokenId,
    initializer_range: 0.02,
    position_embedding_type: 'absolute',
    ...(c.modelType === 'roberta' ? { bos_token_id: 0, eos_token_id: 2 } : {}),
    torch_dtype: 'float32',
  };
}

/** secora's own settings, kept beside config.json in secora.json. */
export interface SecoraJson {
  format: 'secora-encoder';
  version: 1;
  pooling: Pooling;
  embeddingSize: number;
  /** The longest input embed() tokenizes to by default. */
  maxLength: number;
}

/** An EncoderConfig from a Hugging Face config.json (and secora.json when there is one). */
export function fromHfConfig(
  hf: Record<string, unknown>,
  secora: Partial<SecoraJson> | undefined,
  source: string,
) {
  const need = (key: string): unknown => {
    if (hf[key] === undefined) throw new RangeError(`${source}: config.json lacks '${key}'`);
    return hf[key];
  };
  const modelType = need('model_type');
  if (modelType !== 'bert' && modelType !== 'roberta') {
    throw new RangeError(
      `${source}: config.json model_type must be 'bert' or 'roberta', got ${JSON.stringify(modelType)}`,
    );
  }
  const act = hf['hidden_act'] ?? 'gelu';
  if (act !== 'gelu')
    throw new RangeError(`${source}: config.json hidden_act '${String(act)}' is not supported (gelu)`);
  const pet = hf['position_embedding_type'] ?? 'absolute';
  if (pet !== 'absolute') {
    throw new RangeError(
      `${source}: config.json position_embedding_type '${String(pet)}' is not supported (absolute)`,
    );
  }
  const hiddenSize = need('hidden_size') as number;
  const pooling = secora?.pooling ?? 'cls';
  return validateEncoderConfig(
    {
      modelType,
      vocabSize: need('vocab_size'),
      hiddenSize,
      numHiddenLayers: need('num_hidden_layers'),
      numAttentionHeads: need('num_attention_heads'),
      intermediateSize: need('intermediate_size'),
      maxPositionEmbeddings: need('max_position_embeddings'),
      typeVocabSize: hf['type_vocab_size'] ?? 2,
      layerNormEps: hf['layer_norm_eps'] ?? 1e-12,
      hiddenDropoutProb: hf['hidden_dropout_prob'] ?? 0.1,
      attentionProbsDropoutProb: hf['attention_probs_dropout_prob'] ?? 0.1,
      padTokenId: hf['pad_token_id'] ?? (modelType === 'roberta' ? 1 : 0),
      pooling,
      embeddingSize: secora?.embeddingSize ?? hiddenSize,
    },
    `${source} (config.json + secora.json)`,
  );
}

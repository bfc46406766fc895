#include "bert_model.h"

#include <atomic>
#include <limits>
#include <stdexcept>

#include "compat.h"
#include "dropout.h"
#include "poolers.h"

namespace secora {

namespace {
std::shared_ptr<torch::nn::Module> child(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}
torch::nn::LayerNorm layerNorm(const EncoderConfig& c) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hiddenSize}).eps(c.layerNormEps));
}
// libtorch 1.13's CPU LayerNorm in bf16 ran 12x slower than in fp32 here (scalar kernel): the bf16 embedding
// copy normalizes in fp32 and casts back, which costs two cheap casts.
at::Tensor norm(torch::nn::LayerNorm& ln, const at::Tensor& x) {
  if (compat::kTorch2 || !x.is_cpu() || x.scalar_type() != at::kBFloat16) return ln(x);
  const auto& o = ln->options;
  return at::layer_norm(x.to(at::kFloat), o.normalized_shape(), ln->weight.to(at::kFloat), ln->bias.to(at::kFloat),
                        o.eps())
      .to(at::kBFloat16);
}

// x W^T + b. For the bf16 embedding copy on libtorch 1.13's CPU, linear's addmm copies the bias into its
// output and has oneDNN accumulate onto it, which costs more than the product alone and an in-place add
// (8192 x 256 -> 768: 10.4 against 8.7 ms; embedding 1.04-1.05x faster end to end, bench/RESULTS.md). Under
// autocast (training, where some inputs are bf16 too) the same change was slower (0.93x), so linear stays
// there, and everywhere else. (The layers used to run as torch::nn::Linear modules, whose C++ forward in 1.13
// is matmul and a separate `+= bias` for 3-D inputs: linear's fused bias made the training step 1.05x faster
// and moves its results in the last bits.)
at::Tensor dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
#if TORCH_VERSION_MAJOR < 2
  if (x.is_cpu() && x.scalar_type() == at::kBFloat16 && !at::autocast::is_cpu_enabled()) {
    auto sizes = x.sizes().vec();
    sizes.back() = w.size(0);
    return at::mm(x.reshape({-1, x.size(-1)}), w.t()).add_(b).view(sizes);
  }
#endif
  return at::linear(x, w, b);
}
at::Tensor dense(torch::nn::Linear& layer, const at::Tensor& x) { return dense(x, layer->weight, layer->bias); }
}  // namespace

// Users' configs are validated once, in TypeScript (validateEncoderConfig in src/model/config.ts, with messages
// that name the key). These are the invariants the C++ relies on, asserted so that a caller of the raw addon
// gets an error instead of undefined behaviour.
#define SECORA_CONFIG_ASSERT(cond) \
  TORCH_CHECK(cond, "EncoderConfig: ", #cond, " does not hold (validateEncoderConfig checks configs before this)")

void validateConfig(const EncoderConfig& c) {
  SECORA_CONFIG_ASSERT(c.modelType == "bert" || c.modelType == "roberta");
  SECORA_CONFIG_ASSERT(c.vocabSize >= 1 && c.hiddenSize >= 1 && c.numHiddenLayers >= 1);
  SECORA_CONFIG_ASSERT(c.numAttentionHeads >= 1 && c.intermediateSize >= 1 && c.maxPositionEmbeddings >= 1);
  SECORA_CONFIG_ASSERT(c.typeVocabSize >= 1 && c.embeddingSize >= 1);
  SECORA_CONFIG_ASSERT(c.hiddenSize % c.numAttentionHeads == 0);
  SECORA_CONFIG_ASSERT(c.padTokenId >= 0 && c.padTokenId < c.vocabSize);
  SECORA_CONFIG_ASSERT(c.maxSequenceLength() >= 1);
  SECORA_CONFIG_ASSERT(c.hiddenDropoutProb >= 0.0 && c.hiddenDropoutProb < 1.0);
  SECORA_CONFIG_ASSERT(c.attentionProbsDropoutProb >= 0.0 && c.attentionProbsDropoutProb < 1.0);
  SECORA_CONFIG_ASSERT(c.layerNormEps > 0.0);
  SECORA_CONFIG_ASSERT(c.pooling == "cls" || c.pooling == "mean" || c.pooling == "cls_projection");
  SECORA_CONFIG_ASSERT(c.pooling == "cls_projection" || c.embeddingSize == c.hiddenSize);
}
#undef SECORA_CONFIG_ASSERT

at::Tensor dropout(const at::Tensor& x, double p, bool training, at::Generator& gen) {
  if (!training || p == 0.0) return x;
  // The mask carries the 1/(1-p) scale: one multiplication forward and one backward.
  return x * dropoutMask(x, p, gen);
}

namespace {
std::atomic<bool> removePadding{true};
}
void setPaddingRemoval(bool on) { removePadding.store(on); }
bool paddingRemoval() { return removePadding.load(); }

at::Tensor Unpadded::pad(const at::Tensor& x) const {
  return at::zeros({rows * seq, x.size(1)}, x.options()).index_copy(0, realRows, x).view({rows, seq, x.size(1)});
}

BertLayerImpl::BertLayerImpl(const EncoderConfig& c) : c_(c) {
  const int64_t h = c.hiddenSize;
  auto attention = child(*this, "attention");
  auto self = child(*attention, "self");
  query_ = self->register_module("query", torch::nn::Linear(h, h));
  key_ = self->register_module("key", torch::nn::Linear(h, h));
  value_ = self->register_module("value", torch::nn::Linear(h, h));
  auto attentionOutput = child(*attention, "output");
  attentionDense_ = attentionOutput->register_module("dense", torch::nn::Linear(h, h));
  attentionNorm_ = attentionOutput->register_module("LayerNorm", layerNorm(c));
  intermediate_ = child(*this, "intermediate")->register_module("dense", torch::nn::Linear(h, c.intermediateSize));
  auto output = child(*this, "output");
  output_ = output->register_module("dense", torch::nn::Linear(c.intermediateSize, h));
  outputNorm_ = output->register_module("LayerNorm", layerNorm(c));
}

at::Tensor BertLayerImpl::forward(const at::Tensor& x, const at::Tensor& keep, const at::Tensor& bias,
                                  bool training, at::Generator& gen, bool firstRowOnly, const Unpadded* unpadded) {
  const int64_t heads = c_.numAttentionHeads, d = c_.hiddenSize / heads;
  const double attentionDropout = training ? c_.attentionProbsDropoutProb : 0.0;
  at::Tensor context, residual;
  if (unpadded) {
    // Query, key and value for the real tokens only, then laid out [B,S] for attention (zeros at padding:
    // masked as keys, and their query rows are dropped again right after).
    const int64_t b = unpadded->rows, s = unpadded->seq;
    auto weight = at::cat({query_->weight, key_->weight, value_->weight});
    auto qkv = unpadded->pad(dense(x, weight, at::cat({query_->bias, key_->bias, value_->bias})))
                   .view({b, s, 3, heads, d})
                   .unbind(2);
    auto split = [&](int64_t i) { return qkv[i].transpose(1, 2); };
    context = compat::attention(split(0), split(1), split(2), keep, bias, attentionDropout, gen)
                  .transpose(1, 2)
                  .reshape({b * s, c_.hiddenSize})
                  .index_select(0, unpadded->realRows);
    residual = x;
  } else if (!firstRowOnly) {
    const int64_t b = x.size(0), s = x.size(1);
    // Query, key and value as one matmul: x is read (and under autocast cast) once, not three times; the
    // concatenated weight is small next to the activations and autograd splits its gradient back.
    auto weight = at::cat({query_->weight, key_->weight, value_->weight});
    // unbind, not three selects: its backward stacks the three gradients in one pass, where each select's
    // wrote a zero tensor of all three and autograd then summed them.
    auto qkv = dense(x, weight, at::cat({query_->bias, key_->bias, value_->bias}))
                   .view({b, s, 3, heads, d})
                   .unbind(2);
    auto split = [&](int64_t i) { return qkv[i].transpose(1, 2); };
    context = compat::attention(split(0), split(1), split(2), keep, bias, attentionDropout, gen)
                  .transpose(1, 2)
                  .reshape({b, s, c_.hiddenSize});
    residual = x;
  } else {
    const int64_t b = x.size(0), s = x.size(1);
    // Only the first position's output is wanted (CLS pooling): keys and values of every position, the query
    // and everything after the attention for position 0 alone.
    residual = x.narrow(1, 0, 1);
    auto q = dense(query_, residual).view({b, 1, heads, d}).transpose(1, 2);
    auto kv = dense(x, at::cat({key_->weight, value_->weight}), at::cat({key_->bias, value_->bias}))
                  .view({b, s, 2, heads, d})
                  .unbind(2);
    context = compat::attention(q, kv[0].transpose(1, 2), kv[1].transpose(1, 2), keep, bias,
                                attentionDropout, gen)
                  .transpose(1, 2)
                  .reshape({b, 1, c_.hiddenSize});
  }
  auto attended =
      norm(attentionNorm_, dropout(dense(attentionDense_, context), c_.hiddenDropoutProb, training, gen) + residual);
  auto inner = at::gelu(dense(intermediate_, attended));  // exact (erf) GELU, as hidden_act "gelu"
  return norm(outputNorm_, dropout(dense(output_, inner), c_.hiddenDropoutProb, training, gen) + attended);
}

BertModelImpl::BertModelImpl(const EncoderConfig& c) : c_(c) {
  validateConfig(c);
  auto embeddings = child(*this, "embeddings");
  words_ = embeddings->register_module("word_embeddings", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
  positions_ = embeddings->register_module("position_embeddings",
                                           torch::nn::Embedding(c.maxPositionEmbeddings, c.hiddenSize));
  tokenTypes_ =
      embeddings->register_module("token_type_embeddings", torch::nn::Embedding(c.typeVocabSize, c.hiddenSize));
  embeddingNorm_ = embeddings->register_module("LayerNorm", layerNorm(c));
  auto encoder = child(*this, "encoder");
  auto layer = child(*encoder, "layer");
  for (int64_t i = 0; i < c.numHiddenLayers; ++i) {
    layers_.push_back(layer->register_module(std::to_string(i), BertLayer(c)));
  }
  if (c.pooling == "cls_projection") {
    head_ = child(*this, "secora_head")->register_module("dense", torch::nn::Linear(c.hiddenSize, c.embeddingSize));
  }
}

void BertModelImpl::initWeights(at::Generator& gen) {
  torch::NoGradGuard noGrad;
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    auto& p = item.value();
    const bool norm = name.find("LayerNorm") != std::string::npos;
    if (norm && name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0) {
      p.fill_(1.0);
    } else if (norm || name.compare(name.size() - 5, 5, ".bias") == 0) {
      p.zero_();
    } else {
      p.normal_(0.0, c_.initializerRange, gen);
    }
  }
  words_->weight[c_.padTokenId].zero_();
  if (c_.modelType == "roberta") positions_->weight[c_.padTokenId].zero_();
}

at::Tensor BertModelImpl::forward(const TokenTensors& batch, bool training, at::Generator& gen, bool forPooling) {
  const auto& ids = batch.inputIds;
  const int64_t s = ids.size(1);
  at::Tensor positionIds;
  if (c_.modelType == "roberta") {
    // RoBERTa: real tokens count up from padding_idx + 1; padding keeps padding_idx (HF's rule, from the ids).
    auto real = ids.ne(c_.padTokenId).to(at::kLong);
    positionIds = real.cumsum(1) * real + c_.padTokenId;
  } else {
    positionIds = at::arange(s, ids.options()).unsqueeze(0).expand_as(ids);
  }
  // A padded batch that is pooled runs unpadded (see Unpadded): its position-wise work shrinks to the real
  // tokens. The hidden states of padding are then zeros, which pooling never reads.
  std::optional<Unpadded> unpadded;
  if (forPooling && batch.padded && ids.is_cpu() && paddingRemoval()) {
    unpadded = Unpadded{batch.attentionMask.reshape({-1}).nonzero().squeeze(1), ids.size(0), s};
  }
  auto embed = [&](const at::Tensor& t) {
    return unpadded ? t.reshape({-1}).index_select(0, unpadded->realRows) : t;
  };
  auto x = words_(embed(ids)) + tokenTypes_(embed(batch.tokenTypeIds)) + positions_(embed(positionIds));
  x = dropout(norm(embeddingNorm_, x), c_.hiddenDropoutProb, training, gen);
  // Keys at padding get the dtype's lowest value before the softmax (HF's extended mask), so no row attends to
  // them. Made once per forward, not per layer, and not at all when no row is padded.
  at::Tensor keep, bias;
  if (batch.padded) {
    const int64_t rows = ids.size(0), heads = c_.numAttentionHeads;
    keep = batch.attentionMask.to(at::kBool).view({rows, 1, 1, s});
    const auto t = x.scalar_type();
    const double lowest = t == at::kDouble     ? std::numeric_limits<double>::lowest()
                          : t == at::kBFloat16 ? static_cast<float>(std::numeric_limits<c10::BFloat16>::lowest())
                          : t == at::kHalf     ? static_cast<float>(std::numeric_limits<c10::Half>::lowest())
                                               : std::numeric_limits<float>::lowest();
    bias = at::zeros({rows, 1, 1, s}, x.options())
               .masked_fill(keep.logical_not(), lowest)
               .expand({rows, heads, 1, s})
               .reshape({rows * heads, 1, s});
  }
  const bool firstRowOnly = forPooling && c_.pooling != "mean";
  for (size_t i = 0; i < layers_.size(); ++i) {
    const bool last = i + 1 == layers_.size();
    if (unpadded && last && firstRowOnly) {
      // CLS pooling's last layer computes position 0 alone, from the [B,S] layout.
      x = unpadded->pad(x);
      unpadded.reset();
    }
    x = layers_[i]->forward(x, keep, bias, training, gen, firstRowOnly && last, unpadded ? &*unpadded : nullptr);
  }
  return unpadded ? unpadded->pad(x) : x;
}

at::Tensor BertModelImpl::pool(const at::Tensor& hidden, const at::Tensor& attentionMask, bool atLeastFloat) {
  const auto own = words_->weight.scalar_type();
  const bool reduced = own == at::kBFloat16 || own == at::kHalf;
  const auto dtype = atLeastFloat && reduced ? at::kFloat : own;
  if (c_.pooling == "mean") {
    const bool low = hidden.scalar_type() == at::kBFloat16 || hidden.scalar_type() == at::kHalf;
    return maskedMeanPool(atLeastFloat && low ? hidden.to(at::kFloat) : hidden, attentionMask).to(dtype);
  }
  auto first = clsPool(hidden);
  if (c_.pooling == "cls_projection") return at::tanh(head_(first)).to(dtype);
  return first.to(dtype);
}

}  // namespace secora

#include "bert_model.h"

#include <limits>
#include <stdexcept>

#include "compat.h"
#include "poolers.h"

namespace secora {

namespace {
std::shared_ptr<torch::nn::Module> child(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}
torch::nn::LayerNorm layerNorm(const EncoderConfig& c) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hiddenSize}).eps(c.layerNormEps));
}
}  // namespace

void validateConfig(const EncoderConfig& c) {
  auto positive = [](const char* name, int64_t v) {
    if (v < 1) throw std::invalid_argument(std::string("config.") + name + " must be >= 1, got " + std::to_string(v));
  };
  if (c.modelType != "bert" && c.modelType != "roberta") {
    throw std::invalid_argument("config.modelType must be 'bert' or 'roberta', got '" + c.modelType + "'");
  }
  positive("vocabSize", c.vocabSize);
  positive("hiddenSize", c.hiddenSize);
  positive("numHiddenLayers", c.numHiddenLayers);
  positive("numAttentionHeads", c.numAttentionHeads);
  positive("intermediateSize", c.intermediateSize);
  positive("maxPositionEmbeddings", c.maxPositionEmbeddings);
  positive("typeVocabSize", c.typeVocabSize);
  positive("embeddingSize", c.embeddingSize);
  if (c.hiddenSize % c.numAttentionHeads != 0) {
    throw std::invalid_argument("config.hiddenSize (" + std::to_string(c.hiddenSize) +
                                ") must be a multiple of config.numAttentionHeads (" +
                                std::to_string(c.numAttentionHeads) + ")");
  }
  if (c.padTokenId < 0 || c.padTokenId >= c.vocabSize) {
    throw std::invalid_argument("config.padTokenId must be in [0, vocabSize), got " + std::to_string(c.padTokenId));
  }
  if (c.maxSequenceLength() < 1) {
    throw std::invalid_argument("config.maxPositionEmbeddings (" + std::to_string(c.maxPositionEmbeddings) +
                                ") leaves no position for RoBERTa after padTokenId + 1");
  }
  for (auto [name, p] : {std::pair{"hiddenDropoutProb", c.hiddenDropoutProb},
                         std::pair{"attentionProbsDropoutProb", c.attentionProbsDropoutProb}}) {
    if (!(p >= 0.0 && p < 1.0)) {
      throw std::invalid_argument(std::string("config.") + name + " must be in [0, 1), got " + std::to_string(p));
    }
  }
  if (!(c.layerNormEps > 0.0)) throw std::invalid_argument("config.layerNormEps must be > 0");
  if (c.pooling != "cls" && c.pooling != "mean" && c.pooling != "cls_projection") {
    throw std::invalid_argument("config.pooling must be 'cls', 'mean' or 'cls_projection', got '" + c.pooling + "'");
  }
  if (c.pooling != "cls_projection" && c.embeddingSize != c.hiddenSize) {
    throw std::invalid_argument("config.embeddingSize (" + std::to_string(c.embeddingSize) +
                                ") must equal hiddenSize (" + std::to_string(c.hiddenSize) + ") unless pooling is " +
                                "'cls_projection'");
  }
}

at::Tensor dropout(const at::Tensor& x, double p, bool training, at::Generator& gen) {
  if (!training || p == 0.0) return x;
  auto keep = at::empty_like(x).bernoulli_(1.0 - p, gen);
  return x * keep / (1.0 - p);
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

at::Tensor BertLayerImpl::forward(const at::Tensor& x, const at::Tensor& keep, const at::Tensor& additive,
                                  bool training, at::Generator& gen) {
  const int64_t b = x.size(0), s = x.size(1), heads = c_.numAttentionHeads, d = c_.hiddenSize / heads;
  auto split = [&](const at::Tensor& t) { return t.view({b, s, heads, d}).transpose(1, 2); };
  auto q = split(query_(x)), k = split(key_(x)), v = split(value_(x));
  auto context =
      compat::attention(q, k, v, keep, additive, training ? c_.attentionProbsDropoutProb : 0.0, gen);
  context = context.transpose(1, 2).reshape({b, s, c_.hiddenSize});
  auto attended = attentionNorm_(dropout(attentionDense_(context), c_.hiddenDropoutProb, training, gen) + x);
  auto inner = at::gelu(intermediate_(attended));  // exact (erf) GELU, as hidden_act "gelu"
  return outputNorm_(dropout(output_(inner), c_.hiddenDropoutProb, training, gen) + attended);
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

at::Tensor BertModelImpl::forward(const TokenTensors& batch, bool training, at::Generator& gen) {
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
  auto x = words_(ids) + tokenTypes_(batch.tokenTypeIds) + positions_(positionIds);
  x = dropout(embeddingNorm_(x), c_.hiddenDropoutProb, training, gen);
  // Keys at padding get the dtype's lowest value before the softmax (HF's extended mask), so no row attends to them.
  auto keep = batch.attentionMask.to(at::kBool).view({ids.size(0), 1, 1, s});
  const double lowest = x.scalar_type() == at::kDouble ? std::numeric_limits<double>::lowest()
                                                       : std::numeric_limits<float>::lowest();
  auto additive = at::zeros(keep.sizes(), x.options()).masked_fill(keep.logical_not(), lowest);
  for (auto& layer : layers_) x = layer->forward(x, keep, additive, training, gen);
  return x;
}

at::Tensor BertModelImpl::pool(const at::Tensor& hidden, const at::Tensor& attentionMask) {
  const auto dtype = words_->weight.scalar_type();
  if (c_.pooling == "mean") return maskedMeanPool(hidden, attentionMask).to(dtype);
  auto first = clsPool(hidden);
  if (c_.pooling == "cls_projection") return at::tanh(head_(first)).to(dtype);
  return first.to(dtype);
}

}  // namespace secora

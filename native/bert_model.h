// BERT and RoBERTa encoders as Hugging Face defines them: the same module tree, so named_parameters()
// gives checkpoint names (embeddings.word_embeddings.weight, encoder.layer.0.attention.self.query.weight, …),
// and the same arithmetic (position ids, token types, LayerNorm epsilon, erf GELU, padding mask).
#pragma once

#include <torch/torch.h>

#include "encoder_config.h"

namespace secora {

// One batch on the model's device: ids, mask and token types, all int64 [B,S].
struct TokenTensors {
  at::Tensor inputIds;
  at::Tensor attentionMask;
  at::Tensor tokenTypeIds;
  bool padded = true;  // false when every mask entry is 1: attention then needs no mask at all
  int64_t rows() const { return inputIds.size(0); }
  TokenTensors slice(int64_t begin, int64_t end) const {
    return {inputIds.slice(0, begin, end), attentionMask.slice(0, begin, end), tokenTypeIds.slice(0, begin, end),
            padded};
  }
};

// A padded batch with its padding taken out of the compute: the real tokens' rows of the flattened [B*S]
// positions, in order. Every position-wise op (embeddings, Linear, LayerNorm, GELU, dropout) runs on those T
// rows alone; only attention sees the [B,S] layout, with zeros at the padding (masked keys, unread queries).
struct Unpadded {
  at::Tensor realRows;  // int64 [T]: indices into the B*S positions
  int64_t rows = 0, seq = 0;
  at::Tensor pad(const at::Tensor& x) const;  // [T,F] -> [B,S,F], zeros at padding
};

// Whether padded batches that are pooled (embedding, training) run unpadded: on by default, process-wide (a
// switch for the benchmark that measures it, bench/padding-bench.ts). CPU only: on CUDA finding the real
// rows (nonzero) would wait for the device.
void setPaddingRemoval(bool on);
bool paddingRemoval();

class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const EncoderConfig& c);
  // `keep` [B,1,1,S] bool and `bias` [B*heads,1,S] (0 / lowest) mask padded keys; both undefined: no padding.
  // `firstRowOnly`: the output for position 0 alone, [B,1,H] (what CLS pooling reads of the last layer).
  // With `unpadded`, x and the result are the real tokens' rows [T,H] (firstRowOnly is not allowed then).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& keep, const at::Tensor& bias, bool training,
                     at::Generator& gen, bool firstRowOnly = false, const Unpadded* unpadded = nullptr);

 private:
  EncoderConfig c_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, attentionDense_{nullptr};
  torch::nn::LayerNorm attentionNorm_{nullptr};
  torch::nn::Linear intermediate_{nullptr}, output_{nullptr};
  torch::nn::LayerNorm outputNorm_{nullptr};
};
TORCH_MODULE(BertLayer);

class BertModelImpl : public torch::nn::Module {
 public:
  explicit BertModelImpl(const EncoderConfig& c);

  // last_hidden_state [B,S,H]. Dropout is on when `training`, drawn from `gen`. `forPooling`: only what pool()
  // reads is computed (with CLS pooling the last layer runs for position 0 alone: [B,1,H]; a padded batch on
  // the CPU runs unpadded, see Unpadded, and its padding positions hold zeros).
  at::Tensor forward(const TokenTensors& batch, bool training, at::Generator& gen, bool forPooling = false);
  // The pooled vector per row [B,E] (not normalized), in the parameters' dtype, or in at least fp32 when
  // `atLeastFloat` (embedding from a bf16/fp16 copy: the mean of many rows is taken in fp32).
  at::Tensor pool(const at::Tensor& hidden, const at::Tensor& attentionMask, bool atLeastFloat = false);
  // HF's init: Linear and Embedding weights N(0, initializerRange), biases 0, LayerNorm 1/0, padding row 0.
  void initWeights(at::Generator& gen);
  const EncoderConfig& config() const { return c_; }

 private:
  EncoderConfig c_;
  torch::nn::Embedding words_{nullptr}, positions_{nullptr}, tokenTypes_{nullptr};
  torch::nn::LayerNorm embeddingNorm_{nullptr};
  std::vector<BertLayer> layers_;
  torch::nn::Linear head_{nullptr};  // secora_head.dense: the cls_projection pooler's Linear (then Tanh)
};
TORCH_MODULE(BertModel);

// Dropout that draws its mask from `gen` (so the model's randomness is one generator it owns).
at::Tensor dropout(const at::Tensor& x, double p, bool training, at::Generator& gen);

}  // namespace secora

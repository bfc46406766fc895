// GradCache (Gao et al., 2021): one contrastive step over a large batch in micro-batches. First every
// micro-batch is encoded without a graph; then the loss and its gradient with respect to the embeddings
// are computed once; then each micro-batch is encoded again with a graph and backpropagates its slice of
// that gradient. Memory is that of one micro-batch; the gradients equal the plain step's.
#pragma once

#include <functional>

#include "bert_model.h"
#include "info_nce_loss.h"

namespace secora {

// The state of the generators that drive dropout, so a re-forward draws the same masks as the first pass.
struct RngSnapshot {
  at::Tensor own;     // the model's generator
  at::Tensor device;  // the device's default generator (fused attention dropout on CUDA); undefined on CPU
};

struct GradCacheHooks {
  std::function<at::Tensor(const TokenTensors&)> encode;  // pooled embeddings [n,E]
  std::function<InfoNceResult(const at::Tensor&, const at::Tensor&)> loss;
  std::function<RngSnapshot()> saveRng;
  std::function<void(const RngSnapshot&)> restoreRng;
};

// Leaves the gradients of (loss * lossScale) on the parameters and returns the unscaled loss (detached).
InfoNceResult gradCacheStep(const TokenTensors& a, const TokenTensors& b, int64_t microBatch, double lossScale,
                            const GradCacheHooks& hooks);

}  // namespace secora

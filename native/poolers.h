// How a sequence of hidden states [B,S,H] becomes one vector per row.
#pragma once

#include <ATen/ATen.h>

namespace secora {

// The hidden state of the first token (BERT's [CLS], RoBERTa's <s>).
inline at::Tensor clsPool(const at::Tensor& hidden) { return hidden.select(1, 0); }

// The mean over the real tokens only; `mask` is [B,S] with 1 for a real token.
inline at::Tensor maskedMeanPool(const at::Tensor& hidden, const at::Tensor& mask) {
  auto m = mask.to(hidden.scalar_type()).unsqueeze(-1);
  return (hidden * m).sum(1) / m.sum(1).clamp_min(1.0);
}

}  // namespace secora

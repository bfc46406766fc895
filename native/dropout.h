// Dropout masks: each entry 0 or the 1/(1-p) scale, in the tensor's dtype, drawn from a generator the model owns.
#pragma once

#include <ATen/ATen.h>

namespace secora {

// A mask shaped and typed like `like`: each entry kept (= the scale) with probability 1 - p, else 0.
//
// On the CPU the mask is one parallel pass of a counter-based generator: one 64-bit seed is drawn from `gen`,
// and entry i's draw is a 16-bit lane of splitmix64(seed + (i / 4 + 1) * golden gamma), kept when below
// round((1 - p) * 65536). So the keep probability is p rounded to 1/65536 (the scale is its exact inverse),
// and the mask depends on the seed alone, not on the thread count. libtorch 1.13's CPU bernoulli_ draws one
// double per entry on one thread: a sixth of a training step of the benchmark's peer (bench/RESULTS.md).
// Elsewhere (CUDA) libtorch's bernoulli_ draws it.
at::Tensor dropoutMask(const at::Tensor& like, double p, at::Generator& gen);

}  // namespace secora

// AdamW (decoupled weight decay, as torch.optim.AdamW) with no decay on biases and LayerNorm parameters, fused
// over the flat parameter buffer: one pass over one tensor per step (a single loop on the CPU, a handful of
// whole-buffer kernels elsewhere) instead of several kernels per parameter. Its state is plain named tensors
// (views into two flat moments): saved, loaded and compared exactly.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

#include "flat_parameters.h"

namespace secora {

struct AdamWSettings {
  double weightDecay = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class AdamW {
 public:
  // `flat` must outlive the optimizer (the runtime owns both).
  AdamW(const FlatParameters& flat, AdamWSettings settings) : flat_(flat), settings_(settings) {}

  // One update with learning rate `lr` from the flat gradient buffer. The moments are allocated here the
  // first time, so a model that only embeds holds no optimizer state.
  void step(double lr);
  void configure(const AdamWSettings& settings) { settings_ = settings; }
  const AdamWSettings& settings() const { return settings_; }
  static bool decays(const std::string& name);

  // exp_avg.<name>, exp_avg_sq.<name> and "step"; loadState checks every name and shape.
  std::vector<std::pair<std::string, at::Tensor>> state();
  void loadState(const std::vector<std::pair<std::string, at::Tensor>>& tensors, const std::string& source);

 private:
  void allocate();

  const FlatParameters& flat_;
  AdamWSettings settings_;
  at::Tensor expAvg_, expAvgSq_;  // flat, shaped like the parameter buffer
  int64_t step_ = 0;
};

// The L2 norm of a flat tensor, accumulated in double over fixed blocks on the CPU (the same bits whatever
// the thread count); a plain norm elsewhere.
double flatNorm(const at::Tensor& flat);

}  // namespace secora

// AdamW (decoupled weight decay, as torch.optim.AdamW) with no decay on biases and LayerNorm parameters.
// Written out rather than torch::optim::AdamW so its state is plain named tensors: saved, loaded and
// compared exactly.
#pragma once

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace secora {

struct AdamWSettings {
  double weightDecay = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class AdamW {
 public:
  AdamW(std::vector<std::pair<std::string, at::Tensor>> params, AdamWSettings settings);

  // One update with learning rate `lr` from the parameters' current gradients (missing gradients are skipped).
  void step(double lr);
  void configure(const AdamWSettings& settings) { settings_ = settings; }
  const AdamWSettings& settings() const { return settings_; }
  static bool decays(const std::string& name);

  // exp_avg.<name>, exp_avg_sq.<name> and "step"; loadState checks every name and shape.
  std::vector<std::pair<std::string, at::Tensor>> state() const;
  void loadState(const std::vector<std::pair<std::string, at::Tensor>>& tensors, const std::string& source);

 private:
  struct Slot {
    std::string name;
    at::Tensor param, expAvg, expAvgSq;
    bool decay;
  };
  std::vector<Slot> slots_;
  AdamWSettings settings_;
  int64_t step_ = 0;
};

}  // namespace secora

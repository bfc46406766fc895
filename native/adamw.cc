#include "adamw.h"

#include <cmath>
#include <stdexcept>

#include "shape_text.h"

namespace secora {

AdamW::AdamW(std::vector<std::pair<std::string, at::Tensor>> params, AdamWSettings settings)
    : settings_(settings) {
  for (auto& [name, p] : params) {
    slots_.push_back({name, p, at::zeros_like(p, at::MemoryFormat::Contiguous),
                      at::zeros_like(p, at::MemoryFormat::Contiguous), decays(name)});
  }
}

bool AdamW::decays(const std::string& name) {
  const bool bias = name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
  return !bias && name.find("LayerNorm") == std::string::npos;
}

void AdamW::step(double lr) {
  c10::NoGradGuard noGrad;
  ++step_;
  const auto& s = settings_;
  const double correction1 = 1.0 - std::pow(s.beta1, static_cast<double>(step_));
  const double correction2 = 1.0 - std::pow(s.beta2, static_cast<double>(step_));
  for (auto& slot : slots_) {
    const auto& grad = slot.param.grad();
    if (!grad.defined()) continue;
    if (slot.decay && s.weightDecay != 0.0) slot.param.mul_(1.0 - lr * s.weightDecay);
    slot.expAvg.mul_(s.beta1).add_(grad, 1.0 - s.beta1);
    slot.expAvgSq.mul_(s.beta2).addcmul_(grad, grad, 1.0 - s.beta2);
    auto denom = (slot.expAvgSq.sqrt() / std::sqrt(correction2)).add_(s.eps);
    slot.param.addcdiv_(slot.expAvg, denom, -lr / correction1);
  }
}

std::vector<std::pair<std::string, at::Tensor>> AdamW::state() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  out.emplace_back("step", at::full({}, step_, at::TensorOptions().dtype(at::kLong)));
  for (const auto& slot : slots_) {
    out.emplace_back("exp_avg." + slot.name, slot.expAvg);
    out.emplace_back("exp_avg_sq." + slot.name, slot.expAvgSq);
  }
  return out;
}

void AdamW::loadState(const std::vector<std::pair<std::string, at::Tensor>>& tensors, const std::string& source) {
  auto find = [&](const std::string& name) -> at::Tensor {
    for (const auto& [n, t] : tensors) {
      if (n == name) return t;
    }
    throw std::runtime_error(source + ": optimizer state lacks tensor '" + name + "'");
  };
  // Check everything before changing anything, so a bad file leaves the optimizer as it was.
  auto step = find("step");
  for (const auto& slot : slots_) {
    for (const auto& name : {"exp_avg." + slot.name, "exp_avg_sq." + slot.name}) {
      auto t = find(name);
      if (t.sizes() != slot.param.sizes()) {
        throw std::runtime_error(source + ": optimizer tensor '" + name + "' has shape " + shapeText(t.sizes()) +
                                 ", the parameter has " + shapeText(slot.param.sizes()));
      }
    }
  }
  c10::NoGradGuard noGrad;
  step_ = step.to(at::kLong).item<int64_t>();
  for (auto& slot : slots_) {
    slot.expAvg.copy_(find("exp_avg." + slot.name));
    slot.expAvgSq.copy_(find("exp_avg_sq." + slot.name));
  }
}

}  // namespace secora

#include "flat_parameters.h"

#include <c10/core/GradMode.h>

#include <stdexcept>

namespace secora {

FlatParameters::FlatParameters(const std::vector<std::pair<std::string, at::Tensor>>& named,
                               const std::function<bool(const std::string&)>& decays) {
  if (named.empty()) throw std::invalid_argument("FlatParameters: the model has no parameters");
  const auto options = named.front().second.options();
  int64_t total = 0;
  for (int pass = 0; pass < 2; ++pass) {
    const bool wantDecay = pass == 0;
    for (const auto& [name, p] : named) {
      if (decays(name) != wantDecay) continue;
      if (p.scalar_type() != options.dtype().toScalarType() || p.device() != options.device()) {
        throw std::invalid_argument("FlatParameters: parameter '" + name + "' differs in dtype or device");
      }
      entries_.push_back({name, p, total, p.numel(), wantDecay});
      total += p.numel();
    }
    if (wantDecay) decayCount_ = total;
  }
  c10::NoGradGuard noGrad;
  params_ = at::empty({total}, options.requires_grad(false));
  for (auto& e : entries_) {
    auto view = slice(params_, e);
    view.copy_(e.param);
    e.param.set_data(view);
  }
}

at::Tensor FlatParameters::slice(const at::Tensor& flat, const Entry& e) const {
  return flat.narrow(0, e.offset, e.numel).view(e.param.sizes());
}

void FlatParameters::attachGrads() {
  c10::NoGradGuard noGrad;
  if (!grads_.defined()) grads_ = at::zeros_like(params_);
  else grads_.zero_();
  for (auto& e : entries_) e.param.mutable_grad() = slice(grads_, e);
}

void FlatParameters::detachGrads() {
  for (auto& e : entries_) e.param.mutable_grad() = at::Tensor();
}

}  // namespace secora

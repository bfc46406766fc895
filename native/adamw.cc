#include "adamw.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <stdexcept>

#include "shape_text.h"

namespace secora {

namespace {

struct Coefficients {
  double decayFactor, beta1, beta2, stepSize, sqrtCorrection2, eps;
};

// One pass: decay (first `decayCount` entries), both moments and the update, element by element. Each
// element's arithmetic is independent of how the range is split, so the result is bitwise deterministic.
template <typename T>
void adamwCpu(T* p, const T* g, T* m, T* v, int64_t n, int64_t decayCount, const Coefficients& c) {
  const T decay = static_cast<T>(c.decayFactor), b1 = static_cast<T>(c.beta1), b2 = static_cast<T>(c.beta2);
  const T oneMinusB1 = static_cast<T>(1.0 - c.beta1), oneMinusB2 = static_cast<T>(1.0 - c.beta2);
  const T stepSize = static_cast<T>(c.stepSize), sqrtC2 = static_cast<T>(c.sqrtCorrection2);
  const T eps = static_cast<T>(c.eps);
  at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
    const int64_t decayEnd = std::min(end, std::max(begin, decayCount));
    if (decay != T(1)) {
      for (int64_t i = begin; i < decayEnd; ++i) p[i] *= decay;
    }
    for (int64_t i = begin; i < end; ++i) {
      const T gi = g[i];
      const T mi = m[i] * b1 + oneMinusB1 * gi;
      const T vi = v[i] * b2 + oneMinusB2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] += stepSize * (mi / (std::sqrt(vi) / sqrtC2 + eps));
    }
  });
}

}  // namespace

bool AdamW::decays(const std::string& name) {
  const bool bias = name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
  return !bias && name.find("LayerNorm") == std::string::npos;
}

void AdamW::allocate() {
  if (expAvg_.defined()) return;
  c10::NoGradGuard noGrad;
  expAvg_ = at::zeros_like(flat_.params());
  expAvgSq_ = at::zeros_like(flat_.params());
}

void AdamW::step(double lr) {
  const auto& grad = flat_.grads();
  if (!grad.defined()) throw std::logic_error("AdamW::step: no gradients (FlatParameters::attachGrads first)");
  allocate();
  c10::NoGradGuard noGrad;
  ++step_;
  const auto& s = settings_;
  const double correction1 = 1.0 - std::pow(s.beta1, static_cast<double>(step_));
  const double correction2 = 1.0 - std::pow(s.beta2, static_cast<double>(step_));
  const Coefficients c{1.0 - lr * s.weightDecay, s.beta1, s.beta2, -lr / correction1, std::sqrt(correction2), s.eps};
  auto param = flat_.params();
  const int64_t n = param.numel(), decayCount = flat_.decayCount();
  if (param.is_cpu()) {
    if (param.scalar_type() == at::kDouble) {
      adamwCpu(param.data_ptr<double>(), grad.data_ptr<double>(), expAvg_.data_ptr<double>(),
               expAvgSq_.data_ptr<double>(), n, decayCount, c);
    } else {
      adamwCpu(param.data_ptr<float>(), grad.data_ptr<float>(), expAvg_.data_ptr<float>(),
               expAvgSq_.data_ptr<float>(), n, decayCount, c);
    }
    return;
  }
  // Accelerators: the same arithmetic as whole-buffer kernels (no per-parameter launches).
  if (decayCount > 0 && c.decayFactor != 1.0) param.narrow(0, 0, decayCount).mul_(c.decayFactor);
  expAvg_.mul_(s.beta1).add_(grad, 1.0 - s.beta1);
  expAvgSq_.mul_(s.beta2).addcmul_(grad, grad, 1.0 - s.beta2);
  param.addcdiv_(expAvg_, (expAvgSq_.sqrt() / c.sqrtCorrection2).add_(s.eps), c.stepSize);
}

std::vector<std::pair<std::string, at::Tensor>> AdamW::state() {
  allocate();
  std::vector<std::pair<std::string, at::Tensor>> out;
  out.emplace_back("step", at::full({}, step_, at::TensorOptions().dtype(at::kLong)));
  for (const auto& e : flat_.entries()) {
    out.emplace_back("exp_avg." + e.name, flat_.slice(expAvg_, e));
    out.emplace_back("exp_avg_sq." + e.name, flat_.slice(expAvgSq_, e));
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
  for (const auto& e : flat_.entries()) {
    for (const auto& name : {"exp_avg." + e.name, "exp_avg_sq." + e.name}) {
      auto t = find(name);
      if (t.sizes() != e.param.sizes()) {
        throw std::runtime_error(source + ": optimizer tensor '" + name + "' has shape " + shapeText(t.sizes()) +
                                 ", the parameter has " + shapeText(e.param.sizes()));
      }
    }
  }
  allocate();
  c10::NoGradGuard noGrad;
  step_ = step.to(at::kLong).item<int64_t>();
  for (const auto& e : flat_.entries()) {
    flat_.slice(expAvg_, e).copy_(find("exp_avg." + e.name));
    flat_.slice(expAvgSq_, e).copy_(find("exp_avg_sq." + e.name));
  }
}

double flatNorm(const at::Tensor& flat) {
  if (!flat.is_cpu()) return flat.norm(2).item<double>();
  constexpr int64_t kBlock = 1 << 14;
  const int64_t n = flat.numel(), blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
  auto run = [&](auto* x) {
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        double sum = 0.0;
        const int64_t end = std::min(n, (b + 1) * kBlock);
        for (int64_t i = b * kBlock; i < end; ++i) sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
        partial[static_cast<size_t>(b)] = sum;
      }
    });
  };
  if (flat.scalar_type() == at::kDouble) run(flat.data_ptr<double>());
  else run(flat.data_ptr<float>());
  double total = 0.0;
  for (double s : partial) total += s;
  return std::sqrt(total);
}

}  // namespace secora

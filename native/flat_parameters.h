// Every parameter of a model as a view into one contiguous tensor, and every gradient as a view into another
// (as llm.c does): the optimizer, gradient clipping and a data-parallel all-reduce each touch one tensor
// instead of a hundred small ones. All parameters share one dtype and device (the runtime casts the module
// once), so one buffer of each kind is enough.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace secora {

class FlatParameters {
 public:
  struct Entry {
    std::string name;
    at::Tensor param;  // the module's own parameter, now a view into params()
    int64_t offset = 0, numel = 0;
    bool decay = false;
  };

  // Moves the parameters' values into one buffer (the weight-decayed ones first, so decay is one slice) and
  // points each parameter at its slice. The module keeps its parameter objects; only their storage changes.
  FlatParameters(const std::vector<std::pair<std::string, at::Tensor>>& named,
                 const std::function<bool(const std::string&)>& decays);

  const at::Tensor& params() const { return params_; }
  // The flat gradient buffer, or an undefined tensor before the first attachGrads (a model that only embeds
  // never allocates it).
  const at::Tensor& grads() const { return grads_; }
  int64_t decayCount() const { return decayCount_; }
  int64_t numel() const { return params_.numel(); }
  const std::vector<Entry>& entries() const { return entries_; }

  // Zeroes the gradient buffer (allocating it the first time) and gives every parameter its slice as .grad,
  // so backward accumulates into the buffer in place.
  void attachGrads();
  // Leaves every parameter without a gradient (the buffer stays allocated for the next step).
  void detachGrads();
  // Each parameter's slice of a flat tensor shaped like params(), e.g. an optimizer moment.
  at::Tensor slice(const at::Tensor& flat, const Entry& e) const;

 private:
  at::Tensor params_, grads_;
  int64_t decayCount_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace secora

#include "data_parallel.h"

#include <torch/torch.h>

namespace secora {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// All-gather whose backward sums every rank's gradient of the gathered rows and keeps this rank's slice:
// each row's gradient reaches the rank that produced it (as CLIP's and sentence-transformers' gathers do).
struct GatherRows : public torch::autograd::Function<GatherRows> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& rows, int64_t groupAddress) {
    ctx->saved_data["group"] = groupAddress;
    ctx->saved_data["rows"] = rows.size(0);
    return reinterpret_cast<ProcessGroup*>(groupAddress)->allGather(rows.detach());
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto* group = reinterpret_cast<ProcessGroup*>(ctx->saved_data["group"].toInt());
    const int64_t n = ctx->saved_data["rows"].toInt();
    auto total = grads[0].contiguous().clone();
    group->allReduceSum(total);
    return {total.narrow(0, group->rank() * n, n), at::Tensor()};
  }
};

}  // namespace

DataParallel::DataParallel(std::shared_ptr<ProcessGroup> group, bool gatherNegatives, c10::Device device)
    : group_(std::move(group)), gatherNegatives_(gatherNegatives), device_(device) {}

void DataParallel::broadcastFlat(at::Tensor params) {
  at::NoGradGuard noGrad;
  group_->broadcast(params, 0);
}

void DataParallel::averageFlat(at::Tensor grads) {
  group_->allReduceSum(grads);
  grads.div_(static_cast<double>(group_->worldSize()));
}

EmbeddingGather DataParallel::embeddingGather(int64_t rows) {
  if (!gatherNegatives_ || group_->worldSize() == 1) return EmbeddingGather{};
  const auto address = reinterpret_cast<int64_t>(group_.get());
  EmbeddingGather g;
  g.gather = [address](const at::Tensor& t) { return GatherRows::apply(t, address); };
  g.localOffset = group_->rank() * rows;
  return g;
}

DataParallel::Agreed DataParallel::agree(double loss, double accuracy, bool stop) {
  auto t = at::tensor({loss, accuracy, stop ? 1.0 : 0.0}, at::TensorOptions().dtype(at::kDouble)).to(device_);
  group_->allReduceSum(t);
  t = t.to(at::kCPU);
  const double w = group_->worldSize();
  return {t[0].item<double>() / w, t[1].item<double>() / w, t[2].item<double>() > 0.0};
}

}  // namespace secora

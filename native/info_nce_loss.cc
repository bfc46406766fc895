#include "info_nce_loss.h"

namespace secora {

InfoNceResult infoNceLoss(const at::Tensor& a, const at::Tensor& b, double temperature, bool symmetric,
                          const EmbeddingGather& gather) {
  // The loss is computed in at least fp32 whatever the autocast dtype of the embeddings.
  const auto dtype = a.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  auto unit = [](const at::Tensor& t) { return t / t.norm(2, 1, true).clamp_min(1e-12); };
  auto qa = unit(a.to(dtype));
  auto qbLocal = unit(b.to(dtype));
  // With data parallelism both sides travel in one all-gather when both are needed.
  at::Tensor qaAll, qbAll;
  if (symmetric) {
    const int64_t e = qa.size(1);
    auto both = gather.gather(at::cat({qa, qbLocal}, 1));
    qaAll = both.narrow(1, 0, e);
    qbAll = both.narrow(1, e, e);
  } else {
    qbAll = gather.gather(qbLocal);
  }
  const int64_t n = qa.size(0);
  auto labels = at::arange(gather.localOffset, gather.localOffset + n, qa.options().dtype(at::kLong));
  auto logits = at::matmul(qa, qbAll.t()) / temperature;  // [n, N]
  auto loss = at::cross_entropy_loss(logits, labels);
  double accuracy = logits.argmax(1).eq(labels).to(at::kDouble).mean().item<double>();
  if (symmetric) {
    // b→a: each local b row against the a rows of every process.
    auto back = at::matmul(qbLocal, qaAll.t()) / temperature;
    loss = (loss + at::cross_entropy_loss(back, labels)) / 2.0;
    accuracy = (accuracy + back.argmax(1).eq(labels).to(at::kDouble).mean().item<double>()) / 2.0;
  }
  return {loss, accuracy};
}

}  // namespace secora

#include "info_nce_loss.h"

namespace secora {

InfoNceResult infoNceLoss(const at::Tensor& a, const at::Tensor& b, double temperature, bool symmetric,
                          const EmbeddingGather& gather) {
  // The loss is computed in at least fp32 whatever the autocast dtype of the embeddings.
  const auto dtype = a.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  auto unit = [](const at::Tensor& t) { return t / t.norm(2, 1, true).clamp_min(1e-12); };
  auto qa = unit(a.to(dtype));
  auto qbLocal = unit(b.to(dtype));
  const int64_t n = qa.size(0);
  // b may hold extra rows after its n positives (hard negatives): they are candidates for a→b only.
  const int64_t m = qbLocal.size(0);
  // With data parallelism both sides travel in one all-gather when both are needed and have the same rows.
  at::Tensor qaAll, qbAll;
  if (symmetric && m == n) {
    const int64_t e = qa.size(1);
    auto both = gather.gather(at::cat({qa, qbLocal}, 1));
    qaAll = both.narrow(1, 0, e);
    qbAll = both.narrow(1, e, e);
  } else {
    qbAll = gather.gather(qbLocal);
    if (symmetric) qaAll = gather.gather(qa);
  }
  // This process's positives start at rank·m among the gathered b rows and at rank·n among the a rows.
  const int64_t rank = n > 0 ? gather.localOffset / n : 0;
  const auto longs = qa.options().dtype(at::kLong);
  auto labelsB = at::arange(rank * m, rank * m + n, longs);
  auto logits = at::matmul(qa, qbAll.t()) / temperature;  // [n, world·m]
  auto loss = at::cross_entropy_loss(logits, labelsB);
  double accuracy = logits.argmax(1).eq(labelsB).to(at::kDouble).mean().item<double>();
  if (symmetric) {
    // b→a: each local positive b row against the a rows of every process.
    auto labelsA = at::arange(gather.localOffset, gather.localOffset + n, longs);
    auto back = at::matmul(qbLocal.narrow(0, 0, n), qaAll.t()) / temperature;
    loss = (loss + at::cross_entropy_loss(back, labelsA)) / 2.0;
    accuracy = (accuracy + back.argmax(1).eq(labelsA).to(at::kDouble).mean().item<double>()) / 2.0;
  }
  return {loss, accuracy};
}

}  // namespace secora

// InfoNCE over cosine similarity with in-batch negatives: row i of `a` should match row i of `b` and no other.
#pragma once

#include <ATen/ATen.h>

#include <functional>

namespace secora {

struct InfoNceResult {
  at::Tensor loss;  // a scalar with graph
  double accuracy;  // the fraction of rows whose best match is their own pair (averaged over both ways if symmetric)
};

// Data-parallel hook: gathers the embeddings of every process (with gradient to the local rows) and says
// which rows are local. Identity for one process; data_parallel.cc's all-gather with gradient otherwise.
struct EmbeddingGather {
  std::function<at::Tensor(const at::Tensor&)> gather = [](const at::Tensor& t) { return t; };
  int64_t localOffset = 0;  // where this process's rows start in the gathered batch
};

// loss = CE(cos(a_i, b_j) / temperature, j = i); symmetric adds the b→a direction and halves the sum.
InfoNceResult infoNceLoss(const at::Tensor& a, const at::Tensor& b, double temperature, bool symmetric,
                          const EmbeddingGather& gather = {});

}  // namespace secora

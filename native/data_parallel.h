// Data parallelism for one encoder: the initial weights from rank 0, the gradients averaged across ranks after
// every backward (one flat buffer, one collective), embeddings gathered across ranks with the gradient flowing
// back to the rank that produced each row, and each step's loss, accuracy and stop request agreed by all.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "info_nce_loss.h"
#include "process_group.h"

namespace secora {

class DataParallel {
 public:
  DataParallel(std::shared_ptr<ProcessGroup> group, bool gatherNegatives, c10::Device device);

  int rank() const { return group_->rank(); }
  int worldSize() const { return group_->worldSize(); }
  ProcessGroup& group() { return *group_; }

  // Every rank starts from rank 0's weights (the flat parameter buffer), whatever it loaded or initialised.
  void broadcastFlat(at::Tensor params);
  // Sums `grads` (every gradient in one flat buffer) across ranks and divides by the world size, in place.
  void averageFlat(at::Tensor grads);
  // For the loss over `rows` local embeddings: all-gather with gradient, or identity without gatherNegatives.
  EmbeddingGather embeddingGather(int64_t rows);

  struct Agreed {
    double loss, accuracy;
    bool stop;  // some rank asked to stop after this step
  };
  Agreed agree(double loss, double accuracy, bool stop);

 private:
  std::shared_ptr<ProcessGroup> group_;
  bool gatherNegatives_;
  c10::Device device_;
};

}  // namespace secora

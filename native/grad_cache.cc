#include "grad_cache.h"

namespace secora {

namespace {
struct Chunk {
  TokenTensors batch;
  RngSnapshot rng;
};

std::vector<Chunk> chunksOf(const TokenTensors& batch, int64_t micro) {
  std::vector<Chunk> out;
  for (int64_t begin = 0; begin < batch.rows(); begin += micro) {
    out.push_back({batch.slice(begin, std::min(begin + micro, batch.rows())), {}});
  }
  return out;
}
}  // namespace

InfoNceResult gradCacheStep(const TokenTensors& a, const TokenTensors& b, int64_t microBatch, double lossScale,
                            const GradCacheHooks& hooks) {
  std::vector<Chunk> views[2] = {chunksOf(a, microBatch), chunksOf(b, microBatch)};
  // 1. Embeddings without a graph, remembering the generators' state before each micro-batch.
  at::Tensor embeddings[2];
  {
    at::NoGradGuard noGrad;
    for (int v = 0; v < 2; ++v) {
      std::vector<at::Tensor> parts;
      for (auto& chunk : views[v]) {
        chunk.rng = hooks.saveRng();
        parts.push_back(hooks.encode(chunk.batch));
      }
      embeddings[v] = at::cat(parts).detach().requires_grad_(true);
    }
  }
  const RngSnapshot after = hooks.saveRng();
  // 2. The loss over the whole batch and its gradient with respect to the embeddings.
  InfoNceResult result = hooks.loss(embeddings[0], embeddings[1]);
  (result.loss * lossScale).backward();
  // 3. Each micro-batch again, with a graph and the same dropout masks, backpropagating its slice.
  for (int v = 0; v < 2; ++v) {
    const auto grad = embeddings[v].grad();
    int64_t begin = 0;
    for (const auto& chunk : views[v]) {
      hooks.restoreRng(chunk.rng);
      auto z = hooks.encode(chunk.batch);
      z.backward(grad.slice(0, begin, begin + chunk.batch.rows()).to(z.scalar_type()));
      begin += chunk.batch.rows();
    }
  }
  hooks.restoreRng(after);
  result.loss = result.loss.detach();
  return result;
}

}  // namespace secora

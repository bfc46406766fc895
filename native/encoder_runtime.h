// One encoder with everything it trains with: the module, its optimizer, its device, its random generator,
// its precision and loss scale. Plain C++ (no JavaScript values): the addon's workers call it off the
// JavaScript thread, one call at a time (NativeEncoder's busy flag).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adamw.h"
#include "bert_model.h"
#include "data_parallel.h"
#include "flat_parameters.h"
#include "grad_cache.h"

namespace secora {

// A batch as it came from JavaScript, widened to int64 by the pass that checks it: row-major [rows, cols].
// It outlives the call that uses it, so CPU tensors borrow its memory rather than copy it.
struct HostBatch {
  std::vector<int64_t> inputIds, attentionMask, tokenTypeIds;
  int64_t rows = 0, cols = 0;
  bool padded = true;  // some attentionMask entry is 0 (the reader clears it when none is)
};

struct TrainArgs {
  std::string objective;  // "simcse" | "pairs"
  HostBatch a;
  std::optional<HostBatch> b;
  double temperature = 0.05;
  bool symmetric = false;
  int64_t microBatch = 0;  // 0: the whole batch at once (no GradCache)
  double lr = 0.0;
  double maxGradNorm = 0.0;  // 0: no clipping
  bool apply = true;         // false: stop with the gradients on the parameters (tests, inspection)
  bool requestStop = false;  // data parallel: this rank wants to stop after this step (all ranks learn it)
};

struct TrainResult {
  double loss = 0, accuracy = 0, gradNorm = 0;
  double lossScale = 1;  // fp16's dynamic loss scale after this step (1 otherwise)
  bool skipped = false;  // the gradients were not finite: no update (fp16 lowers its scale)
  bool stopRequested = false;  // requestStop of this or (data parallel) any rank
};

struct LoadReport {
  std::vector<std::string> ignored;  // tensors of the file that the model has no use for
};

struct RuntimeOptions {
  EncoderConfig config;
  std::string device = "cpu";
  std::string dtype = "float32";  // parameter dtype: float32 | float64
  std::string precision = "fp32";  // fp32 | bf16 | fp16 (autocast)
  uint64_t seed = 0;
  // false: an encoder for embedding only; training (and an optimizer file) is refused, so no gradient or
  // optimizer state is ever allocated.
  bool trainable = true;
  AdamWSettings optimizer;
};

struct MemoryAtRest {
  int64_t parameters = 0, gradients = 0, optimizer = 0;  // bytes; gradients and moments exist once trained
};

class EncoderRuntime {
 public:
  explicit EncoderRuntime(const RuntimeOptions& options);

  std::vector<float> embed(const HostBatch& batch);           // [B,E] L2-normalized, row-major
  std::vector<double> hiddenStates(const HostBatch& batch);   // [B,S,H], eval mode, no autocast
  TrainResult trainStep(const TrainArgs& args);

  LoadReport loadWeights(const std::string& path);
  void saveWeights(const std::string& path);
  std::string weightsBytes();
  void saveOptimizer(const std::string& path);
  void loadOptimizer(const std::string& path);
  void configureOptimizer(const AdamWSettings& settings) { optimizer_->configure(settings); }
  MemoryAtRest memoryAtRest() const;
  std::string rngState();
  void setRngState(const std::string& bytes);
  // Joins a data-parallel group: rank 0's weights everywhere, dropout seeded per rank, gradients averaged.
  void attachProcessGroup(std::shared_ptr<ProcessGroup> group, bool gatherNegatives);

  std::vector<std::string> parameterNames();
  std::vector<double> parameter(const std::string& name, bool gradient);
  void setParameter(const std::string& name, const std::vector<double>& values);

  const EncoderConfig& config() const { return options_.config; }
  std::string deviceName() const { return device_.str(); }

  // The flat gradient buffer (one contiguous tensor: every parameter's .grad is a view into it), or an
  // undefined tensor before the first training step. Data parallelism's hook point is onGradientsReady()
  // in trainStep: backward (or GradCache) has accumulated the complete local gradients here, and unscaling,
  // the norm, clipping and the fused AdamW have not run yet. An all-reduce (sum, then divide by the world
  // size) of this one tensor in place is the whole gradient exchange.
  const at::Tensor& flatGrads() const { return flat_->grads(); }
  // The flat parameter buffer (every parameter is a view into it): one tensor to broadcast from rank 0.
  const at::Tensor& flatParams() const { return flat_->params(); }

  std::atomic<bool> busy{false};  // set by NativeEncoder while a worker uses this runtime

 private:
  TokenTensors toDevice(const HostBatch& batch) const;
  // The model that embeds: the training model in fp32, else a copy of its weights cast once (one kernel over
  // the flat buffer) to bf16/fp16, refreshed only after the weights change, and run without autocast.
  BertModel& embeddingModel();
  void weightsChanged() { lowStale_ = true; }
  at::Tensor findParameter(const std::string& name);
  void requireTrainable(const std::string& method) const;
  RngSnapshot saveRng();
  void restoreRng(const RngSnapshot& snapshot);
  // Data parallelism's place: the local gradients are complete in flatGrads() here, before unscaling, clipping
  // and the update; one all-reduce of that buffer averages them across processes.
  void onGradientsReady() {
    if (parallel_) parallel_->averageFlat(flat_->grads());
  }

  RuntimeOptions options_;
  c10::Device device_;
  at::ScalarType dtype_;
  BertModel model_{nullptr};
  std::unique_ptr<FlatParameters> flat_;
  std::unique_ptr<AdamW> optimizer_;
  BertModel lowModel_{nullptr};
  std::unique_ptr<FlatParameters> lowFlat_;
  bool lowStale_ = true;
  at::Generator generator_;
  double lossScale_ = 65536.0;
  int64_t goodSteps_ = 0;  // consecutive finite fp16 steps, for growing the loss scale
  std::unique_ptr<DataParallel> parallel_;  // null: one process
};

// "cpu", "cuda", "cuda:1" → a device this build can use, or an error that says why not.
c10::Device parseDevice(const std::string& text);

}  // namespace secora

// The processes of one data-parallel run and the collectives between them: c10d's Gloo on the CPU, NCCL on
// CUDA, joined through a TCPStore that rank 0 hosts (what torchrun's MASTER_ADDR/MASTER_PORT name). Plain C++:
// the addon's workers call it off the JavaScript thread. A failed or timed-out collective throws an error that
// names this rank, the operation and the timeout.
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace secora {

struct ProcessGroupOptions {
  std::string masterAddr = "127.0.0.1";
  int masterPort = 29500;
  int worldSize = 1;
  int rank = 0;
  std::string backend = "gloo";  // gloo (CPU tensors) | nccl (CUDA tensors)
  std::chrono::milliseconds timeout{300000};  // rendezvous, and each collective
  // false: the store at MASTER_ADDR:MASTER_PORT is hosted by someone else (torchrun's agent), rank 0 included.
  bool rank0HostsStore = true;
  std::string storePrefix;  // keys of this attempt (torchrun: /worker/attempt_N), so a restart starts clean
};

// The c10d backends this addon was built with ("gloo", "nccl"); empty when libtorch lacks c10d.
std::vector<std::string> distributedBackends();

class ProcessGroup {
 public:
  // Joins the group: rank 0 hosts the store; every rank waits for all the others (up to the timeout).
  explicit ProcessGroup(const ProcessGroupOptions& options);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return options_.rank; }
  int worldSize() const { return options_.worldSize; }
  const ProcessGroupOptions& options() const { return options_; }

  void allReduceSum(at::Tensor& tensor);          // in place; contiguous
  at::Tensor allGather(const at::Tensor& tensor);  // every rank's rows, rank order, along dim 0 (equal shapes)
  void broadcast(at::Tensor& tensor, int root);    // in place
  void barrier();

  // Small values through the store (not the collective backend): every rank's bytes, and rank 0's to all.
  std::vector<std::string> allGatherBytes(const std::string& mine);
  // Rank 0 publishes `value`; the others wait up to `timeout` for it (rank 0's death ends the wait at once,
  // since it hosts the store).
  std::string fromRoot(const std::string& value, std::chrono::milliseconds timeout);

  // Wall time spent inside collectives (waiting for slower ranks included), since the group was made.
  double collectiveSeconds() const { return collectiveSeconds_; }

 private:
  struct Impl;
  template <typename F>
  void timed(const char* what, F&& f);
  std::string nextKey(const char* kind);

  ProcessGroupOptions options_;
  std::unique_ptr<Impl> impl_;
  std::mutex mutex_;  // one operation at a time (the trainer serializes them; this makes it certain)
  int64_t sequence_ = 0;
  double collectiveSeconds_ = 0;
};

}  // namespace secora

#include "process_group.h"

#include <stdexcept>

#include "compat_c10d.h"

namespace secora {

std::vector<std::string> distributedBackends() {
  std::vector<std::string> out;
#if defined(SECORA_WITH_C10D)
  out.push_back("gloo");
#endif
#if defined(SECORA_WITH_NCCL)
  out.push_back("nccl");
#endif
  return out;
}

#if defined(SECORA_WITH_C10D)

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<compat::CollectiveBackend> backend;
};

namespace {
std::string seconds(std::chrono::milliseconds t) { return std::to_string(t.count() / 1000.0).substr(0, 6) + " s"; }
}  // namespace

ProcessGroup::ProcessGroup(const ProcessGroupOptions& options) : options_(options), impl_(std::make_unique<Impl>()) {
  const auto& o = options_;
  if (o.worldSize < 1) throw std::invalid_argument("WORLD_SIZE must be >= 1, got " + std::to_string(o.worldSize));
  if (o.rank < 0 || o.rank >= o.worldSize) {
    throw std::invalid_argument("RANK must be in 0.." + std::to_string(o.worldSize - 1) + ", got " +
                                std::to_string(o.rank));
  }
  if (o.masterPort < 1 || o.masterPort > 65535) {
    throw std::invalid_argument("MASTER_PORT must be in 1..65535, got " + std::to_string(o.masterPort));
  }
  const std::string where = o.masterAddr + ":" + std::to_string(o.masterPort);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(o.masterPort);
    so.isServer = o.rank == 0 && o.rank0HostsStore;
    so.numWorkers = static_cast<size_t>(o.worldSize);
    so.waitWorkers = true;
    so.timeout = o.timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(o.masterAddr, so);
    if (o.storePrefix.empty()) impl_->store = tcp;
    else impl_->store = c10::make_intrusive<c10d::PrefixStore>(o.storePrefix, tcp);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(o.rank) + ": the rendezvous at " + where + " (" +
                             (!o.rank0HostsStore ? "hosted by the launcher" : o.rank == 0 ? "hosted here" : "hosted by rank 0") + ") failed within " +
                             seconds(o.timeout) + ": " + e.what());
  }
  try {
    if (o.backend == "gloo") {
      auto go = c10d::ProcessGroupGloo::Options::create(o.timeout);
      // Loopback for a one-machine run; otherwise the address this host reaches MASTER_ADDR from.
      const bool local = o.masterAddr == "127.0.0.1" || o.masterAddr == "localhost";
      go->devices.push_back(local ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                  : c10d::ProcessGroupGloo::createDefaultDevice());
      impl_->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, o.rank, o.worldSize, go);
    } else if (o.backend == "nccl") {
#if defined(SECORA_WITH_NCCL)
      auto no = c10d::ProcessGroupNCCL::Options::create();
      no->timeout = o.timeout;
      impl_->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, o.rank, o.worldSize, no);
#else
      throw std::invalid_argument(
          "backend 'nccl' needs an addon built against a CUDA libtorch with NCCL (SECORA_TORCH_DIR)");
#endif
    } else {
      throw std::invalid_argument("backend must be 'gloo' or 'nccl', got '" + o.backend + "'");
    }
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(o.rank) + ": joining the " + o.backend + " group of " +
                             std::to_string(o.worldSize) + " at " + where + " failed: " + e.what());
  }
}

ProcessGroup::~ProcessGroup() = default;

template <typename F>
void ProcessGroup::timed(const char* what, F&& f) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto start = std::chrono::steady_clock::now();
  try {
    f();
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (auto cut = msg.find("\nException raised from"); cut != std::string::npos) msg.resize(cut);
    throw std::runtime_error("rank " + std::to_string(options_.rank) + " of " + std::to_string(options_.worldSize) +
                             ": " + what + " failed (another worker died, or did not answer within " +
                             seconds(options_.timeout) + "): " + msg);
  }
  collectiveSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void ProcessGroup::allReduceSum(at::Tensor& tensor) {
  timed("all-reduce", [&] {
    std::vector<at::Tensor> ts{tensor};
    impl_->backend->allreduce(ts)->wait();
  });
}

at::Tensor ProcessGroup::allGather(const at::Tensor& tensor) {
  at::Tensor out;
  timed("all-gather", [&] {
    std::vector<at::Tensor> in{tensor.contiguous()};
    std::vector<std::vector<at::Tensor>> parts(1);
    for (int r = 0; r < options_.worldSize; ++r) parts[0].push_back(at::empty_like(in[0]));
    impl_->backend->allgather(parts, in)->wait();
    out = at::cat(parts[0], 0);
  });
  return out;
}

void ProcessGroup::broadcast(at::Tensor& tensor, int root) {
  timed("broadcast", [&] {
    std::vector<at::Tensor> ts{tensor};
    c10d::BroadcastOptions bo;
    bo.rootRank = root;
    impl_->backend->broadcast(ts, bo)->wait();
  });
}

void ProcessGroup::barrier() {
  timed("barrier", [&] { impl_->backend->barrier()->wait(); });
}

std::string ProcessGroup::nextKey(const char* kind) { return std::string("secora/") + kind + "/" + std::to_string(sequence_++); }

std::vector<std::string> ProcessGroup::allGatherBytes(const std::string& mine) {
  std::vector<std::string> out;
  const std::string key = nextKey("bytes");
  timed("an exchange of small values", [&] {
    auto& store = *impl_->store;
    store.set(key + "/" + std::to_string(options_.rank), std::vector<uint8_t>(mine.begin(), mine.end()));
    std::vector<std::string> keys;
    for (int r = 0; r < options_.worldSize; ++r) keys.push_back(key + "/" + std::to_string(r));
    store.wait(keys, options_.timeout);
    for (const auto& k : keys) {
      auto v = store.get(k);
      out.emplace_back(v.begin(), v.end());
    }
  });
  return out;
}

std::string ProcessGroup::fromRoot(const std::string& value, std::chrono::milliseconds timeout) {
  std::string out = value;
  const std::string key = nextKey("root");
  timed("waiting for rank 0", [&] {
    auto& store = *impl_->store;
    if (options_.rank == 0) {
      store.set(key, std::vector<uint8_t>(value.begin(), value.end()));
      return;
    }
    store.wait({key}, timeout);
    auto v = store.get(key);
    out.assign(v.begin(), v.end());
  });
  return out;
}

#else  // no c10d in this libtorch

struct ProcessGroup::Impl {};

ProcessGroup::ProcessGroup(const ProcessGroupOptions& options) : options_(options) {
  throw std::runtime_error(
      "this addon was built without c10d (its libtorch lacks ProcessGroupGloo.hpp, or gloo's headers are "
      "missing: apt-get install -y libgloo-dev, then npm run build:native), so it cannot join a process group");
}
ProcessGroup::~ProcessGroup() = default;
void ProcessGroup::allReduceSum(at::Tensor&) {}
at::Tensor ProcessGroup::allGather(const at::Tensor& t) { return t; }
void ProcessGroup::broadcast(at::Tensor&, int) {}
void ProcessGroup::barrier() {}
std::vector<std::string> ProcessGroup::allGatherBytes(const std::string& mine) { return {mine}; }
std::string ProcessGroup::fromRoot(const std::string& value, std::chrono::milliseconds) { return value; }

#endif

}  // namespace secora
